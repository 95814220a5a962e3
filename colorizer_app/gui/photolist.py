"""Which files in a folder are photos, in the order a person expects."""

import os
import re
from pathlib import Path

# The formats core.imageio reads (JPEG, PNG, TIFF, BMP, WebP).
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".bmp", ".webp"})

_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    """Sort key where "photo2" comes before "photo10", case-insensitively."""
    parts = _DIGITS.split(name.casefold())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def is_photo(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in PHOTO_SUFFIXES


def list_photos(folder: str | os.PathLike) -> list[Path]:
    """The photos directly inside ``folder`` (not recursive, no hidden files), sorted.

    An unreadable folder gives an empty list rather than an error: the grid just
    shows nothing.
    """
    try:
        with os.scandir(folder) as entries:
            names = [
                e.name for e in entries
                if not e.name.startswith(".") and is_photo(e.name) and e.is_file()
            ]
    except OSError:
        return []
    return [Path(folder) / n for n in sorted(names, key=natural_key)]
