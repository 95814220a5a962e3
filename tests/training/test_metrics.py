"""Metrics on hand-made arrays whose answers are known."""

import numpy as np
import pytest

from training.metrics import MetricAccumulator, colorfulness, psnr


def test_psnr_known_values():
    a = np.zeros((8, 8, 3), np.uint8)
    b = a.copy()
    b[...] = 255
    assert psnr(a, b) == pytest.approx(0.0)
    c = a.copy()
    c[0, 0, 0] = 16  # mse = 256 / 192
    assert psnr(a, c) == pytest.approx(10 * np.log10(255**2 / (256 / 192)))


def test_colorfulness_zero_for_gray_and_grows_with_color():
    gray = np.full((8, 8, 3), 120, np.uint8)
    assert colorfulness(gray) == 0
    red = gray.copy()
    red[..., 0] = 200
    assert colorfulness(red) > 20


def test_auc_perfect_and_rebalanced_punishes_gray():
    true_ab = np.zeros((10, 10, 2), np.float32)
    true_ab[:2] = (60.0, 40.0)  # a small, colorful region; the rest is neutral
    perfect, gray = MetricAccumulator(), MetricAccumulator()
    rgb = np.zeros((10, 10, 3), np.uint8)
    perfect.add(rgb, rgb, true_ab, true_ab)
    gray.add(rgb, rgb, np.zeros_like(true_ab), true_ab)
    p, g = perfect.result(), gray.result()
    assert p["auc"] == pytest.approx(1.0) and p["auc_rebalanced"] == pytest.approx(1.0)
    # gray is right on 80% of the pixels, so raw AuC stays high; rebalanced, the colorful region counts half
    assert g["auc"] > 0.8 and g["auc_rebalanced"] < g["auc"] - 0.05


def test_false_color_counts_vivid_color_on_neutral_pixels_only():
    true_ab = np.zeros((10, 10, 2), np.float32)
    true_ab[:5] = (50.0, 20.0)  # half the photo is truly colorful, half neutral
    pred_ab = true_ab.copy()
    pred_ab[5:7] = (0.0, -40.0)  # 20 of the 50 neutral pixels painted blue
    pred_ab[7, :] = (15.0, 0.0)  # a faint tint is not a blotch
    rgb = np.zeros((10, 10, 3), np.uint8)
    acc = MetricAccumulator()
    acc.add(rgb, rgb, pred_ab, true_ab)
    assert acc.result()["false_color"] == pytest.approx(20 / 50)
    exact = MetricAccumulator()
    exact.add(rgb, rgb, true_ab, true_ab)  # vivid where the truth is vivid is no false color
    assert exact.result()["false_color"] == 0
