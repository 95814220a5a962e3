"""Before/after view: original and colorized photo split by a draggable divider.

Three modes share one zoom/pan (a ``ViewTransform`` in source-photo pixels, so a
screen-sized preview and the full-resolution result line up exactly):

- split: original left of the divider, colorized right of it;
- side by side: two panes, each showing the same part of the photo;
- single: the colorized photo; hold the mouse button (or Space, in any mode, or
  the window's "Hold for Original" button) to see the original.

Mouse: drag the divider handle to move it; drag elsewhere (or with the middle
button) to pan; wheel to zoom around the pointer; double-click toggles fit / 100%.
In hint mode a click (a press and release without a drag) on the photo asks for a
color hint there (``hint_requested``); the hints are drawn as small color dots.

Keys (the view has focus: click it, or Tab to it): arrows pan a zoomed-in photo;
in split mode Left/Right move the divider when the whole photo is shown (and
Shift+Left/Right always). In hint mode the arrows move a crosshair and Enter asks
for a hint under it, so hints need no mouse either.
"""

import enum
import math

from PySide6.QtCore import Property, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor, QFocusEvent, QFont, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen, QPixmap,
    QPolygonF, QResizeEvent, QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget


def paint_hint_dot(painter: QPainter, center: QPointF, color: QColor, radius: float) -> None:
    """A color hint's mark: a dot of its color in a dark and a light ring, so it shows
    on any photo (also the thumbnail grid's mark of a photo with hints)."""
    painter.setBrush(color)
    painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
    painter.drawEllipse(center, radius, radius)
    painter.setPen(QPen(QColor(255, 255, 255, 230), 1.5))
    painter.drawEllipse(center, radius, radius)


class ViewMode(enum.Enum):
    SPLIT = "split"
    SIDE_BY_SIDE = "side_by_side"
    SINGLE = "single"


