"""Counting the photos of a folder off the GUI thread (a NAS folder can take seconds).

The newest request wins: an older count still walking stops at its next folder.
Counts run on the global QThreadPool rather than a thread of the counter's own: a
dialog can go at any moment (closed, or deleted with its parent) and no thread is
then left to be destroyed while it runs; the pool waits for its jobs when the
application ends, and a cancelled count ends at its next folder.
"""

import threading

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from colorizer_app.gui.training_form import count_photos


class _Done(QObject):
    """A job's own sender: its signal reaches the counter on the GUI thread, or, if
    the counter is gone, nobody (the connection went with it)."""

    counted = Signal(str, int, int)  # folder, count, request number


class _CountJob(QRunnable):
    def __init__(self, folder: str, seq: int, latest: list[int], lock: threading.Lock) -> None:
        super().__init__()
        self.done = _Done()
        self._folder, self._seq, self._latest, self._lock = folder, seq, latest, lock

    def _cancelled(self) -> bool:
        with self._lock:
            return self._latest[0] != self._seq

    def run(self) -> None:
        count = count_photos(self._folder, cancelled=self._cancelled)
        if count is not None and not self._cancelled():
            try:
                self.done.counted.emit(self._folder, count, self._seq)
            except RuntimeError:  # the app is shutting down
                pass


class PhotoCounter(QObject):
    """Counts photo files under a folder without blocking the GUI.

    Signals:
        counted(str, int): the folder asked for last, and its number of photo files.
    """

    counted = Signal(str, int)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool if pool is not None else QThreadPool.globalInstance()
        self._lock = threading.Lock()
        self._latest = [0]  # shared with the jobs: the newest request's number

    def count(self, folder: str) -> None:
        with self._lock:
            self._latest[0] += 1
            seq = self._latest[0]
        job = _CountJob(folder, seq, self._latest, self._lock)
        job.done.counted.connect(self._on_counted)
        self._pool.start(job)

    def stop(self) -> None:
        """Cancel any count (it ends at its next folder)."""
        with self._lock:
            self._latest[0] = -1

    @Slot(str, int, int)
    def _on_counted(self, folder: str, count: int, seq: int) -> None:
        with self._lock:
            current = self._latest[0]
        if seq == current:
            self.counted.emit(folder, count)
