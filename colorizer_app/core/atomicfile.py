"""Write a file so that a crash, a kill or a full disk leaves the old file (or none),
never half of one: models, color hints, training checkpoints and run records.

Photos have their own writer (imageio.save_photo), which also refuses to replace a
file unless asked; this one always replaces.
"""

import os
import secrets
import time
from pathlib import Path
from typing import BinaryIO, Callable


def write_atomically(path: Path | str, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(f)`` on a hidden temp file in the same folder, flush it to the
    disk, then rename it over ``path``. On any error the temp file is removed and
    ``path`` is as it was."""
    path = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask decides, as for any new file (mkstemp: 0600)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())  # the data is on the disk before the name points at it
        _replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def _replace(tmp: Path, path: Path) -> None:
    """os.replace. On Windows a file another program has open (a virus scanner, the
    search indexer, the app reading a model being exported) refuses the rename for a
    moment with PermissionError: tried again for up to half a second."""
    for attempt in range(10):
        try:
            os.replace(tmp, path)
            return
        except PermissionError:
            if os.name != "nt" or attempt == 9:
                raise
            time.sleep(0.05)


def write_text_atomically(path: Path | str, text: str) -> None:
    write_atomically(path, lambda f: f.write(text.encode("utf-8")))


def fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no folder handles to sync)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