class ViewTransform:
    """Zoom and pan of an image in a viewport; plain arithmetic, tested without Qt.

    ``scale`` is viewport pixels per image pixel; ``center`` is the image point at
    the middle of the viewport. In fit mode the scale follows the viewport. Where
    the scaled image is smaller than the viewport it is centered; where larger, the
    pan is clamped so no empty band opens at an edge.
    """

    MIN_SCALE = 1 / 64
    MAX_SCALE = 32.0

    def __init__(self) -> None:
        self._image = (0.0, 0.0)
        self._viewport = (1.0, 1.0)
        self._fit = True
        self._scale = 1.0
        self._center = (0.0, 0.0)

    @property
    def fit(self) -> bool:
        return self._fit

    @property
    def image_size(self) -> tuple[float, float]:
        return self._image

    @property
    def viewport_size(self) -> tuple[float, float]:
        return self._viewport

    @property
    def scale(self) -> float:
        return self.fit_scale() if self._fit else self._scale

    @property
    def center(self) -> tuple[float, float]:
        if self._fit:
            return self._image[0] / 2, self._image[1] / 2
        return self._center

    def set_image_size(self, width: float, height: float) -> None:
        """A different image size starts over in fit mode."""
        if (width, height) != self._image:
            self._image = (float(width), float(height))
            self.fit_to_view()

    def set_viewport_size(self, width: float, height: float) -> None:
        self._viewport = (max(1.0, float(width)), max(1.0, float(height)))
        self._clamp()

    def fit_scale(self) -> float:
        iw, ih = self._image
        if iw <= 0 or ih <= 0:
            return 1.0
        vw, vh = self._viewport
        return min(vw / iw, vh / ih)

    def fit_to_view(self) -> None:
        self._fit = True
        self._center = (self._image[0] / 2, self._image[1] / 2)

    def set_scale(self, scale: float, anchor: tuple[float, float] | None = None) -> None:
        """Zoom to ``scale`` keeping the image point under ``anchor`` (viewport) still."""
        vw, vh = self._viewport
        ax, ay = anchor if anchor is not None else (vw / 2, vh / 2)
        ix, iy = self.map_to_image(ax, ay)
        new_scale = min(max(scale, min(self.MIN_SCALE, self.fit_scale())), self.MAX_SCALE)
        self._fit = False
        self._scale = new_scale
        self._center = (ix - (ax - vw / 2) / new_scale, iy - (ay - vh / 2) / new_scale)
        self._clamp()

    def zoom_by(self, factor: float, anchor: tuple[float, float] | None = None) -> None:
        assert factor > 0
        self.set_scale(self.scale * factor, anchor)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the image by (dx, dy) viewport pixels."""
        if self._fit:
            self._scale, self._center, self._fit = self.fit_scale(), self.center, False
        cx, cy = self._center
        self._center = (cx - dx / self._scale, cy - dy / self._scale)
        self._clamp()

    def map_to_image(self, x: float, y: float) -> tuple[float, float]:
        vw, vh = self._viewport
        cx, cy = self.center
        s = self.scale
        return cx + (x - vw / 2) / s, cy + (y - vh / 2) / s

    def map_from_image(self, x: float, y: float) -> tuple[float, float]:
        vw, vh = self._viewport
        cx, cy = self.center
        s = self.scale
        return vw / 2 + (x - cx) * s, vh / 2 + (y - cy) * s

    def image_rect(self) -> tuple[float, float, float, float]:
        """(x, y, width, height) of the whole image in viewport coordinates."""
        x, y = self.map_from_image(0.0, 0.0)
        return x, y, self._image[0] * self.scale, self._image[1] * self.scale

    def _clamp(self) -> None:
        if self._fit:
            return
        s = self._scale
        center = []
        for size, view, c in zip(self._image, self._viewport, self._center):
            half = view / (2 * s)
            if size * s <= view:
                center.append(size / 2)
            else:
                center.append(min(max(c, half), size - half))
        self._center = (center[0], center[1])


_BACKGROUND = QColor(30, 30, 32)
_HANDLE_GRAB = 12  # pixels either side of the divider that grab it
_PANE_GAP = 4
_CLICK_SLOP = 4  # a press and release this close (pixels) is a click, not a drag
_NOTE_MARGIN, _NOTE_PAD = 14, 12  # the note's distance from the view's edges, and its text's from its own


class CompareView(QWidget):
    """Shows the original and the colorized photo; see the module docstring.

    Signals:
        divider_changed(float): the split position, 0 (left edge) to 1 (right edge).
        zoom_changed(float): 1.0 = 100% (one photo pixel per device pixel).
        showing_original_changed(bool): "hold to see original" started or ended.
        hint_requested(float, float): in hint mode, the photo was clicked at this
            point, relative to its width and height (0..1).
    """

    divider_changed = Signal(float)
    zoom_changed = Signal(float)
    showing_original_changed = Signal(bool)
    hint_requested = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Photo")
        self.setAccessibleDescription("The original and the colorized photo. Arrow keys move the divider "
                                      "(or pan when zoomed in); plus and minus zoom.")
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._transform = ViewTransform()
        self._original: QPixmap | None = None
        self._colorized: QPixmap | None = None
        self._mode = ViewMode.SPLIT
        self._divider = 0.5
        self._showing_original = False
        self._note = ""
        self._empty_text = "Open a folder, or drop photos here"
        self._drag: str | None = None  # "divider" or "pan"
        self._drag_last = QPointF()
        self._held_by_mouse = False
        self._hint_mode = False
        self._hint_marks: list[tuple[float, float, QColor]] = []
        self._crosshair: QPointF | None = None  # the keyboard's pointer in hint mode
        self._keyboard_focus = False  # focus came by Tab: show where the keys go
        self._press_pos: QPointF | None = None

    # Content ------------------------------------------------------------
    def set_original(self, pixmap: QPixmap, source_size: QSize | None = None) -> None:
        """Show a new original. ``source_size`` is the full photo's size (defaults to
        the pixmap's); a different size resets the view to fit, the same size keeps
        zoom and pan (a preview replaced by the full-resolution image)."""
        size = source_size if source_size is not None and source_size.isValid() else pixmap.size()
        self._original = pixmap
        self._transform.set_image_size(size.width(), size.height())
        self._update_viewport()
        self.zoom_changed.emit(self.zoom)
        self.update()

    def set_colorized(self, pixmap: QPixmap | None) -> None:
        self._colorized = pixmap
        self.update()

    def clear(self, message: str = "") -> None:
        self._original = None
        self._colorized = None
        self._transform.set_image_size(0, 0)
        if message:
            self._empty_text = message
        self.zoom_changed.emit(self.zoom)  # no photo: the read-out goes blank
        self.update()

    def has_photo(self) -> bool:
        return self._original is not None

    def has_result(self) -> bool:
        return self._colorized is not None

    def original_pixmap(self) -> QPixmap | None:
        return self._original

    def colorized_pixmap(self) -> QPixmap | None:
        return self._colorized

    @property
    def empty_message(self) -> str:
        """What the view says while it has no photo to show: why (the photo could not
        be opened, it is loading), or else what to do."""
        return self._note or self._empty_text

    def set_note(self, text: str) -> None:
        """A short line drawn over the photo ("Colorizing…", an error); '' clears it."""
        if text != self._note:
            self._note = text
            self.update()

    @property
    def note(self) -> str:
        return self._note

    def shown_note(self) -> str:
        """The note as drawn: in a narrow window, the middle of a long file name goes,
        not the words at either end that say what is happening."""
        return self.fontMetrics().elidedText(self._note, Qt.TextElideMode.ElideMiddle,
                                             max(40, self.width() - 2 * _NOTE_MARGIN - 2 * _NOTE_PAD))

    # Hints ------------------------------------------------------------------
    @property
    def hint_mode(self) -> bool:
        return self._hint_mode

    def set_hint_mode(self, on: bool) -> None:
        """In hint mode a click asks for a color hint instead of holding the original."""
        self._hint_mode = bool(on)
        if on:
            self.setCursor(Qt.CursorShape.CrossCursor)
        else:
            self.unsetCursor()
            if self._crosshair is not None:
                self._crosshair = None
                self.update()

    def set_hint_marks(self, marks: list[tuple[float, float, QColor]]) -> None:
        """Dots to draw: (x, y) relative to the photo's size, and the hint's color."""
        self._hint_marks = list(marks)
        self.update()

    def _image_point(self, pos: QPointF) -> tuple[float, float] | None:
        """``pos`` relative to the photo (0..1 each), or None off the photo."""
        width, height = self._transform.image_size
        if self._original is None or not width or not height:
            return None
        x, y = self._transform.map_to_image(*self._pane_point(pos))
        if not (0 <= x < width and 0 <= y < height):
            return None
        return x / width, y / height

    # Mode, divider, hold ------------------------------------------------------
    @property
    def mode(self) -> ViewMode:
        return self._mode

    def set_mode(self, mode: ViewMode) -> None:
        if mode != self._mode:
            self._mode = mode
            self._update_viewport()  # says so if the zoom changed (side by side has half the width)
            self.update()

    def _get_divider(self) -> float:
        return self._divider

    def set_divider(self, value: float) -> None:
        value = min(max(float(value), 0.0), 1.0)
        if value != self._divider:
            self._divider = value
            self.update()
            self.divider_changed.emit(value)

    divider = Property(float, _get_divider, set_divider, notify=divider_changed)

    def divider_x(self) -> float:
        """The divider's x position in widget coordinates."""
        return self._divider * self.width()

    @property
    def showing_original(self) -> bool:
        return self._showing_original

    def set_showing_original(self, value: bool) -> None:
        if value != self._showing_original:
            self._showing_original = value
            self._update_viewport()  # side by side shows one pane while held
            self.update()
            self.showing_original_changed.emit(value)

    # Zoom ---------------------------------------------------------------------
    @property
    def transform(self) -> ViewTransform:
        return self._transform

    @property
    def zoom(self) -> float:
        """Device pixels per photo pixel: 1.0 is 100%."""
        return self._transform.scale * self.devicePixelRatioF()

    @property
    def fit(self) -> bool:
        return self._transform.fit

    def zoom_fit(self) -> None:
        self._transform.fit_to_view()
        self._zoomed()

    def zoom_actual(self) -> None:
        self._transform.set_scale(1.0 / self.devicePixelRatioF())
        self._zoomed()

    def zoom_in(self) -> None:
        self._transform.zoom_by(1.25)
        self._zoomed()

    def zoom_out(self) -> None:
        self._transform.zoom_by(1 / 1.25)
        self._zoomed()

    def _zoomed(self) -> None:
        self.zoom_changed.emit(self.zoom)
        self.update()

    # Geometry -----------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(800, 600)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, 150)

    def _panes(self) -> list[QRectF]:
        """The viewport rectangles: one, or two for side by side."""
        w, h = float(self.width()), float(self.height())
        if self._mode == ViewMode.SIDE_BY_SIDE and not self._showing_original:
            half = (w - _PANE_GAP) / 2
            return [QRectF(0, 0, half, h), QRectF(half + _PANE_GAP, 0, half, h)]
        return [QRectF(0, 0, w, h)]

    def _update_viewport(self) -> None:
        """Fit the transform to the pane; say so when that changes the zoom (a resize
        in Fit, side by side held to show the original)."""
        before = self.zoom
        pane = self._panes()[0]
        self._transform.set_viewport_size(pane.width(), pane.height())
        if self.zoom != before:
            self.zoom_changed.emit(self.zoom)

    def _pane_point(self, pos: QPointF) -> tuple[float, float]:
        """``pos`` in the coordinates of the pane it falls in."""
        for pane in self._panes():
            if pos.x() <= pane.right():
                return pos.x() - pane.left(), pos.y() - pane.top()
        pane = self._panes()[-1]
        return pos.x() - pane.left(), pos.y() - pane.top()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._update_viewport()
        super().resizeEvent(event)

    # Painting -----------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), _BACKGROUND)
        if self._original is None:
            self._paint_empty(painter)
            return
        # Smooth when shrinking; crisp pixels when zoomed in to inspect detail.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 2.0)
        colorized = self._colorized
        if self._showing_original or colorized is None and self._mode == ViewMode.SINGLE:
            self._paint_image(painter, self._panes()[0], self._original)
            self._paint_badge(painter, "Original", left=True)
        elif self._mode == ViewMode.SPLIT:
            self._paint_split(painter, colorized)
        elif self._mode == ViewMode.SIDE_BY_SIDE:
            left, right = self._panes()
            self._paint_image(painter, left, self._original)
            self._paint_image(painter, right, colorized or self._original)
            self._paint_badge(painter, "Original", left=True)
            self._paint_badge(painter, "Colorized", left=False)
        else:
            self._paint_image(painter, self._panes()[0], colorized)
            self._paint_badge(painter, "Colorized", left=True)
        if self._hint_marks and not self._showing_original:
            self._paint_hint_marks(painter)
        if self._note and not self._showing_original:
            self._paint_note(painter, self.shown_note())
        if self._crosshair is not None and self._hint_mode and not self._showing_original:
            self._paint_crosshair(painter, self._crosshair_point())
        if self._keyboard_focus and self.hasFocus():
            self._paint_focus_frame(painter)
        painter.end()

    def _paint_crosshair(self, painter: QPainter, at: QPointF) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for pen in (QPen(QColor(0, 0, 0, 160), 4), QPen(QColor(255, 255, 255, 235), 2)):
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(at, 9.0, 9.0)
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                painter.drawLine(at + QPointF(dx * 5, dy * 5), at + QPointF(dx * 16, dy * 16))
        painter.restore()

    def _paint_focus_frame(self, painter: QPainter) -> None:
        painter.save()
        painter.setPen(QPen(self.palette().color(self.palette().ColorRole.Highlight), 2))
        painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        painter.restore()

    def _paint_split(self, painter: QPainter, colorized: QPixmap | None) -> None:
        pane = self._panes()[0]
        x = self.divider_x()
        painter.save()
        painter.setClipRect(QRectF(0, 0, x, self.height()))
        self._paint_image(painter, pane, self._original)
        painter.restore()
        painter.save()
        painter.setClipRect(QRectF(x, 0, self.width() - x, self.height()))
        self._paint_image(painter, pane, colorized or self._original)
        painter.restore()
        self._paint_handle(painter, x)
        self._paint_badge(painter, "Original", left=True)
        self._paint_badge(painter, "Colorized", left=False)

    def _paint_image(self, painter: QPainter, pane: QRectF, pixmap: QPixmap) -> None:
        x, y, w, h = self._transform.image_rect()
        target = QRectF(pane.left() + x, pane.top() + y, w, h)
        painter.save()
        painter.setClipRect(pane, Qt.ClipOperation.IntersectClip)
        painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
        painter.restore()

    def photo_point(self, rx: float, ry: float) -> QPoint:
        """Where (rx, ry) of the photo (0..1 each) is on the screen, in the colorized
        pane (the right one side by side)."""
        width, height = self._transform.image_size
        pane = self._panes()[-1]
        x, y = self._transform.map_from_image(rx * width, ry * height)
        return self.mapToGlobal(QPointF(pane.left() + x, pane.top() + y)).toPoint()

    def _paint_hint_marks(self, painter: QPainter) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width, height = self._transform.image_size
        for pane in self._panes():
            painter.setClipRect(pane)
            for rx, ry, color in self._hint_marks:
                x, y = self._transform.map_from_image(rx * width, ry * height)
                paint_hint_dot(painter, QPointF(pane.left() + x, pane.top() + y), color, 6.0)
        painter.restore()

    def _paint_handle(self, painter: QPainter, x: float) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        h = self.height()
        painter.setPen(QPen(QColor(0, 0, 0, 110), 4))
        painter.drawLine(QPointF(x, 0), QPointF(x, h))
        painter.setPen(QPen(QColor(255, 255, 255, 235), 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, h))
        center = QPointF(x, h / 2)
        radius = 16.0
        painter.setBrush(QColor(255, 255, 255, 235))
        painter.setPen(QPen(QColor(0, 0, 0, 90), 1))
        painter.drawEllipse(center, radius, radius)
        painter.setBrush(QColor(40, 40, 40))
        painter.setPen(Qt.PenStyle.NoPen)
        for sign in (-1, 1):
            tip = center.x() + sign * 10
            base = center.x() + sign * 3
            painter.drawPolygon(QPolygonF([
                QPointF(tip, center.y()), QPointF(base, center.y() - 5), QPointF(base, center.y() + 5),
            ]))
        painter.restore()

    def _paint_badge(self, painter: QPainter, text: str, left: bool) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, font.pointSizeF() * 0.95))
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        pad_x, pad_y, margin = 8, 4, 10
        width = metrics.horizontalAdvance(text) + 2 * pad_x
        height = metrics.height() + 2 * pad_y
        x = margin if left else self.width() - margin - width
        rect = QRectF(x, margin, width, height)
        path = QPainterPath()
        path.addRoundedRect(rect, height / 2, height / 2)
        painter.fillPath(path, QColor(0, 0, 0, 150))
        painter.setPen(QColor(240, 240, 240))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def _paint_note(self, painter: QPainter, text: str) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        width = metrics.horizontalAdvance(text) + 2 * _NOTE_PAD
        height = metrics.height() + 12
        rect = QRectF((self.width() - width) / 2, self.height() - height - _NOTE_MARGIN, width, height)
        path = QPainterPath()
        path.addRoundedRect(rect, 6, 6)
        painter.fillPath(path, QColor(0, 0, 0, 170))
        painter.setPen(QColor(240, 240, 240))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def _paint_empty(self, painter: QPainter) -> None:
        painter.setPen(QColor(150, 150, 155))
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        painter.setFont(font)
        painter.drawText(self.rect().adjusted(24, 24, -24, -24),
                         Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_message)
        painter.end()

    # Mouse and keys ------------------------------------------------------------
    def _on_handle(self, pos: QPointF) -> bool:
        return (self._mode == ViewMode.SPLIT and self._original is not None
                and not self._showing_original
                and abs(pos.x() - self.divider_x()) <= _HANDLE_GRAB)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if event.button() == Qt.MouseButton.LeftButton and self._on_handle(pos):
            self._drag = "divider"
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            self._drag = "pan"
            self._drag_last = pos
            self._press_pos = pos if event.button() == Qt.MouseButton.LeftButton else None
            if self._hint_mode:
                pass  # a click asks for a hint (on release); no "hold for the original"
            elif event.button() == Qt.MouseButton.LeftButton and self._mode == ViewMode.SINGLE:
                self._held_by_mouse = True
                self.set_showing_original(True)
            if not self._transform.fit:
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
        else:
            super().mousePressEvent(event)
            return
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag == "divider":
            self.set_divider(pos.x() / max(1, self.width()))
        elif self._drag == "pan":
            delta = pos - self._drag_last
            self._drag_last = pos
            self._transform.pan_by(delta.x(), delta.y())
            self.update()
        elif self._on_handle(pos):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self._hint_mode:
            self.setCursor(Qt.CursorShape.CrossCursor)
        elif self._original is not None and not self._transform.fit:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag == "divider":
            self.set_divider(pos.x() / max(1, self.width()))
        clicked = (self._hint_mode and self._drag == "pan" and self._press_pos is not None
                   and (pos - self._press_pos).manhattanLength() <= _CLICK_SLOP)
        self._drag = None
        self._press_pos = None
        if self._held_by_mouse:
            self._held_by_mouse = False
            self.set_showing_original(False)
        self.set_hint_mode(self._hint_mode)  # back to its cursor, or none
        event.accept()
        point = self._image_point(pos) if clicked else None
        if point is not None:
            self.hint_requested.emit(*point)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._on_handle(event.position()):
            self.set_divider(0.5)
        elif self._transform.fit:
            self.zoom_actual()
        else:
            self.zoom_fit()
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self._original is None:
            return
        steps = event.angleDelta().y() / 120.0
        if not steps:
            return
        self._transform.zoom_by(math.pow(1.2, steps), self._pane_point(event.position()))
        self._zoomed()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        arrows = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        if key == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self.set_showing_original(True)
            event.accept()
        elif key in arrows and self._original is not None:
            self._arrow(*arrows[key], bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
            event.accept()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus) and self._original is not None:
            # In the photo, + and - zoom without Ctrl, as in most photo viewers (= is + unshifted).
            self.zoom_out() if key == Qt.Key.Key_Minus else self.zoom_in()
            event.accept()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._hint_mode and self._original is not None:
            point = self._image_point(self._crosshair_point())
            if point is not None:
                self.hint_requested.emit(*point)
            event.accept()
        else:
            super().keyPressEvent(event)

    def _arrow(self, dx: int, dy: int, shift: bool) -> None:
        """One arrow key press: move the hint crosshair, the divider, or the photo."""
        pane = self._panes()[-1]
        if self._hint_mode:
            step = 32.0 if shift else 8.0
            self._crosshair = self._crosshair_point() + QPointF(dx * step, dy * step)
            self._crosshair = self._crosshair_point()  # kept inside the view
        elif self._mode == ViewMode.SPLIT and dx and (shift or self._transform.fit):
            self.set_divider(self._divider + dx * 0.05)
        elif not self._transform.fit:
            share = 0.4 if shift else 0.1  # of the pane, like a scroll bar's step
            self._transform.pan_by(-dx * pane.width() * share, -dy * pane.height() * share)
        self.update()

    def _crosshair_point(self) -> QPointF:
        """Where Enter puts a hint: the crosshair (kept inside the view, which may
        have shrunk since), first at the middle of the (colorized) pane."""
        if self._crosshair is None:
            return self._panes()[-1].center()
        return QPointF(min(max(self._crosshair.x(), 0.0), self.width() - 1.0),
                       min(max(self._crosshair.y(), 0.0), self.height() - 1.0))

    def focusInEvent(self, event: QFocusEvent) -> None:
        self._keyboard_focus = event.reason() in (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason,
                                                  Qt.FocusReason.ShortcutFocusReason) or \
            (event.reason() == Qt.FocusReason.ActiveWindowFocusReason and self._keyboard_focus)
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        if event.reason() != Qt.FocusReason.ActiveWindowFocusReason:  # back with its frame after Alt+Tab
            self._keyboard_focus = False
        self.update()
        super().focusOutEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self.set_showing_original(False)
            event.accept()
        else:
            super().keyReleaseEvent(event)
