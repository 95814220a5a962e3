"""The color hints set on photos, kept between sessions in one JSON file.

    {"format": "colorizer-hints", "version": 1,
     "photos": {"/abs/path/scan.jpg": [{"x": 0.25, "y": 0.5, "rgb": [210, 30, 30]}, ...]},
     "fingerprints": {"/abs/path/scan.jpg": {"size": 183422, "sha256": "9f86d0...",
                                             "mtime_ns": 1764760000000000000}}}

x and y are relative to the photo's size (as shown, EXIF orientation applied), rgb
is the color the person picked. The file is rewritten after every change, through a
temporary file and a rename, so a crash leaves the old file or the new one, never
half of one. A file that cannot be read is moved aside to ``hints.json.bad`` (not
overwritten, so nothing is lost without a word) and ``load`` says why.

Photos get moved and renamed (an archive reorganised, a folder synced elsewhere),
so each photo's hints are kept with a fingerprint of its bytes. When a photo is no
longer at its path, its hints stay in the file as "moved", and ``moved.find`` gives
them back for a file with the same bytes wherever it now is. Moved photos without a
fingerprint (files written before fingerprints) are dropped. A photo retouched in
place has new bytes: its modification time tells, and the fingerprint is taken
again when the app next reads the file (and writes it), so the hints still follow
it if it is moved afterwards. "fingerprints" and "mtime_ns" are optional keys, so the
version stays 1: an older Colorizer reads the file and ignores them.

The app (``gui.hint_keeper``) reads and writes the file; Batch Export and `colorizer
colorize` use the hints it holds.
"""

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import NamedTuple

from colorizer_app.core.atomicfile import write_text_atomically
from colorizer_app.core.hints import Hint

FORMAT = "colorizer-hints"

# One photo's hints: (the hint, the picked sRGB color)
PhotoHints = list[tuple[Hint, tuple[int, int, int]]]
# What finds a photo again after it moved: (its size in bytes, the SHA-256 of its bytes)
Fingerprint = tuple[int, str]


def fingerprint(path: str | os.PathLike) -> Fingerprint:
    """The photo file's fingerprint. Raises OSError."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return size, digest.hexdigest()


class _Fingerprinted(NamedTuple):
    fingerprint: Fingerprint
    mtime_ns: int | None  # the file's modification time when the fingerprint was taken (None: not recorded)

    @classmethod
    def take(cls, path: str | os.PathLike) -> "_Fingerprinted":
        """Raises OSError."""
        mtime_ns = os.stat(path).st_mtime_ns  # before reading: a change while reading shows next time
        return cls(fingerprint(path), mtime_ns)

    def still_fits(self, st: os.stat_result) -> "_Fingerprinted | None":
        """This fingerprint, with the file's time, if the file (its stat) looks unchanged
        since: the same size and modification time. One written without a time is
        trusted while the size matches (reading every photo again at start-up would be
        slow). None if the file changed."""
        if st.st_size != self.fingerprint[0] or self.mtime_ns not in (None, st.st_mtime_ns):
            return None
        return self._replace(mtime_ns=st.st_mtime_ns)

    def as_json(self) -> dict:
        size, sha256 = self.fingerprint
        mark = {"size": size, "sha256": sha256}
        if self.mtime_ns is not None:
            mark["mtime_ns"] = self.mtime_ns
        return mark


class MovedPhotos:
    """The hints of photos that are no longer at their path, found again by fingerprint.

    A snapshot: a batch on another thread can keep using it while the store changes.
    """

    def __init__(self, photos: dict[Fingerprint, tuple[str, PhotoHints]] | None = None) -> None:
        self._photos = dict(photos or {})
        self._sizes = {size for size, _ in self._photos}

    def __len__(self) -> int:
        return len(self._photos)

    def find(self, path: str | os.PathLike) -> tuple[str, PhotoHints] | None:
        """(the old path, its hints) if the file at `path` is a moved photo, else None.

        Only a file whose size matches a moved photo's is read, so looking up
        photos that never had hints costs a stat each.
        """
        found = self.match(path)
        return self._photos[found] if found else None

    def match(self, path: str | os.PathLike) -> Fingerprint | None:
        """The moved photo's fingerprint if the file at `path` is one, else None."""
        try:
            if os.stat(path).st_size not in self._sizes:
                return None
            found = fingerprint(path)
        except OSError:
            return None
        return found if found in self._photos else None


class HintIndex:
    """Every photo's hints, as a batch looks them up: by path, or for a photo that
    moved, by fingerprint. Immutable, so a batch thread can use it."""

    def __init__(self, photos: dict[str, PhotoHints] | None = None, moved: MovedPhotos | None = None) -> None:
        self._by_path = {_photo_key(photo): tuple(hint for hint, _ in marks)
                         for photo, marks in (photos or {}).items() if marks}
        self._moved = moved or MovedPhotos()

    def __len__(self) -> int:
        """How many photos have hints (those moved included)."""
        return len(self._by_path) + len(self._moved)

    def hints(self, path: str | os.PathLike) -> list[Hint]:
        """The hints set on the photo at `path` (any spelling of it), or on the same photo
        before it moved; [] if none."""
        hints = self._by_path.get(_photo_key(path))
        if hints is None:
            found = self._moved.find(path)
            hints = [hint for hint, _ in found[1]] if found else ()
        return list(hints)


