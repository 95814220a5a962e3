"""Say when the photos of the open folder change on disk, so the grid follows."""

import contextlib
import os
from collections.abc import Iterator

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot


class FolderWatch(QObject):
    """Watches one folder, and the photo on show in it; ``changed`` is emitted at
    most once per interval.

    Changes come in bursts (a copy of a hundred scans, an export writing into the
    folder): the first change starts the interval and the rest of the burst is
    folded into it, so the folder is listed once a second, not once per file. The
    folder's own watch reports files added, removed, renamed or replaced (an editor
    that saves by rename); the photo's watch also reports it being written over in
    place, which the folder's does not.

    Signals:
        changed(): something in the folder changed, or the folder itself went away.
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None, interval_ms: int = 1000) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_change)
        self._watcher.fileChanged.connect(self._on_change)
        self._interval = interval_ms
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)
        self._held = 0
        self._missed = False

    def watch(self, folder: str | os.PathLike) -> bool:
        """Watch ``folder`` instead of the one before, and the folder it is in: a
        folder's own watch does not see it moved, renamed or put in the trash, nor
        folders made next to it. False if the system refused (a full inotify table,
        a folder gone): then F5 is the way to relist it."""
        self.stop()
        folder = os.path.abspath(os.fspath(folder))
        parent = os.path.dirname(folder)
        if parent != folder:
            self._watcher.addPath(parent)
        return self._watcher.addPath(folder)

    def follow_photo(self, path: str | os.PathLike) -> None:
        """Watch this file too (the photo on show), instead of the one before."""
        if self._watcher.files():
            self._watcher.removePaths(self._watcher.files())
        if path:
            self._watcher.addPath(os.fspath(path))

    def check_again_soon(self, delay_ms: int = 3000) -> None:
        """Emit ``changed`` once more after a while, changes or not: a file still being
        copied in when the folder was listed is read again once it is whole."""
        if not self._timer.isActive() or self._timer.remainingTime() < delay_ms:
            self._timer.start(delay_ms)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """No ``changed`` while a dialog is open about the photo on show (Save As, a
        hint's color): the photo must not be swapped under it. What changed
        meanwhile is told once the dialog closes."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._missed:
                self._missed = False
                self._timer.start(0)

    def stop(self) -> None:
        self._timer.stop()
        for paths in (self._watcher.directories(), self._watcher.files()):
            if paths:
                self._watcher.removePaths(paths)

    @Slot(str)
    def _on_change(self, _path: str) -> None:
        if not self._timer.isActive():
            self._timer.start(self._interval)

    @Slot()
    def _fire(self) -> None:
        if self._held:
            self._missed = True
        else:
            self.changed.emit()
