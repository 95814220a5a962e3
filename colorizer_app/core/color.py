"""Color math on numpy arrays: luminance, Lab to RGB, gamut fitting, guided upsampling.

OpenCV does the Lab conversions (float32 RGB 0..1 <-> L* 0..100, a*b* about
-127..127, D65, sRGB) everywhere in the project, training included, so the
network sees exactly the numbers it was trained on.
"""

import functools

import cv2
import numpy as np


@functools.lru_cache(maxsize=2)
def _gray_to_L_lut(levels: int) -> np.ndarray:
    gray = np.linspace(0.0, 1.0, levels, dtype=np.float32).reshape(-1, 1, 1).repeat(3, axis=2)
    return np.ascontiguousarray(cv2.cvtColor(gray, cv2.COLOR_RGB2Lab)[:, 0, 0])


def max_value(dtype) -> float:
    return 65535.0 if np.dtype(dtype) == np.uint16 else 255.0


def luminance(pixels: np.ndarray) -> np.ndarray:
    """L* (H, W) float32 in 0..100 of a gray or RGB uint8/uint16 image.

    Gray images (and RGB ones whose channels are equal) go through a lookup
    table, which is exact and about 10x cheaper than a color conversion. Toned
    photos (sepia, cyanotype) are reduced to their luminance, so their tint
    does not leak into the result.
    """
    assert pixels.dtype in (np.uint8, np.uint16), pixels.dtype
    levels = 256 if pixels.dtype == np.uint8 else 65536
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim == 2:
        return _gray_to_L_lut(levels)[pixels]
    assert pixels.ndim == 3 and pixels.shape[2] == 3, pixels.shape
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    if np.array_equal(r, g) and np.array_equal(g, b):
        return _gray_to_L_lut(levels)[r]
    rgb = pixels.astype(np.float32) * np.float32(1.0 / max_value(pixels.dtype))
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)[..., 0].copy()


