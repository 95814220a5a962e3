"""Which files in a folder are photos, in the order a person expects."""

import functools
import os
import re
from pathlib import Path

# The formats core.imageio reads (JPEG, PNG, TIFF, BMP, WebP, GIF).
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif"})

_DIGITS = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=16384)  # a watched folder is listed again and again
def natural_key(name: str) -> tuple:
    """Sort key where "photo2" comes before "photo10", case-insensitively."""
    parts = _DIGITS.split(name.casefold())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def is_photo(path: str | os.PathLike) -> bool:
    return os.path.splitext(path)[1].lower() in PHOTO_SUFFIXES


def list_photos(folder: str | os.PathLike, unshowable: list[str] | None = None) -> list[str]:
    """The photos directly inside ``folder`` (not recursive, no hidden files), sorted.

    An unreadable folder gives an empty list rather than an error: the grid just
    shows nothing. Names that are not valid UTF-8 (Latin-1 names from an old disk)
    are left out, because Qt cannot carry them: a path handed to a widget or a
    signal loses those bytes, and the photo could not be opened. They are added to
    ``unshowable`` (readable, with � for the odd bytes) so the window can say so.
    """
    try:
        with os.scandir(folder) as entries:
            names = [
                e.name for e in entries
                if not e.name.startswith(".") and is_photo(e.name) and e.is_file()
            ]
    except OSError:
        return []
    showable = []
    for name in names:
        if _is_text(name):
            showable.append(name)
        elif unshowable is not None:
            unshowable.append(os.fsencode(name).decode("utf-8", "replace"))
    folder = str(Path(folder))  # spelled as before: "a/" and "a" list the same paths
    return [os.path.join(folder, name) for name in sorted(showable, key=natural_key)]


def subfolder_names(folder: str | os.PathLike) -> frozenset[str]:
    """The names of the folders directly inside ``folder`` (empty if unreadable)."""
    try:
        with os.scandir(folder) as entries:
            return frozenset(e.name for e in entries if e.is_dir())
    except OSError:
        return frozenset()


def _is_text(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept by Python as lone surrogates
        return False
    return True
