"""The quantized ab color space used by the classification head.

Colors are binned on a grid of `step` Lab units in the ab plane, keeping only
bins that some sRGB color reaches at some lightness (Zhang, Isola, Efros 2016:
313 bins at step 10). The bins are computed from the sRGB cube here and also
stored in every model file, so a saved model never depends on this code's
numerics.
"""

import cv2
import numpy as np

AB_LIMIT = 110.0


def in_gamut_bins(step: int = 10, samples_per_channel: int = 64) -> np.ndarray:
    """(Q, 2) float32 ab bin centers reachable from sRGB, sorted by a then b."""
    axis = np.linspace(0.0, 1.0, samples_per_channel, dtype=np.float32)
    r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
    rgb = np.stack([r, g, b], axis=-1).reshape(-1, 1, 3)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    ab = np.round(lab[:, 1:] / step).astype(np.int32)
    unique = np.unique(ab, axis=0)
    return (unique * step).astype(np.float32)