def lab_to_rgb(L: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """(H, W) L and (H, W, 2) ab -> (H, W, 3) float32 RGB, not clipped."""
    a, b = cv2.split(np.ascontiguousarray(ab, dtype=np.float32))
    return cv2.cvtColor(cv2.merge([L.astype(np.float32, copy=False), a, b]), cv2.COLOR_Lab2RGB)


# D65 white and the XYZ -> linear sRGB matrix, as OpenCV uses them.
_WHITE = np.array([0.950456, 1.0, 1.088754], np.float32)
_XYZ_TO_RGB = np.array([[3.240479, -1.53715, -0.498535],
                        [-0.969256, 1.875991, 0.041556],
                        [0.055648, -0.204043, 1.057311]], np.float32)
_DELTA = np.float32(6.0 / 29.0)


def _f_inverse(f: np.ndarray) -> np.ndarray:
    """CIE's inverse of f(t): t = f³ above 6/29, a line below it (dark colors only)."""
    t = f * f * f
    dark = f <= _DELTA
    if dark.any():
        t[dark] = (f[dark] - np.float32(4.0 / 29.0)) * np.float32(3.0 * (6.0 / 29.0) ** 2)
    return t


class _ChromaRay:
    """Lab pixels (N each of L, a, b) as rays from their gray at the same L: for a
    chroma scale s, linear RGB is s-dependent only through X and Z, so Y's part is
    computed once."""

    def __init__(self, L: np.ndarray, a: np.ndarray, b: np.ndarray, y_part: list | None = None):
        self.L, self.a, self.b = (np.ascontiguousarray(v, dtype=np.float32) for v in (L, a, b))
        self.fy = (self.L + np.float32(16.0)) / np.float32(116.0)
        self.dfx = self.a / np.float32(500.0)
        self.dfz = self.b / np.float32(-200.0)
        if y_part is None:
            y = _f_inverse(self.fy)
            y_part = [y * _XYZ_TO_RGB[c, 1] for c in range(3)]
        self.y_part = y_part

    def subset(self, keep: np.ndarray) -> "_ChromaRay":
        """The rays where `keep` is True, without computing their Y part again."""
        return _ChromaRay(self.L[keep], self.a[keep], self.b[keep], [part[keep] for part in self.y_part])

    def fits(self, scale, tol: float = 2e-4) -> np.ndarray:
        """True where Lab(L, scale * ab) is inside sRGB (within tol)."""
        X = _f_inverse(self.fy + self.dfx * scale) * _WHITE[0]
        Z = _f_inverse(self.fy + self.dfz * scale) * _WHITE[2]
        inside = None
        for c in range(3):
            v = X * _XYZ_TO_RGB[c, 0]
            v += Z * _XYZ_TO_RGB[c, 2]
            v += self.y_part[c]
            ok = (v >= -tol) & (v <= 1 + tol)
            inside = ok if inside is None else inside & ok
        return inside


def _in_gamut(lab: np.ndarray, tol: float = 2e-4) -> np.ndarray:
    """(N, 3) Lab -> (N,) True where it is inside sRGB. Computed exactly: OpenCV's
    conversion clips, which hides exactly the out-of-gamut colors we need to find."""
    return _ChromaRay(lab[:, 0], lab[:, 1], lab[:, 2]).fits(np.float32(1.0), tol)


def fit_to_gamut(L: np.ndarray, ab: np.ndarray, rgb: np.ndarray, steps: int = 10) -> np.ndarray:
    """Where Lab(L, ab) falls outside sRGB, shrink its chroma until it fits.

    Clipping RGB instead would change the luminance and shift hues; this keeps
    L and the hue. Only pixels with a channel at 0 or 1 after OpenCV's (clipping)
    conversion can be out of gamut; those few are tested exactly and bisected
    on their chroma scale. Updates and returns rgb (float32 0..1).
    """
    rgb = np.ascontiguousarray(rgb)  # written through a flat view below
    inside = cv2.inRange(rgb, (1e-6,) * 3, (1 - 1e-6,) * 3)  # 255 where every channel is off the edges
    cand = np.flatnonzero(inside == 0)  # flat indices: several times faster than 2-D nonzero
    if cand.size == 0:
        return rgb
    ab_flat = ab.reshape(-1, 2)
    ray = _ChromaRay(L.reshape(-1)[cand], ab_flat[cand, 0], ab_flat[cand, 1])
    outside = ~ray.fits(np.float32(1.0))  # exact, as _in_gamut
    if not outside.any():
        return rgb
    bad = cand[outside]
    ray = ray.subset(outside)
    lo = np.zeros(len(bad), np.float32)  # chroma scale known to fit; lo + 2 * step is known not to
    step = np.float32(0.5)
    for _ in range(steps):
        lo += ray.fits(lo + step) * step
        step *= np.float32(0.5)
    fitted = np.stack([ray.L, ray.a * lo, ray.b * lo], axis=-1)[:, None, :]
    rgb.reshape(-1, 3)[bad] = cv2.cvtColor(fitted.astype(np.float32), cv2.COLOR_Lab2RGB)[:, 0, :]
    return rgb


def guided_coefficients(guide: np.ndarray, src: np.ndarray, radius: int = 2, eps: float = 4e-3) -> np.ndarray:
    """He et al.'s guided filter, returning its per-pixel linear coefficients.

    guide: (h, w) L/100; src: (h, w, C). Returns (h, w, 2C) = [A..., B...] with
    src ≈ A * guide + B locally. Upsampling A and B and applying them to the
    full-resolution guide is the fast guided filter (He and Sun 2015): color
    follows the fine edges of the real photo, and costs only a resize.
    """
    k = (2 * radius + 1, 2 * radius + 1)
    box = lambda x: cv2.boxFilter(x, -1, k, borderType=cv2.BORDER_REFLECT)
    I = guide.astype(np.float32)
    mean_I = box(I)
    var_I = box(I * I) - mean_I * mean_I
    coeffs_a, coeffs_b = [], []
    for c in range(src.shape[2]):
        p = np.ascontiguousarray(src[..., c], dtype=np.float32)
        mean_p = box(p)
        cov = box(I * p) - mean_I * mean_p
        a = cov / (var_I + eps)
        b = mean_p - a * mean_I
        coeffs_a.append(box(a))
        coeffs_b.append(box(b))
    return np.stack(coeffs_a + coeffs_b, axis=-1)


def resize_rows(src: np.ndarray, full_size: tuple[int, int], y0: int, y1: int) -> np.ndarray:
    """Bilinear upsampling of src (h, w, C<=4) to full_size (H, W), rows y0..y1 only.

    Samples where cv2.resize(INTER_LINEAR) does (pixel centers aligned), so strips
    meet without a seam; only one strip is ever held at full resolution. Four
    float channels take OpenCV's fast path: one 4-channel call is several times
    faster than two 2-channel ones, and than cv2.remap with coordinate maps.
    """
    H, W = full_size
    h, w = src.shape[:2]
    sx, sy = w / W, h / H
    # output pixel (x, y) samples src at ((x + 0.5) * sx - 0.5, (y0 + y + 0.5) * sy - 0.5)
    to_src = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, (y0 + 0.5) * sy - 0.5]])
    return cv2.warpAffine(src, to_src, (W, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)
