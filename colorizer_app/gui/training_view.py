"""The run panel of the Training tab: state, speed and time left, loss and validation
curves, the latest validation samples (gray | model | truth), Pause/Continue and Stop,
and why a run failed. It follows a live ``TrainingProcess`` or shows a past run."""

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QColorSpace, QImage, QImageReader, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton,
    QSizePolicy, QVBoxLayout, QWidget,
)

from colorizer_app.gui import training_pids
from colorizer_app.gui.training_events import VAL_METRICS, RunHistory
from colorizer_app.gui.training_plot import COLORS, CurvePlot, Series, smoothed
from colorizer_app.gui.training_process import TrainingProcess

STATE_TEXT = {
    "idle": "",
    "starting": "Starting: loading the photos…",
    "running": "Training",
    "paused": "Paused",
    "stopping": "Stopping…",
    "finished": "Finished",
    "failed": "Failed",
    "stopped": "Stopped: resume it from the list of runs",
}


def format_duration(seconds: float | None) -> str:
    """'about 25 min', 'about 1 h 5 min', 'under a minute'; '' when unknown."""
    if seconds is None:
        return ""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    return f"about {minutes // 60} h {minutes % 60} min"


def stats_text(history: RunHistory, state: str) -> str:
    """One line: iteration, epoch, speed and time left."""
    if not history.iteration and not history.loss:
        return ""
    parts = [f"Iteration {history.iteration:,}", f"epoch {history.epoch:.1f}"]
    if history.img_per_s:
        parts.append(f"{history.img_per_s:.1f} images/s")
    if state in ("running", "starting") and history.eta_s is not None:
        parts.append(f"{format_duration(history.eta_s)} left")
    return " · ".join(parts)


def details_text(history: RunHistory) -> str:
    parts = []
    if history.device:
        parts.append("GPU" if history.device.startswith("cuda") else history.device.upper())
    if history.train_photos:
        parts.append(f"{history.train_photos:,} training photos, {history.val_photos:,} for validation")
    data = history.config.get("data")
    if data:
        parts.append(f"from {data}")
    return " · ".join(parts)


