"""colorize(): size, dtype, luminance kept, determinism, toned and 16-bit input, strips."""

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from colorizer_app.core import pipeline
from colorizer_app.core.color import luminance
from colorizer_app.core.modelfile import load_model
from tests.photos import gradient_photo


@pytest.fixture(scope="module")
def model(tiny_model_json):
    return load_model(tiny_model_json, device="cpu")


@pytest.mark.parametrize("shape, channels, dtype", [
    ((120, 90), 1, np.uint8),
    ((97, 131), 3, np.uint8),
    ((64, 200), 1, np.uint16),
])
def test_output_keeps_size_dtype_and_luminance(model, shape, channels, dtype):
    gray = gradient_photo(*shape, channels=channels, dtype=dtype)
    out = pipeline.colorize(gray, model, render_size=64)
    assert out.shape == (*shape, 3) and out.dtype == dtype
    # L* kept up to rounding to the output's integer levels
    assert np.abs(luminance(out) - luminance(gray)).max() < (0.8 if dtype == np.uint8 else 0.3)
    chroma = np.ptp(out.astype(int), axis=2)
    assert chroma.max() > 3, "the model's color did not reach the output"


def test_deterministic(model):
    gray = gradient_photo(100, 100)
    assert np.array_equal(pipeline.colorize(gray, model, 64), pipeline.colorize(gray, model, 64))


def test_no_render_size_means_the_models_own(model):
    gray = gradient_photo(300, 400)
    own = pipeline.colorize(gray, model, model.render_size)
    assert np.array_equal(pipeline.colorize(gray, model), own)
    assert np.array_equal(pipeline.colorize(gray, model, 0), own)
    assert not np.array_equal(pipeline.colorize(gray, model, 2 * model.render_size), own)


def test_sepia_is_reduced_to_luminance(model):
    """A toned photo gives the same result as its gray version: the tint is not kept."""
    gray = gradient_photo(80, 80)
    sepia = np.stack([gray * 1.0, gray * 0.85, gray * 0.65], axis=-1).round().astype(np.uint8)
    from_sepia = pipeline.colorize(sepia, model, 64)
    from colorizer_app.core.color import lab_to_rgb

    L = luminance(sepia)
    neutral = lab_to_rgb(L, np.zeros((*L.shape, 2), np.float32))[..., 0]  # the gray of the same L*
    as_gray = np.clip(np.round(neutral * 255), 0, 255).astype(np.uint8)
    # The network sees only L, so both inputs must produce nearly the same color.
    diff = np.abs(from_sepia.astype(int) - pipeline.colorize(as_gray, model, 64).astype(int))
    assert diff.mean() < 1.0


def test_strips_stitch_seamlessly(model, monkeypatch):
    gray = gradient_photo(150, 70)
    whole = pipeline.colorize(gray, model, 64)
    monkeypatch.setattr(pipeline, "STRIP_PIXELS", 70 * 13)  # 13-row strips
    assert np.array_equal(whole, pipeline.colorize(gray, model, 64))


def test_saturation_scales_chroma(model):
    gray = gradient_photo(96, 96)
    dull = pipeline.colorize(gray, model, 64, saturation=0.0)
    assert np.ptp(dull.astype(int), axis=2).max() <= 1
    vivid = pipeline.colorize(gray, model, 64, saturation=1.5)
    normal = pipeline.colorize(gray, model, 64)
    assert np.ptp(vivid.astype(int), axis=2).mean() > np.ptp(normal.astype(int), axis=2).mean()


def test_render_shape_is_a_multiple():
    assert pipeline.render_shape(3000, 4000, 512, 16) == (512, 688)
    assert pipeline.render_shape(10, 10, 512, 16) == (64, 64)  # tiny photos: the minimum
    assert pipeline.render_shape(200, 300, 512, 16) == (192, 304)  # small photos are not blown up
    assert pipeline.render_shape(300, 6000, 256, 32) == (256, 5120)  # a panorama keeps its size
    assert pipeline.render_shape(1, 8000, 256, 32) == (32, 6144)  # a strip is not blown up to 64 x 512,000


def test_a_one_pixel_strip_is_colorized(model):
    strip = np.linspace(0, 255, 8000).astype(np.uint8)[None, :]
    out = pipeline.colorize(strip, model, render_size=256)
    assert out.shape == (1, 8000, 3) and out.dtype == np.uint8


