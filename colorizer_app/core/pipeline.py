"""colorize(): a photo in, the same photo in color out, at full resolution.

    pixels ──L*──▶ full-resolution luminance (kept untouched)
           ──resize to render size──▶ network ──▶ ab at 1/4 render size
           ──user hints, if any, spread over their regions (core.hints)
           ──fast guided filter on L──▶ full-resolution ab ──▶ RGB, same dtype

Color is predicted at a modest render size and applied to the original
luminance, so a 24 MP scan keeps every detail and costs about what a 512 px
image costs. Full-resolution work is done in strips of rows to bound memory.
"""

import contextlib

import cv2
import numpy as np
import torch

from colorizer_app.core.color import (
    fit_to_gamut,
    guided_coefficients,
    lab_to_rgb,
    luminance,
    max_value,
    resize_rows,
)
from colorizer_app.core.hints import Hint, rasterize_hints, spread_hints

STRIP_PIXELS = 2_000_000  # full-resolution pixels handled at once
# The network's long side is at most this many render sizes. A 20:1 panorama keeps
# its render size; a 1 x 8000 px strip is not blown up to 64 x 512,000 (tens of GB).
MAX_RENDER_ASPECT = 24


def render_shape(height: int, width: int, render_size: int, multiple: int, min_size: int = 64) -> tuple[int, int]:
    """The network's input size: short side ≈ render_size, both sides multiples of `multiple`.

    A photo smaller than render_size is not blown up (that would only cost time
    and shift the scale the network was trained at), except to min_size. The long
    side stays within MAX_RENDER_ASPECT render sizes.
    """
    short = max(min_size, min(render_size, min(height, width)))
    scale = min(short / min(height, width), MAX_RENDER_ASPECT * max(render_size, min_size) / max(height, width))
    rh = max(multiple, int(round(height * scale / multiple)) * multiple)
    rw = max(multiple, int(round(width * scale / multiple)) * multiple)
    return rh, rw


def _no_timer(stage: str):
    return contextlib.nullcontext()


def predict_ab_small(L: np.ndarray, model, render_size: int, hints: list[Hint] | None = None, timer=_no_timer):
    """Run the network; return (ab at 1/4 render size, L resized to the same size)."""
    H, W = L.shape
    rh, rw = render_shape(H, W, render_size, model.size_multiple)
    with timer("resize"):
        interp = cv2.INTER_AREA if rh < H else cv2.INTER_LINEAR
        L_render = cv2.resize(L, (rw, rh), interpolation=interp)
    hint_ab = mask = None
    if hints:
        hint_ab, mask = rasterize_hints(hints, (rh, rw))
    with timer("network"):
        short_of = ""
        try:
            ab_small = model.predict_ab(L_render, hint_ab, mask)  # (rh/4, rw/4, 2)
        except torch.OutOfMemoryError:
            short_of = "GPU memory"
        except RuntimeError as exc:
            if "DefaultCPUAllocator" not in str(exc):  # its words differ between Linux and Windows
                raise
            short_of = "memory"
    if short_of:
        # Out here the failed try's tensors are free, so the GPU memory they took goes back.
        if short_of == "GPU memory":
            torch.cuda.empty_cache()
        raise MemoryError(f"not enough {short_of} to color this photo at render size {render_size} "
                          f"({rw}×{rh} px): choose a smaller render size"
                          + (", or the CPU in Settings" if short_of == "GPU memory" else ""))
    sh, sw = ab_small.shape[:2]
    L_small = cv2.resize(L_render, (sw, sh), interpolation=cv2.INTER_AREA)
    if hints:
        ab_small = spread_hints(ab_small, L_small, hints)  # the network alone follows them only a little
    return ab_small, L_small


def colorize(pixels: np.ndarray, model, render_size: int | None = None, saturation: float = 1.0,
             hints: list[Hint] | None = None, timer=_no_timer) -> np.ndarray:
    """Colorize a gray or RGB photo (uint8 or uint16; alpha removed by the caller).

    `render_size` is the short side the network sees; None or 0 ("Auto") means
    the size the model's JSON recommends.

    Returns (H, W, 3) RGB of the input's dtype. The result's L* equals the
    input's (up to rounding to the output's integer levels). Deterministic.
    `timer(stage)` returns a context manager around each stage (bench/ uses it).
    """
    if pixels.ndim not in (2, 3) or pixels.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"expected a gray or RGB uint8/uint16 image, got {pixels.dtype} {pixels.shape}")
    if min(pixels.shape[:2]) < 1:
        raise ValueError("the image is empty")
    with timer("L"):
        L = luminance(pixels)
    H, W = L.shape
    ab_small, L_small = predict_ab_small(L, model, render_size or model.render_size, hints, timer)
    with timer("upsample"):
        coeffs = guided_coefficients(L_small / 100.0, ab_small)  # (h, w, 4): A_a, A_b, B_a, B_b

    out = np.empty((H, W, 3), pixels.dtype)
    rows = max(1, STRIP_PIXELS // W)
    for y0 in range(0, H, rows):
        y1 = min(H, y0 + rows)
        Ls = L[y0:y1]
        with timer("upsample"):
            # ab = A * L/100 + B, with A and B upsampled together. torch, not numpy:
            # numpy is several times slower on the interleaved (pixel, 2) halves.
            coeffs_rows = torch.from_numpy(resize_rows(coeffs, (H, W), y0, y1))
            L_rows = torch.from_numpy(Ls).unsqueeze(-1)
            ab = torch.addcmul(coeffs_rows[..., 2:], coeffs_rows[..., :2], L_rows, value=0.01).numpy()
            del coeffs_rows  # 16 bytes a pixel: not held through the merge
            if saturation != 1.0:
                ab *= np.float32(saturation)
        with timer("merge"):
            rgb = fit_to_gamut(Ls, ab, lab_to_rgb(Ls, ab))
            out[y0:y1] = to_integer(rgb, pixels.dtype)
    return out


def to_integer(rgb: np.ndarray, dtype) -> np.ndarray:
    """float 0..1 -> uint8/uint16, rounded to nearest."""
    if dtype == np.uint8:
        return cv2.convertScaleAbs(rgb, alpha=255.0)  # saturating, rounding; rgb is never negative
    rgb *= np.float32(max_value(dtype))
    rgb += np.float32(0.5)
    np.clip(rgb, 0, max_value(dtype), out=rgb)
    return rgb.astype(dtype)