class RunView(QWidget):
    """Shows one run. Display and forward: Pause/Stop go to the followed process.

    Signals:
        stop_requested(): Stop was clicked (the owner stops the process).
    """

    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._process: TrainingProcess | None = None
        self._history = RunHistory()
        self._state = "idle"
        self._preview_path = ""
        self._preview_stamp = 0.0
        self._preview = QPixmap()
        self._create_widgets()
        self.show_history("", self._history, "idle")

    def _create_widgets(self) -> None:
        self._title = QLabel(self)
        font = self._title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self._title.setFont(font)
        self._state_label = QLabel(self)
        self._state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._pause_button = QPushButton("P&ause", self)
        self._pause_button.clicked.connect(self._toggle_pause)
        if not training_pids.CAN_PAUSE:
            self._pause_button.setToolTip("Pausing is not available on Windows: "
                                          "stop the run and resume it later from its checkpoint")
        else:
            self._pause_button.setToolTip("Suspend the training process; paused time does not "
                                          "count toward the time budget")
        self._stop_button = QPushButton("St&op", self)
        self._stop_button.setToolTip("End the run; it keeps its last checkpoint and can be resumed")
        self._stop_button.clicked.connect(self.stop_requested)

        self._progress = QProgressBar(self)
        self._progress.setRange(0, 1000)
        self._progress.setTextVisible(False)
        self._progress.setFixedHeight(8)
        self._stats = QLabel(self)
        self._details = QLabel(self)
        self._details.setWordWrap(True)
        self._details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._loss_plot = CurvePlot("Loss", self)
        self._loss_plot.set_placeholder("The loss curve appears with the first iterations")
        self._metric_combo = QComboBox(self)
        for key, (label, _better) in VAL_METRICS.items():
            self._metric_combo.addItem(label, key)
        self._metric_combo.setToolTip("Validation metric to plot (measured on the held-out photos)")
        self._metric_combo.currentIndexChanged.connect(self._refresh_plots)
        self._val_plot = CurvePlot("", self)
        self._val_plot.set_placeholder("Validation metrics appear after the first evaluation")

        self._preview_label = QLabel(self)
        self._preview_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._preview_label.setMinimumSize(180, 200)
        self._preview_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._preview_caption = QLabel("Validation samples: gray | model | truth", self)
        self._preview_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._preview_caption.setWordWrap(True)

        self._message = QPlainTextEdit(self)
        self._message.setReadOnly(True)
        self._message.setAccessibleName("Messages")
        self._message.setMaximumHeight(150)
        self._message.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self._message.hide()

        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self._title)
        titles.addWidget(self._state_label)
        header.addLayout(titles, 1)
        header.addWidget(self._pause_button)
        header.addWidget(self._stop_button)

        metric_row = QHBoxLayout()
        metric_label = QLabel("Validation:", self)
        metric_label.setBuddy(self._metric_combo)
        metric_row.addWidget(metric_label)
        metric_row.addWidget(self._metric_combo)
        metric_row.addStretch(1)

        plots = QVBoxLayout()
        plots.addWidget(self._loss_plot, 1)
        plots.addLayout(metric_row)
        plots.addWidget(self._val_plot, 1)

        preview = QVBoxLayout()
        preview.addWidget(self._preview_label, 1)
        preview.addWidget(self._preview_caption)

        body = QGridLayout()
        body.addLayout(plots, 0, 0)
        body.addLayout(preview, 0, 1)
        body.setColumnStretch(0, 3)
        body.setColumnStretch(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self._progress)
        layout.addWidget(self._stats)
        layout.addWidget(self._details)
        layout.addLayout(body, 1)
        layout.addWidget(self._message)

    # Public API --------------------------------------------------------------
    @property
    def loss_plot(self) -> CurvePlot:
        return self._loss_plot

    @property
    def val_plot(self) -> CurvePlot:
        return self._val_plot

    @property
    def pause_button(self) -> QPushButton:
        return self._pause_button

    @property
    def stop_button(self) -> QPushButton:
        return self._stop_button

    @property
    def state_text(self) -> str:
        return self._state_label.text()

    @property
    def stats_text(self) -> str:
        return self._stats.text()

    @property
    def preview_caption(self) -> str:
        return self._preview_caption.text()

    @property
    def message(self) -> str:
        return self._message.toPlainText()

    @property
    def preview(self) -> QPixmap:
        return self._preview

    @property
    def process(self) -> TrainingProcess | None:
        return self._process

    def follow(self, process: TrainingProcess | None) -> None:
        """Show a live run (None: nothing)."""
        if self._process is not None:
            self._process.events_arrived.disconnect(self._on_events)
            self._process.state_changed.disconnect(self._on_state)
            self._process.ended.disconnect(self._on_ended)
        self._process = process
        if process is None:
            self.show_history("", RunHistory(), "idle")
            return
        process.events_arrived.connect(self._on_events)
        process.state_changed.connect(self._on_state)
        process.ended.connect(self._on_ended)
        self.show_history(process.name, process.history, process.state, process.message)

    def show_history(self, name: str, history: RunHistory, state: str, message: str = "") -> None:
        """Show a run's curves and state (a past run, or the followed one)."""
        self._title.setText(name or "No run yet")
        self._history = history
        self._preview_path = ""
        self._preview = QPixmap()
        self._preview_label.clear()
        self._set_message(message)
        self._on_state(state)
        self._refresh()

    # Slots ---------------------------------------------------------------------
    @Slot(list)
    def _on_events(self, events: list) -> None:
        self._refresh()

    @Slot(str)
    def _on_state(self, state: str) -> None:
        self._state = state
        renewed = self._process is not None and self._history is not self._process.history
        if self._process is not None:
            self._history = self._process.history
        text = STATE_TEXT.get(state, state)
        if state == "finished" and self._history.exported:
            text = f"Finished: model {Path(self._history.exported).stem} is in your models folder"
        self._state_label.setText(text)
        self._update_buttons()
        if renewed:  # a (re)start read the run's earlier curves: show them while it loads its photos
            self._refresh()
        else:
            self._refresh_stats()

    @Slot(str, str)
    def _on_ended(self, status: str, message: str) -> None:
        self._set_message(message)
        self._on_state(status)

    @Slot()
    def _toggle_pause(self) -> None:
        if self._process is None:
            return
        if self._state == "paused":
            self._process.resume()
        else:
            self._process.pause()

    # Drawing -------------------------------------------------------------------
    def _refresh(self) -> None:
        if self._process is not None:
            self._history = self._process.history  # a (re)start makes a new one
        self._refresh_stats()
        self._refresh_plots()
        self._refresh_preview()

    def _refresh_stats(self) -> None:
        h = self._history
        progress = 1.0 if self._state == "finished" else min(max(h.progress, 0.0), 1.0)
        self._progress.setValue(round(progress * 1000))
        self._stats.setText(stats_text(h, self._state))
        self._details.setText(details_text(h))

    @Slot()
    def _refresh_plots(self) -> None:
        h = self._history
        step_color = QColor(COLORS["gray"])
        step_color.setAlpha(110)
        self._loss_plot.set_series([
            Series("training", h.loss, step_color, 1.0, in_legend=False),
            Series("training (smoothed)", smoothed(h.loss), COLORS["blue"], 2.0),
            Series("validation", h.val["loss"], COLORS["orange"], 1.6, markers=True),
        ])
        key = self._metric_combo.currentData()
        label, better = VAL_METRICS[key]
        hint = {True: " (higher is better)", False: " (lower is better)", None: " (0 is best)"}[better]
        self._val_plot.set_title(label + hint)
        self._val_plot.set_percent(key == "colorfulness_gap")
        self._val_plot.set_series([Series(label, h.val[key], COLORS["green"], 1.8, markers=True, in_legend=False)])

    def _refresh_preview(self) -> None:
        path = self._history.preview
        if path and not Path(path).is_file() and self._process is not None:
            path = str(self._process.run_dir / "previews" / "latest.png")
        try:
            stamp = Path(path).stat().st_mtime if path else 0.0
        except OSError:
            stamp = 0.0
        if not path or (path == self._preview_path and stamp == self._preview_stamp):
            return
        image = _read_image(path)
        if image.isNull():
            return
        self._preview_path, self._preview_stamp = path, stamp
        self._preview = QPixmap.fromImage(image)
        it = self._history.val["loss"][-1][0] if self._history.val["loss"] else self._history.iteration
        self._preview_caption.setText(f"Validation samples at iteration {it:,}: gray | model | truth")
        self._show_preview()

    def _show_preview(self) -> None:
        if self._preview.isNull():
            return
        # Scaled for the screen's pixels, not the label's logical size: at 200% the
        # samples would otherwise be drawn at half their resolution and stretched.
        ratio = self._preview_label.devicePixelRatioF()
        size = (self._preview_label.size() - QSize(4, 4)) * ratio
        scaled = self._preview.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation)
        scaled.setDevicePixelRatio(ratio)
        self._preview_label.setPixmap(scaled)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_preview()

    def _set_message(self, message: str) -> None:
        self._message.setPlainText(message)
        self._message.setVisible(bool(message))

    def _update_buttons(self) -> None:
        live = self._process is not None and self._state in ("starting", "running", "paused")
        self._pause_button.setEnabled(live and training_pids.CAN_PAUSE)
        self._pause_button.setText("Contin&ue" if self._state == "paused" else "P&ause")
        self._stop_button.setEnabled(live)
        self._pause_button.setVisible(self._process is not None)
        self._stop_button.setVisible(self._process is not None)


def _read_image(path: str) -> QImage:
    """A preview PNG, oriented and in sRGB (small: read on the GUI thread)."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    image = reader.read()
    if not image.isNull() and image.colorSpace().isValid() and image.colorSpace() != QColorSpace.NamedColorSpace.SRgb:
        image.convertToColorSpace(QColorSpace(QColorSpace.NamedColorSpace.SRgb))
    return image
