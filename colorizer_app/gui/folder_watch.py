"""Say when the photos of the open folder change on disk, so the grid follows."""

import os

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot


class FolderWatch(QObject):
    """Watches one folder; ``changed`` is emitted at most once per interval.

    Changes come in bursts (a copy of a hundred scans, an export writing into the
    folder): the first change starts the interval and the rest of the burst is
    folded into it, so the folder is listed once a second, not once per file.

    Signals:
        changed(): files in the folder were added, removed, renamed or replaced,
            or the folder itself went away.
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None, interval_ms: int = 1000) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_directory_changed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.changed)

    def watch(self, folder: str | os.PathLike) -> bool:
        """Watch ``folder`` instead of the one before; False if the system refused
        (a full inotify table, a folder gone): then F5 is the way to relist it."""
        self.stop()
        return self._watcher.addPath(os.fspath(folder))

    def stop(self) -> None:
        self._timer.stop()
        if self._watcher.directories():
            self._watcher.removePaths(self._watcher.directories())

    @Slot(str)
    def _on_directory_changed(self, _folder: str) -> None:
        if not self._timer.isActive():
            self._timer.start()
