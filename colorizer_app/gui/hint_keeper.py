"""Every photo's color hints while the app runs: set, undone and cleared per photo,
kept in hints.json for the next session, and found again for photos moved since."""

import os

from PySide6.QtCore import QObject, Signal, Slot

from colorizer_app.core.hints import Hint
from colorizer_app.core.hintstore import Fingerprint, HintIndex, HintStore, PhotoHints
from colorizer_app.gui.moved_search import MovedPhotoSearch


class HintKeeper(QObject):
    """The hints of every photo, by path, each with the color the person picked.

    Every change is written to the hints file at once (``core.hintstore``). Hints of
    photos that were moved or renamed since they were set (in an earlier session or
    in this one) come back when their new folder is searched (``search_moved``, in
    the background) or the photo is opened (``find_moved``).

    Signals:
        changed(): some photo's hints changed (set, undone, cleared, or back after a move).
        moved_found(object): {new path: old path} of photos whose hints came back.
        save_failed(str): the file could not be written (the hints are still in use).
    """

    changed = Signal()
    moved_found = Signal(object)
    save_failed = Signal(str)

    def __init__(self, path: str | os.PathLike, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = HintStore(path)
        self._marks, self.load_problem = self._store.load()  # per photo: [(hint, picked rgb)]
        self._search = MovedPhotoSearch(self)
        self._search.found.connect(self._take_moved)

    def save_if_stale(self) -> None:
        """Write the file again if photos were retouched since it was written, so that
        their hints follow a later move (their fingerprints are taken again)."""
        if self._store.needs_save:
            self._save()

    def marks(self, photo: str) -> PhotoHints:
        """The photo's hints, each with its picked sRGB color, in the order they were set."""
        return list(self._marks.get(photo, []))

    def hints(self, photo: str) -> tuple[Hint, ...]:
        return tuple(hint for hint, _ in self._marks.get(photo, []))

    def first_colors(self) -> dict[str, tuple[int, int, int]]:
        """Each photo with hints: the color of its first one (the thumbnail's mark)."""
        return {photo: marks[0][1] for photo, marks in self._marks.items() if marks}

    def index(self) -> HintIndex:
        """A snapshot for a batch on another thread (moved photos included)."""
        return HintIndex(self._marks, self._store.moved)

    def add(self, photo: str, x: float, y: float, rgb: tuple[int, int, int]) -> None:
        self._marks.setdefault(photo, []).append((Hint.from_rgb(x, y, rgb), rgb))
        self._save()

    def undo(self, photo: str) -> bool:
        """Remove the photo's last hint; False if it has none."""
        marks = self._marks.get(photo)
        if not marks:
            return False
        marks.pop()
        if not marks:
            del self._marks[photo]
        self._save()
        return True

    def clear(self, photo: str) -> bool:
        """Remove all the photo's hints; False if it has none."""
        if not self._marks.pop(photo, None):
            return False
        self._save()
        return True

    def search_moved(self, paths: list[str]) -> None:
        """Look for moved photos among `paths` in the background (a newer search replaces it)."""
        self._release_missing()
        self._search.search(paths, self._store.moved)

    def find_moved(self, photo: str) -> None:
        """Look at once whether `photo` is a moved photo (it is being opened). Photos
        renamed in this session were released when its folder was listed (search_moved)."""
        if photo not in self._marks:
            found = self._store.moved.match(photo)
            if found is not None:
                self._take_moved({photo: found})

    def shutdown(self) -> None:
        """Stop a search under way (call before the app quits)."""
        self._search.shutdown()

    def _release_missing(self) -> None:
        """Photos renamed or moved since this session set or found their hints become
        moved photos, to be found again where they are now (a stat per hinted photo:
        once per folder listed, not per photo opened)."""
        gone = self._store.release_missing(self._marks)
        for photo in gone:
            del self._marks[photo]
        if gone:
            self._save()

    @Slot(object)
    def _take_moved(self, matches: dict[str, Fingerprint]) -> None:
        taken = self._store.take_moved({path: fp for path, fp in matches.items() if path not in self._marks})
        if not taken:
            return
        for path, (_, marks) in taken.items():
            self._marks[path] = list(marks)
        self._save()
        self.moved_found.emit({path: old_path for path, (old_path, _) in taken.items()})

    def _save(self) -> None:
        try:
            self._store.save(self._marks)
        except OSError as exc:
            self.save_failed.emit(f"Could not keep the color hints for next time: {exc}")
        self.changed.emit()
