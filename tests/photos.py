"""Small generated test photos (tests make their own images; no data files)."""

import numpy as np


def gradient_photo(height: int, width: int, channels: int = 1, dtype=np.uint8) -> np.ndarray:
    """A deterministic gray photo-like image: gradients, a disc and some texture."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = 0.5 + 0.3 * np.sin(x / max(width, 1) * 6.0) * np.cos(y / max(height, 1) * 4.0)
    img += 0.25 * (((x - width / 2) ** 2 + (y - height / 2) ** 2) < (min(height, width) / 4) ** 2)
    img += 0.03 * np.sin(x * 1.7) * np.sin(y * 1.3)
    peak = 65535 if dtype == np.uint16 else 255
    gray = np.clip(img, 0, 1) * peak
    gray = gray.round().astype(dtype)
    return gray if channels == 1 else np.repeat(gray[..., None], channels, axis=2)
