"""Make clean luminance look like an old photo: noise, grain, blur, JPEG, fading, dust.

The model only ever sees degraded L at training time (the ab target stays clean),
so it learns to color real old prints and scans, not only desaturated new photos.
All functions take and return float32 L* in 0..100 and use the given RNG.
"""

import cv2
import numpy as np


def fade(L: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lower contrast, lift or crush blacks, shift gamma: a faded print."""
    contrast = rng.uniform(0.6, 1.1)
    offset = rng.uniform(-8, 12)
    gamma = np.exp(rng.uniform(-0.35, 0.35))
    L = 100.0 * np.power(np.clip(L / 100.0, 0, 1), gamma)
    return (L - 50.0) * contrast + 50.0 + offset


def blur(L: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    sigma = rng.uniform(0.4, 1.6)
    return cv2.GaussianBlur(L, (0, 0), sigma)


def noise(L: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return L + rng.normal(0, rng.uniform(1, 5), L.shape).astype(np.float32)


def grain(L: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Film grain: noise with a spatial size, stronger in the mid-tones."""
    g = rng.normal(0, 1, L.shape).astype(np.float32)
    g = cv2.GaussianBlur(g, (0, 0), rng.uniform(0.6, 1.5))
    g *= rng.uniform(3, 9) / (g.std() + 1e-6)
    midtone = 1.0 - np.abs(L - 50.0) / 60.0
    return L + g * np.clip(midtone, 0.2, 1.0)


def jpeg(L: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    q = int(rng.integers(20, 80))
    u8 = np.clip(L * 2.55 + 0.5, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).astype(np.float32) / 2.55


def dust(L: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Specks and thin scratches, light or dark, as on a scanned print."""
    L = L.copy()
    h, w = L.shape
    for _ in range(int(rng.integers(3, 25))):
        value = 100.0 if rng.random() < 0.7 else 5.0
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if rng.random() < 0.8:
            cv2.circle(L, (x, y), int(rng.integers(0, 2)), value, -1)
        else:
            dx, dy = rng.integers(-w // 3, w // 3), rng.integers(-h // 3, h // 3)
            cv2.line(L, (x, y), (int(x + dx), int(y + dy)), value, 1)
    return L


# (function, probability) in the order they happen to a real photo.
PIPELINE = ((fade, 0.6), (blur, 0.4), (grain, 0.35), (noise, 0.35), (dust, 0.2), (jpeg, 0.4))


def degrade(L: np.ndarray, rng: np.random.Generator, p_clean: float = 0.2) -> np.ndarray:
    """A randomly degraded copy of L; about p_clean of calls return it untouched."""
    if rng.random() < p_clean:
        return L
    for fn, p in PIPELINE:
        if rng.random() < p:
            L = fn(L, rng)
    return np.clip(L, 0.0, 100.0).astype(np.float32)
