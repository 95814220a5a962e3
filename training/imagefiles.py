"""The training module's image files, read and written with OpenCV through bytes.

cv2.imread and cv2.imwrite take the path as a narrow string, which on Windows cannot
name a file in a folder with non-ASCII characters (C:\\Users\\José\\...): imread then
returns None and imwrite False, without a word. Decoding bytes that numpy read, and
encoding bytes that Python writes, works with every path.
"""

from pathlib import Path

import cv2
import numpy as np

from colorizer_app.core.atomicfile import write_atomically


def read_rgb(path: Path | str) -> np.ndarray | None:
    """A photo as RGB uint8, or None if it cannot be read or decoded."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def encode_rgb(rgb: np.ndarray, suffix: str, params: list[int] | None = None) -> bytes:
    """RGB uint8 encoded in the format a file suffix names (".png", ".jpg")."""
    ok, data = cv2.imencode(suffix, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params or [])
    if not ok:
        raise ValueError(f"OpenCV could not encode a {suffix} image")
    return data.tobytes()


def write_rgb(path: Path | str, rgb: np.ndarray, params: list[int] | None = None) -> None:
    """Write RGB uint8 in the format the suffix names, whole or not at all. Raises OSError."""
    data = encode_rgb(rgb, Path(path).suffix, params)
    write_atomically(path, lambda f: f.write(data))
