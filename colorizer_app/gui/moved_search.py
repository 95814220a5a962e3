"""Finds a folder's photos that had color hints at another path, off the GUI thread."""

from collections.abc import Iterable

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from colorizer_app.core.hintstore import MovedPhotos


class MovedPhotoSearch(QObject):
    """Looks through a folder's photos for ones moved or renamed since hints were set.

    Every file whose size matches a moved photo's is read to the end (its fingerprint),
    which for a folder of large scans takes seconds, so it runs on a thread of its own
    and the folder is listed at once. A newer search makes an older one stop and its
    result is dropped.

    Signals:
        found(object): {path: fingerprint} of the moved photos among the paths searched
            (emitted only when there is at least one).
    """

    found = Signal(object)
    _searched = Signal(int, object)  # generation, matches: from the pool thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._generation = 0
        self._searched.connect(self._on_searched)

    def search(self, paths: Iterable[str], moved: MovedPhotos) -> None:
        self._generation += 1
        if not len(moved):
            return
        generation, paths = self._generation, list(paths)

        def run() -> None:
            matches = {}
            for path in paths:
                if generation != self._generation:
                    return  # superseded (another folder, or the window closing)
                fingerprint = moved.match(path)
                if fingerprint is not None:
                    matches[path] = fingerprint
            if matches:
                self._searched.emit(generation, matches)

        self._pool.start(run)

    def shutdown(self) -> None:
        """Stop a search under way and wait for its thread (call before the app quits)."""
        self._generation += 1
        self._pool.waitForDone()

    @Slot(int, object)
    def _on_searched(self, generation: int, matches: dict) -> None:
        if generation == self._generation:
            self.found.emit(matches)
