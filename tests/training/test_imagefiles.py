"""The training module's image files: read and written through bytes, whole or not at all."""

import numpy as np
import pytest

from training.imagefiles import read_rgb, write_rgb


def test_a_photo_round_trips_under_a_non_ascii_folder(tmp_path):
    folder = tmp_path / "José" / "runs"  # Windows' narrow-string paths cannot name this one
    folder.mkdir(parents=True)
    rgb = np.zeros((8, 12, 3), np.uint8)
    rgb[..., 0] = 200  # red: a BGR/RGB mix-up would read back blue
    write_rgb(folder / "preview.png", rgb)
    np.testing.assert_array_equal(read_rgb(folder / "preview.png"), rgb)
    assert [p.name for p in folder.iterdir()] == ["preview.png"]  # no temp file left


def test_a_write_that_cannot_happen_says_so(tmp_path):
    with pytest.raises(OSError):  # cv2.imwrite would return False and say nothing
        write_rgb(tmp_path / "missing" / "preview.png", np.zeros((4, 4, 3), np.uint8))


def test_missing_or_damaged_files_read_as_none(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    (tmp_path / "empty.png").write_bytes(b"")
    assert read_rgb(tmp_path / "missing.jpg") is None
    assert read_rgb(tmp_path / "broken.jpg") is None
    assert read_rgb(tmp_path / "empty.png") is None