def test_rejects_float_input(model):
    with pytest.raises(ValueError, match="uint8"):
        pipeline.colorize(np.zeros((8, 8), np.float32), model)


def test_gamut_fit_keeps_L_for_extreme_color():
    from colorizer_app.core.color import fit_to_gamut, lab_to_rgb

    L = np.array([[97.0, 50.0]], np.float32)
    ab = np.array([[[40.0, 90.0], [100.0, -100.0]]], np.float32)
    rgb = fit_to_gamut(L, ab, lab_to_rgb(L, ab))
    assert np.all((rgb >= 0) & (rgb <= 1))
    back = luminance(np.round(rgb * 65535).astype(np.uint16))
    assert np.abs(back - L).max() < 0.3


def test_gamut_fit_changes_exactly_the_out_of_gamut_pixels():
    from colorizer_app.core.color import _in_gamut, fit_to_gamut, lab_to_rgb

    rng = np.random.default_rng(5)
    L = rng.uniform(5, 95, (48, 64)).astype(np.float32)
    ab = rng.normal(0, 45, (48, 64, 2)).astype(np.float32)
    lab = np.stack([L, ab[..., 0], ab[..., 1]], axis=-1).reshape(-1, 3)
    outside = ~_in_gamut(lab).reshape(L.shape)
    assert 0.1 < outside.mean() < 0.9  # both kinds are there
    before = lab_to_rgb(L, ab)
    after = fit_to_gamut(L, ab, before.copy())
    np.testing.assert_array_equal(after[~outside], before[~outside])
    assert not np.allclose(after[outside], before[outside])
    assert np.all((after >= 0) & (after <= 1))
    back = luminance(np.round(after * 65535).astype(np.uint16))
    assert np.abs(back - L)[outside].max() < 0.5


def test_gamut_fit_keeps_hue_and_shrinks_chroma_no_more_than_needed():
    from colorizer_app.core.color import _in_gamut, fit_to_gamut, lab_to_rgb

    rng = np.random.default_rng(8)
    L = rng.uniform(10, 90, (40, 50)).astype(np.float32)
    ab = rng.normal(0, 60, (40, 50, 2)).astype(np.float32)
    lab = np.stack([L, ab[..., 0], ab[..., 1]], axis=-1).reshape(-1, 3)
    outside = ~_in_gamut(lab)
    after = cv2.cvtColor(fit_to_gamut(L, ab, lab_to_rgb(L, ab)), cv2.COLOR_RGB2Lab).reshape(-1, 3)
    ab_before, ab_after = lab[outside, 1:], after[outside, 1:]
    direction = ab_before / np.hypot(*ab_before.T)[:, None]
    off_the_hue_line = np.abs(direction[:, 0] * ab_after[:, 1] - direction[:, 1] * ab_after[:, 0])
    assert off_the_hue_line.max() < 1.0  # in a*b* units; about 0.5 is float32 conversion noise
    scale = np.hypot(*ab_after.T) / np.hypot(*ab_before.T)
    assert scale.max() < 1.0
    # 2% more chroma than it was given would no longer fit: it took what fits
    bigger = np.concatenate([lab[outside, :1], ab_before * (scale[:, None] + 0.02)], axis=1)
    assert not _in_gamut(bigger).any()


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="memory limit set through Linux's /proc")
def test_running_out_of_memory_is_a_memory_error_that_says_what_to_do():
    """With memory capped just above what a small photo took, a large render fails
    in torch's allocator: a MemoryError naming the render size, not its C++ message."""
    script = """
import resource
import numpy as np
from colorizer_app.core.catalog import ModelCatalog
from colorizer_app.core.pipeline import colorize
model = ModelCatalog().load("colorizer-vivid", device="cpu")
photo = np.random.default_rng(0).integers(0, 255, (2048, 2048), dtype=np.uint8)
colorize(photo[:64, :64], model, render_size=64)
used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (used + (300 << 20), resource.RLIM_INFINITY))
try:
    colorize(photo, model, render_size=2048)
except Exception as exc:
    print(type(exc).__name__, exc)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.stdout.startswith("MemoryError not enough memory to color this photo at render size 2048"), \
        done.stdout + done.stderr[-2000:]
