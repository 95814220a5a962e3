"""Metrics on hand-made arrays whose answers are known."""

import numpy as np
import pytest

from training.metrics import MetricAccumulator, colorfulness, format_table, psnr


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


def test_format_table_fixed_precision_signed_gap_and_any_name_aligned():
    rgb = np.zeros((10, 10, 3), np.uint8)
    rgb[:5] = (200, 40, 40)
    acc = MetricAccumulator()
    acc.add(rgb, rgb, np.zeros((10, 10, 2), np.float32), np.zeros((10, 10, 2), np.float32))
    measured = acc.result()
    loud = {**measured, "psnr": 28.4, "auc": 0.9561, "auc_rebalanced": 0.712, "colorfulness": 0.007251,
            "colorfulness_gap": 0.551, "false_color": 0.0213, "photos": 516}
    dull = {**loud, "psnr": 26.25, "colorfulness_gap": -0.072}
    long_name = "m" * 64  # the longest name a model may have
    head, rule, *rows, note = format_table({"short": loud, "colorizer-vivid": dull, long_name: measured}).splitlines()
    assert rows[0].split() == ["short", "28.40", "0.956", "0.712", "0.0", "+55.1%", "2.1%", "516"]
    assert rows[1].split() == ["colorizer-vivid", "26.25", "0.956", "0.712", "0.0", "-7.2%", "2.1%", "516"]
    assert rows[2].startswith(long_name + "  ")
    assert len({len(line) for line in (head, rule, *rows)}) == 1, "every row lines up with the header"
    assert "better" in note and "nearer 0" in note
    typical = format_table({"gray input": loud, "colorizer-vivid": dull})
    assert max(len(line) for line in typical.splitlines()) <= 100
