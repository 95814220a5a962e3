"""numpy pixel arrays to QImage, for display only (no color science here)."""

import numpy as np
from PySide6.QtGui import QImage


def array_to_qimage(pixels: np.ndarray) -> QImage:
    """Return a Format_RGB32 QImage with its own copy of ``pixels`` (H×W gray or H×W×3 RGB).

    Meant for the worker thread. RGB32 is what a QPixmap holds on every raster
    backend, so ``QPixmap.fromImage`` in the GUI thread only shares the data
    instead of converting 24 MP (~65 ms) there. The conversion itself is one
    OpenCV call writing straight into the QImage's buffer, with the GIL released.
    uint16 is shown as 8-bit: the screen cannot show more, and saved files keep
    the full depth.
    """
    import cv2

    assert pixels.ndim in (2, 3), pixels.shape
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    elif pixels.dtype != np.uint8:
        pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    assert pixels.ndim == 2 or pixels.shape[2] == 3, pixels.shape
    height, width = pixels.shape[:2]
    image = QImage(width, height, QImage.Format.Format_RGB32)
    assert image.bytesPerLine() == 4 * width  # 32-bit rows are never padded
    target = np.frombuffer(image.bits(), np.uint8).reshape(height, width, 4)
    code = cv2.COLOR_GRAY2BGRA if pixels.ndim == 2 else cv2.COLOR_RGB2BGRA  # RGB32 is B,G,R,A in memory (little-endian)
    cv2.cvtColor(np.ascontiguousarray(pixels), code, dst=target)
    return image


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) shrunk to fit ``max_side`` on the long side; never enlarged."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    factor = max_side / max(width, height)
    return max(1, round(width * factor)), max(1, round(height * factor))
