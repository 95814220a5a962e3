"""Tests for what colorizer_app.core.imageio keeps of an archive's photos: long file
names, a turned photo's resolution.

Real files in a temp folder, as in test_imageio.py.
"""

from __future__ import annotations

import errno
import os

import pytest
from PIL import Image

from colorizer_app.core import imageio
from colorizer_app.core.imageio import load_photo, save_photo


# ------------------------------------------------------------------ long names


# 250 bytes; 80 CJK characters (240 bytes in UTF-8): file names an archive's catalogue
# numbers and captions make, within the usual limit of 255 bytes.
LONG_STEMS = ["a" * 246, "祖母の写真" * 16]


@pytest.mark.parametrize("stem", LONG_STEMS, ids=["250 bytes", "80 CJK characters"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_long_name_is_saved_and_leaves_no_temp_file(tmp_path, gradient, stem, overwrite):
    path = tmp_path / f"{stem}.jpg"
    assert len(os.fsencode(path.name)) <= 255

    assert save_photo(path, gradient(8, 8, 3), overwrite=overwrite) == path

    assert os.listdir(tmp_path) == [path.name]
    assert load_photo(path).pixels.shape == (8, 8, 3)


@pytest.mark.parametrize("stem", LONG_STEMS, ids=["250 bytes", "80 CJK characters"])
def test_a_long_names_temp_file_fits_and_is_still_known_as_a_temp_file(tmp_path, gradient, monkeypatch, stem):
    """Shortened, the temp name still ends as save_photo's do, so a killed save's
    leftover is still found and removed (remove_stale_temp_files)."""
    seen = []

    def spy(path):
        temp, fd = real_create_temp(path)
        seen.append(temp.name)
        return temp, fd

    real_create_temp = imageio._create_temp
    monkeypatch.setattr(imageio, "_create_temp", spy)
    save_photo(tmp_path / f"{stem}.tif", gradient(8, 8, 3))
    (name,) = seen
    assert len(name.encode("utf-8")) <= 255  # whole characters: strict UTF-8 encodes it
    assert name.startswith("." + stem[:8]) and name.endswith(".tif")
    assert imageio._TEMP_NAME.match(name)


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_name_too_long_for_the_disk_is_said_to_be_too_long(tmp_path, gradient, overwrite):
    path = tmp_path / ("b" * 252 + ".png")  # 256 bytes: no file of this name can exist here

    with pytest.raises(OSError) as raised:
        save_photo(path, gradient(8, 8, 3), overwrite=overwrite)

    error = raised.value
    assert error.errno == errno.ENAMETOOLONG
    assert "file name is too long" in error.strerror and "256 bytes" in error.strerror
    assert str(tmp_path) not in error.strerror  # the name is at fault, not the folder
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------ a turned photo's resolution


@pytest.mark.parametrize("source_ext", [".jpg", ".tif"])
@pytest.mark.parametrize("out_ext", [".jpg", ".png", ".tif", ".webp"])
def test_a_turned_photos_exif_resolution_turns_with_it(tmp_path, gradient, source_ext, out_ext):
    """Stored 12 wide at 300 dpi by 8 high at 600 dpi, shown turned (orientation 6):
    the upright result is 8 wide at 600 dpi, 12 high at 300."""
    source = tmp_path / f"turned{source_ext}"
    stored = Image.fromarray(gradient(8, 12, 1))
    if source_ext == ".jpg":
        exif = Image.Exif()
        exif[0x0112], exif[282], exif[283], exif[296] = 6, 300, 600, 2
        stored.save(source, exif=exif.tobytes())
    else:
        stored.save(source, dpi=(300, 600), tiffinfo={0x0112: 6})
    photo = load_photo(source)
    assert photo.pixels.shape == (12, 8)

    out = save_photo(tmp_path / f"out{out_ext}", gradient(12, 8, 3), exif=photo.exif)

    with Image.open(out) as img:
        tags = img.getexif()
    assert tags.get(0x0112, 1) == 1
    assert (float(tags[282]), float(tags[283])) == (600.0, 300.0)


def test_an_upright_photos_resolution_is_left_as_it_is(tmp_path, gradient):
    exif = Image.Exif()
    exif[0x0112], exif[282], exif[283], exif[296] = 3, 300, 600, 2  # turned 180°: axes stay
    out = save_photo(tmp_path / "out.jpg", gradient(8, 12, 3), exif=exif.tobytes())
    with Image.open(out) as img:
        tags = img.getexif()
    assert (float(tags[282]), float(tags[283])) == (300.0, 600.0)
