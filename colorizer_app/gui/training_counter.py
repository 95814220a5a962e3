"""Counting the photos of a folder on a thread of its own (a NAS folder can take seconds).

The newest request wins: an older count still walking stops at its next folder.
"""

from PySide6.QtCore import QObject, QThread, Signal, Slot

from colorizer_app.gui.training_form import count_photos


class _CountWorker(QObject):
    """Lives on the counter's thread; its slot runs there."""

    counted = Signal(str, int, int)  # folder, count, request number

    def __init__(self) -> None:
        super().__init__()
        self.latest = 0  # written by the GUI thread: the newest request's number

    @Slot(str, int)
    def count(self, folder: str, seq: int) -> None:
        if seq != self.latest:
            return
        count = count_photos(folder, cancelled=lambda: seq != self.latest)
        if count is not None:
            self.counted.emit(folder, count, seq)


class PhotoCounter(QObject):
    """Counts photo files under a folder without blocking the GUI.

    Signals:
        counted(str, int): the folder asked for last, and its number of photo files.
    """

    counted = Signal(str, int)
    _requested = Signal(str, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._seq = 0
        self._thread = QThread()
        self._thread.setObjectName("photo-counter")
        self._worker = _CountWorker()
        self._worker.moveToThread(self._thread)
        self._requested.connect(self._worker.count)
        self._worker.counted.connect(self._on_counted)
        self._thread.finished.connect(self._worker.deleteLater)
        self._thread.start()

    def count(self, folder: str) -> None:
        self._seq += 1
        self._worker.latest = self._seq
        self._requested.emit(folder, self._seq)

    def stop(self) -> None:
        """Cancel any count and wait for the thread (call before the owner goes)."""
        if self._thread.isRunning():
            self._worker.latest = -1
            self._thread.quit()
            self._thread.wait()

    @Slot(str, int, int)
    def _on_counted(self, folder: str, count: int, seq: int) -> None:
        if seq == self._seq:
            self.counted.emit(folder, count)
