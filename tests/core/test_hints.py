"""Color hints: the hinted region takes the hint's color, edges hold it back, far away nothing changes."""

import numpy as np
import pytest
from colorizer_app.core import pipeline
from colorizer_app.core.color import luminance
from colorizer_app.core.hints import Hint, edge_aware_smooth, spread_hints
from colorizer_app.core.modelfile import load_model

RED = (60.0, 40.0)


def ab_of(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)[..., 1:]


@pytest.fixture(scope="module")
def model(tiny_model_json):
    return load_model(tiny_model_json, device="cpu")


def two_halves(height=96, width=192) -> np.ndarray:
    """A dark left half and a light right half: one strong edge."""
    gray = np.full((height, width), 70, np.uint8)
    gray[:, width // 2 :] = 190
    return gray


def test_hinted_region_takes_the_hint_color_and_the_edge_holds_it(model):
    gray = two_halves()
    plain = ab_of(pipeline.colorize(gray, model))
    hinted = ab_of(pipeline.colorize(gray, model, hints=[Hint(0.25, 0.5, *RED)]))
    left, right = (slice(None), slice(8, 88)), (slice(None), slice(104, 184))
    # The hinted half, as far as it reaches, is close to the hint's color ...
    assert np.abs(hinted[left].mean((0, 1)) - RED).max() < 10
    assert np.abs(plain[left].mean((0, 1)) - RED).max() > 30  # (it was not before)
    # ... and the other side of the edge barely changed.
    assert np.abs(hinted[right] - plain[right]).mean() < 3


def test_luminance_is_kept_with_hints(model):
    gray = two_halves()
    out = pipeline.colorize(gray, model, hints=[Hint(0.25, 0.5, *RED), Hint(0.75, 0.5, -30.0, 50.0)])
    assert np.abs(luminance(out) - luminance(gray)).max() < 1.0


def test_a_hint_fades_with_distance():
    L = np.full((40, 400), 50.0, np.float32)  # one smooth area, far wider than a hint's reach
    ab = np.zeros((40, 400, 2), np.float32)
    out = spread_hints(ab, L, [Hint(0.01, 0.5, *RED)])
    near, far = out[:, 2:6].mean((0, 1)), out[:, -20:].mean((0, 1))
    assert np.abs(near - RED).max() < 5
    assert np.abs(far).max() < 0.1 * max(RED)


def test_where_two_hints_meet_their_colors_mix_by_nearness():
    L = np.full((30, 60), 50.0, np.float32)
    ab = np.zeros((30, 60, 2), np.float32)
    blue = (-10.0, -50.0)
    out = spread_hints(ab, L, [Hint(0.1, 0.5, *RED), Hint(0.9, 0.5, *blue)])
    assert np.abs(out[15, 6] - RED).max() < 5
    assert np.abs(out[15, 54] - blue).max() < 5
    a = out[15, :, 0]  # red's a* is 60, blue's -10: from one to the other, by nearness
    assert a[6] > a[20] > a[30] > a[40] > a[54]
    assert blue[0] + 15 < a[30] < RED[0] - 15  # in the middle, both count


def test_no_hints_change_nothing():
    rng = np.random.default_rng(0)
    ab = rng.normal(0, 20, (16, 16, 2)).astype(np.float32)
    assert spread_hints(ab, np.full((16, 16), 50.0, np.float32), []) is ab


def test_edge_aware_smooth_keeps_an_edge_and_averages_within_regions():
    guide = np.zeros((20, 40, 1), np.float32)
    guide[:, 20:] = 100.0
    src = np.zeros((20, 40, 1), np.float32)
    src[:, :20] = np.random.default_rng(1).normal(0, 1, (20, 20, 1))
    src[:, 20:] = 10.0
    out = edge_aware_smooth(src, guide, sigma_space=20.0, sigma_range=10.0)
    assert out[:, :20].std() < 0.3 * src[:, :20].std()  # noise averaged away within the left region
    assert np.abs(out[:, 22:] - 10.0).max() < 0.5  # the right region did not take in the left


def test_a_hint_from_a_picked_color_carries_its_chroma():
    red = Hint.from_rgb(0.5, 0.25, (200, 30, 30))
    assert (red.x, red.y) == (0.5, 0.25)
    assert red.a > 50 and red.b > 30
    gray = Hint.from_rgb(0.5, 0.5, (120, 120, 120))
    assert abs(gray.a) < 0.5 and abs(gray.b) < 0.5
