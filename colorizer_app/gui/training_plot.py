"""A small line chart for training curves, drawn with QPainter (PySide6-Essentials has
no QtCharts): a few series over iterations, round axis ticks, a legend with each
series' last value."""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

# Colors that read on the app's dark palette and on a light one.
COLORS = {
    "blue": QColor(86, 156, 230),
    "orange": QColor(236, 146, 60),
    "green": QColor(110, 190, 100),
    "gray": QColor(150, 150, 150),
}


@dataclass
class Series:
    label: str
    points: Sequence[tuple[float, float]]
    color: QColor = field(default_factory=lambda: QColor(COLORS["blue"]))
    width: float = 1.6
    markers: bool = False  # a dot on every point (sparse series: validations)
    in_legend: bool = True


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi - lo <= 1e-12 * max(1.0, abs(lo), abs(hi)):  # flat (or float noise): one tick
        return [lo]
    raw = (hi - lo) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    return [round(k * step, 12) for k in range(first, min(last, first + 4 * count) + 1)]


def tick_labels(ticks: Sequence[float], percent: bool = False) -> list[str]:
    """Labels with just enough decimals to tell neighbouring ticks apart."""
    scale = 100.0 if percent else 1.0
    if len(ticks) < 2:
        return [format_value(t * scale) + ("%" if percent else "") for t in ticks]
    step = abs(ticks[1] - ticks[0]) * scale
    exponent = math.floor(math.log10(step) + 1e-9)
    decimals = max(0, -exponent + (1 if round(step / 10 ** exponent, 6) == 2.5 else 0))
    if percent:
        return [f"{t * scale:+.{decimals}f}%" for t in ticks]
    return [f"{t:,.{decimals}f}" for t in ticks]


def smoothed(points: Sequence[tuple[float, float]], weight: float = 0.9) -> list[tuple[float, float]]:
    """Exponential moving average with the start-up bias removed (as TensorBoard draws it)."""
    out, avg = [], 0.0
    for i, (x, y) in enumerate(points):
        avg = weight * avg + (1 - weight) * y
        out.append((x, avg / (1 - weight ** (i + 1))))
    return out


