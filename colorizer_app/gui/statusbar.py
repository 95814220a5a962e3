"""The status bar: messages on the left; job progress, model and device on the right."""

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget


class ElidedLabel(QLabel):
    """One line that gives way: a long photo or model name is shortened with "…"
    in the middle instead of widening the window past a small screen."""

    def __init__(self, parent: QWidget | None = None, max_chars: int = 48) -> None:
        super().__init__(parent)
        self._full = ""
        self._max_chars = max_chars
        self._tip = ""
        self.setTextFormat(Qt.TextFormat.PlainText)  # a file name with <b> in it is not markup

    def setToolTip(self, tip: str) -> None:  # noqa: N802 (Qt's name)
        """What the label is; when shortened, the whole text is shown above it."""
        self._tip = tip
        self._elide()

    def full_text(self) -> str:
        return self._full

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = " ".join(text.splitlines())  # one line: an error's own line breaks would make the bar taller
        self.updateGeometry()
        self._elide()

    def sizeHint(self) -> QSize:  # noqa: N802
        metrics = self.fontMetrics()
        wanted = min(metrics.horizontalAdvance(self._full), metrics.averageCharWidth() * self._max_chars)
        return QSize(wanted + 4, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.fontMetrics().horizontalAdvance("M…M"), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, self.width())
        super().setText(shown)
        super().setToolTip("\n".join(t for t in (self._full if shown != self._full else "", self._tip) if t))


class StatusBar(QStatusBar):
    """Shows what the app is doing; the window feeds it, it decides nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Messages go in a label of our own rather than QStatusBar's, which cuts a long
        # one off mid-word: this one gives way in the middle, and its tooltip has it all.
        self._message_label = ElidedLabel(self, max_chars=400)
        self._message_label.setObjectName("message")
        self.addWidget(self._message_label, 1)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(lambda: self._message_label.setText(""))
        self._job_label = ElidedLabel(self)
        self._job_bar = QProgressBar(self)
        self._job_bar.setMaximumWidth(140)
        self._job_bar.setMaximumHeight(14)
        self._job_bar.setTextVisible(False)
        self._model_label = ElidedLabel(self, max_chars=32)
        self._device_label = QLabel(self)
        self._model_label.setToolTip("The model the shown result was made with")
        self._device_label.setToolTip("Where colorizing runs")
        for widget in (self._job_label, self._job_bar, self._model_label, self._device_label):
            self.addPermanentWidget(widget)
        self.set_model("")
        self.set_device("")
        self.clear_job()

    @property
    def model_text(self) -> str:
        return self._model_label.full_text()

    @property
    def job_text(self) -> str:
        """The running job on show ("Exporting 3 / 10"); "" when none."""
        return self._job_label.full_text() if not self._job_label.isHidden() else ""

    @property
    def device_text(self) -> str:
        return self._device_label.text()

    def set_device(self, text: str) -> None:
        self._device_label.setText(f"Device: {text or 'starting…'}")

    def set_model(self, name: str) -> None:
        self._model_label.setText(f"Model: {name or '—'}")

    def set_job(self, text: str, done: int | None = None, total: int | None = None) -> None:
        """Show a running job; with done/total a proportion, else a busy bar."""
        self._job_label.setText(text)
        if total:
            self._job_bar.setRange(0, total)
            self._job_bar.setValue(done or 0)
        else:
            self._job_bar.setRange(0, 0)
        self._job_label.show()
        self._job_bar.show()

    def clear_job(self) -> None:
        self._job_label.hide()
        self._job_bar.hide()
        self._job_label.setText("")

    def currentMessage(self) -> str:  # noqa: N802 (Qt's name)
        """The message on show, whole, also when the bar shows it shortened."""
        return self._message_label.full_text()

    def show_info(self, text: str, timeout_ms: int = 5000) -> None:
        self._message_label.setText(text)
        if timeout_ms:
            self._message_timer.start(timeout_ms)
        else:
            self._message_timer.stop()

    def show_error(self, text: str) -> None:
        """Errors stay until the next message: a person should get to read them."""
        self.show_info(f"⚠ {text}", 0)