def _stat_file(path: str) -> os.stat_result | None:
    """The stat of a regular file at `path`; None if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _photo_key(path: str | os.PathLike) -> str:
    return str(Path(path).resolve())


class HintStore:
    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._fingerprints: dict[str, _Fingerprinted] = {}  # of the photos with hints, by path
        self._moved: dict[Fingerprint, tuple[str, PhotoHints]] = {}
        self.needs_save = False  # a photo changed since its fingerprint was written
        self._stuck = ""  # a damaged file that could not be moved aside: not to be written over

    def take_moved(self, matches: dict[str, Fingerprint]) -> dict[str, tuple[str, PhotoHints]]:
        """Moved photos found again (their new path: fingerprint, from ``moved.match``):
        for each that is still moved, (its old path, its hints).

        From now on they are kept under the new path; the caller adds them to the
        photos it saves.
        """
        taken = {}
        for path, found in matches.items():
            if found in self._moved:
                try:
                    mtime_ns = os.stat(path).st_mtime_ns
                except OSError:
                    continue
                self._fingerprints[path] = _Fingerprinted(found, mtime_ns)
                taken[path] = self._moved.pop(found)
        return taken

    def release_missing(self, photos: dict[str, PhotoHints]) -> list[str]:
        """Photos among `photos` that are no longer at their path (moved or renamed
        while the app runs): from now on they are moved photos, found again by their
        fingerprint like those missing when the file was read. Returns their paths;
        the caller drops them from the photos it saves."""
        gone = []
        for photo, marks in photos.items():
            known = self._fingerprints.get(photo)
            if known is not None and marks and _stat_file(photo) is None:
                self._moved[known.fingerprint] = (photo, list(marks))
                del self._fingerprints[photo]
                gone.append(photo)
        return gone

    @property
    def moved(self) -> MovedPhotos:
        """The photos with hints that were not at their path when the file was read."""
        return MovedPhotos(self._moved)

    def load(self) -> tuple[dict[str, PhotoHints], str]:
        """Every photo's hints, and a problem to report ("" when none)."""
        if not self.path.exists():
            return {}, ""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError("not a Colorizer hints file")
            fingerprints = {photo: self._fingerprint(mark)
                            for photo, mark in data.get("fingerprints", {}).items()}
            photos, moved, current = {}, {}, {}
            for photo, marks in data["photos"].items():
                hints = [self._hint(mark) for mark in marks]
                st = _stat_file(photo)
                if st is not None:
                    photos[photo] = hints
                    known = fingerprints.get(photo)
                    known = known.still_fits(st) if known is not None else None
                    if known is not None:
                        current[photo] = known
                    # else retouched in place (or never fingerprinted): taken again by save
                elif photo in fingerprints:
                    moved[fingerprints[photo].fingerprint] = (photo, hints)
            self._fingerprints, self._moved = current, moved
            self.needs_save = len(current) < len(photos)
            return photos, ""
        except (OSError, ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
            # Kept aside, never overwritten: a second damaged file gets a name of its own.
            bad, n = self.path.with_name(self.path.name + ".bad"), 1
            while bad.exists():
                n += 1
                bad = self.path.with_name(f"{self.path.name}.bad{n}")
            try:
                os.replace(self.path, bad)
            except OSError as move_error:
                self._stuck = (f"the saved color hints in {self.path} are damaged and could not be moved "
                               "aside; new hints are not written over them until it is moved or fixed")
                return {}, (f"Could not read the saved color hints ({exc}), nor move {self.path} aside "
                            f"({move_error.strerror or move_error}); new hints cannot be kept until it is fixed")
            return {}, f"Could not read the saved color hints ({exc}); the file was moved to {bad}"

    def save(self, photos: dict[str, PhotoHints]) -> None:
        """Write every photo's hints (photos without any are left out), and the moved
        photos' that have not turned up among them. Raises OSError."""
        if self._stuck:
            raise OSError(self._stuck)
        photos = {photo: marks for photo, marks in photos.items() if marks}
        # Only photos new to the file are read: one retouched while the app runs is
        # fingerprinted again by the next load, which compares modification times.
        for photo in photos.keys() - self._fingerprints.keys():
            try:
                self._fingerprints[photo] = _Fingerprinted.take(photo)
            except OSError:  # gone already: written without a fingerprint, the next load drops it
                pass
        kept = {photo: self._fingerprints[photo] for photo in photos if photo in self._fingerprints}
        found = {known.fingerprint for known in kept.values()}
        self._moved = {fp: moved for fp, moved in self._moved.items() if fp not in found}
        fingerprints = {photo: known.as_json() for photo, known in kept.items()}
        for fp, (photo, marks) in self._moved.items():
            if photo not in photos:
                photos[photo], fingerprints[photo] = marks, _Fingerprinted(fp, None).as_json()
        data = {"format": FORMAT, "version": 1, "photos": {
            photo: [{"x": hint.x, "y": hint.y, "rgb": list(rgb)} for hint, rgb in marks]
            for photo, marks in photos.items()},
            "fingerprints": fingerprints}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(self.path, json.dumps(data, indent=1))
        self.needs_save = False

    @staticmethod
    def _fingerprint(mark: dict) -> _Fingerprinted:
        size, sha256, mtime_ns = mark["size"], mark["sha256"], mark.get("mtime_ns")
        if (not isinstance(size, int) or not isinstance(sha256, str) or len(sha256) != 64
                or not isinstance(mtime_ns, (int, type(None)))):
            raise ValueError(f"a fingerprint out of range: {mark}")
        return _Fingerprinted((size, sha256), mtime_ns)

    @staticmethod
    def _hint(mark: dict) -> tuple[Hint, tuple[int, int, int]]:
        x, y = float(mark["x"]), float(mark["y"])
        rgb = tuple(int(v) for v in mark["rgb"])
        if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb) or not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValueError(f"a hint out of range: {mark}")
        return Hint.from_rgb(x, y, rgb), rgb