def format_value(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


_SWATCH = 30  # a legend entry's swatch and the gap before it, in pixels


class CurvePlot(QWidget):
    """Draws ``Series`` over iterations. Display only: ``set_series`` replaces the data."""

    X_LABEL = "iteration"

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self._series: list[Series] = []
        self._placeholder = "No data yet"
        self._percent = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_series(self, series: Sequence[Series]) -> None:
        """Replace the data; points that are not finite numbers are left out."""
        self._series = [Series(s.label, [(x, y) for x, y in s.points if math.isfinite(x) and math.isfinite(y)],
                               s.color, s.width, s.markers, s.in_legend) for s in series]
        self.update()

    def set_title(self, title: str) -> None:
        self._title = title
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def set_percent(self, percent: bool) -> None:
        """Label the y axis in percent (values are fractions)."""
        self._percent = percent
        self.update()

    def point_count(self) -> int:
        return sum(len(s.points) for s in self._series)

    def legend_layout(self) -> tuple[int, list[str]]:
        """Where the legend goes and what it says. Line 0 is the title's, 1 the one
        under it, above the plot (a narrow plot would otherwise draw the legend over
        the title). Each entry is a series' label and last value, or only the value
        (its color tells which) where even a line of its own is too narrow."""
        metrics = QFontMetrics(self.font())
        shown = [s for s in self._series if s.in_legend and s.points]
        values = [self._legend_value(s.points[-1][1]) for s in shown]
        labelled = [f"{s.label} {value}" for s, value in zip(shown, values)]
        title = metrics.horizontalAdvance(self._title) + 16 if self._title else 0
        for texts in (labelled, values):
            width = sum(metrics.horizontalAdvance(text) + _SWATCH for text in texts)
            for line, room in ((0, self.width() - 16 - title), (1, self.width() - 16)):
                if width <= room:
                    return line, texts
        return 1, values

    def sizeHint(self) -> QSize:
        return QSize(420, 200)

    def minimumSizeHint(self) -> QSize:
        return QSize(220, 120)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_color = palette.color(QPalette.ColorRole.WindowText)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        metrics = QFontMetrics(self.font())
        line_h = metrics.height()

        painter.setPen(text_color)
        painter.drawText(QRectF(8, 4, self.width() - 16, line_h), Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(self._title, Qt.TextElideMode.ElideRight, self.width() - 16))

        points = [p for s in self._series for p in s.points]
        if not points:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
            return

        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        x_lo, x_hi = min(0.0, min(xs)), max(xs)
        if x_hi <= x_lo:
            x_hi = x_lo + 1
        y_lo, y_hi = min(ys), max(ys)
        span = y_hi - y_lo
        flat = span <= 1e-9 * max(1.0, abs(y_hi))  # equal values, or equal but for float noise
        pad = (abs(y_hi) * 0.1 or 1.0) if flat else span * 0.08
        y_lo, y_hi = y_lo - pad, y_hi + pad
        y_ticks = nice_ticks(y_lo, y_hi, max(2, int((self.height() - 3 * line_h) / (2.2 * line_h))))
        x_ticks = [t for t in nice_ticks(x_lo, x_hi, max(2, self.width() // 90)) if t == int(t)]  # iterations
        y_labels = tick_labels(y_ticks, self._percent)
        left = 10 + max((metrics.horizontalAdvance(t) for t in y_labels), default=0)
        # Two lines above the plot (title, legend), two under it (ticks, the axis's name).
        plot = QRectF(left, 2 * line_h + 4, self.width() - left - 12, self.height() - 4 * line_h - 10)
        if plot.width() < 20 or plot.height() < 20:
            return

        def to_px(x: float, y: float) -> QPointF:
            return QPointF(plot.left() + (x - x_lo) / (x_hi - x_lo) * plot.width(),
                           plot.bottom() - (y - y_lo) / (y_hi - y_lo) * plot.height())

        grid = QColor(text_color)
        grid.setAlpha(40)
        for value, label in zip(y_ticks, y_labels):
            y = to_px(x_lo, value).y()
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text_color)
            painter.drawText(QRectF(0, y - line_h / 2, left - 5, line_h),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        for value in x_ticks:
            x = to_px(value, y_lo).x()
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            painter.setPen(text_color)
            painter.drawText(QRectF(x - 40, plot.bottom() + 2, 80, line_h), Qt.AlignmentFlag.AlignHCenter,
                             format_value(value))
        painter.setPen(text_color)
        painter.drawText(QRectF(plot.left(), plot.bottom() + 2 + line_h, plot.width(), line_h),
                         Qt.AlignmentFlag.AlignHCenter, self.X_LABEL)
        painter.setPen(QPen(grid.lighter(150), 1))
        painter.drawRect(plot)

        painter.save()
        painter.setClipRect(plot.adjusted(-4, -4, 4, 4))
        for series in self._series:
            if not series.points:
                continue
            pen = QPen(series.color, series.width)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            polygon = QPolygonF([to_px(x, y) for x, y in series.points])
            if len(series.points) > 1:
                painter.drawPolyline(polygon)
            if series.markers or len(series.points) == 1:
                painter.setBrush(series.color)
                for point in polygon:
                    painter.drawEllipse(point, 2.5, 2.5)
                painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.restore()

        # Legend, right-aligned on the title line (or the one under it): a swatch, the
        # label and the last value.
        legend_line, legend_texts = self.legend_layout()
        x, top = self.width() - 8, 4 + legend_line * line_h
        in_legend = [s for s in self._series if s.in_legend and s.points]
        for series, text in reversed(list(zip(in_legend, legend_texts))):
            width = metrics.horizontalAdvance(text)
            x -= width
            painter.setPen(text_color)
            painter.drawText(QRectF(x, top, width + 2, line_h), Qt.AlignmentFlag.AlignLeft, text)
            painter.setPen(QPen(series.color, 3))
            painter.drawLine(QPointF(x - 18, top + line_h / 2), QPointF(x - 6, top + line_h / 2))
            x -= _SWATCH

    def _legend_value(self, value: float) -> str:
        if self._percent:
            return f"{value:+.1%}"
        return format_value(value) if abs(value) >= 1000 else f"{value:#.3g}".rstrip(".")
