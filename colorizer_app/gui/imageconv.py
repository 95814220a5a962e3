"""numpy pixel arrays to QImage, for display only (no color science here)."""

import numpy as np
from PySide6.QtGui import QImage


def array_to_qimage(pixels: np.ndarray) -> QImage:
    """Return a QImage that owns a copy of ``pixels`` (H×W gray or H×W×3 RGB).

    uint16 is shown as 8-bit: the screen cannot show more, and the saved file keeps
    the full depth. Safe to call on a worker thread: QImage (unlike QPixmap) is not
    tied to the GUI thread.
    """
    assert pixels.ndim in (2, 3), pixels.shape
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    elif pixels.dtype != np.uint8:
        pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    pixels = np.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    if pixels.ndim == 2:
        fmt = QImage.Format.Format_Grayscale8
    else:
        assert pixels.shape[2] == 3, pixels.shape
        fmt = QImage.Format.Format_RGB888
    image = QImage(pixels.data, width, height, pixels.strides[0], fmt)
    return image.copy()  # detach from the numpy buffer, which may be freed


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) shrunk to fit ``max_side`` on the long side; never enlarged."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    factor = max_side / max(width, height)
    return max(1, round(width * factor)), max(1, round(height * factor))
