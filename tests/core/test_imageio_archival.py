"""Tests for what colorizer_app.core.imageio keeps of an archive's photos: long file
names, a turned photo's resolution, a press file's CMYK colors, a camera's bulky EXIF.

Real files in a temp folder, as in test_imageio.py.
"""

from __future__ import annotations

import errno
import logging
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorizer_app.core import imageio
from colorizer_app.core.imageio import load_photo, save_photo
from tests.iccprofiles import icc_profile, s15

ARTIST, TAKEN = 0x013B, 0x9003  # IFD0 Artist, Exif IFD DateTimeOriginal
EXIF_IFD, MAKER_NOTE = 0x8769, 0x927C


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
def test_a_long_names_temp_file_fits_and_is_still_known_as_a_temp_file(tmp_path, gradient, temp_names, stem):
    """Shortened, the temp name still ends as save_photo's do, so a killed save's
    leftover is still found and removed (remove_stale_temp_files)."""
    save_photo(tmp_path / f"{stem}.tif", gradient(8, 8, 3))
    (name,) = temp_names
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


# ------------------------------------------------------------------- CMYK colors


def _corner_lab(c: int, m: int, y: int, k: int) -> tuple[float, float, float]:
    """Lab of a CMYK corner (each ink 0 or full) in the test profile: inks on white
    paper (a relative colorimetric table maps the paper to white), duller than the
    pure colors Pillow's plain formula makes of them, as on any press."""
    lightness = 100.0 - 38 * c - 45 * m - 8 * y
    a = -30.0 * c + 60 * m - 5 * y
    b = -24.0 * c - 5 * m + 80 * y
    if k:
        lightness, a, b = lightness * 0.12, a * 0.2, b * 0.2
    return max(lightness, 4.0), a, b


def _lab_in_srgb(lab: tuple[float, float, float]) -> np.ndarray:
    """A D50 Lab color in 8-bit sRGB (Bradford to D65), clipped."""
    fy = (lab[0] + 16) / 116
    f = np.array([fy + lab[1] / 500, fy, fy - lab[2] / 200])
    xyz = np.where(f > 6 / 29, f ** 3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * [0.9642, 1.0, 0.8249]
    bradford = np.array([[0.9555766, -0.0230393, 0.0631636], [-0.0282895, 1.0099416, 0.0210077],
                         [0.0122982, -0.0204830, 1.3299098]])
    to_rgb = np.array([[3.2404542, -1.5371385, -0.4985314], [-0.9692660, 1.8760108, 0.0415560],
                       [0.0556434, -0.2040259, 1.0572252]])
    linear = np.clip(to_rgb @ bradford @ xyz, 0, 1)
    return 255 * np.where(linear > 0.0031308, 1.055 * linear ** (1 / 2.4) - 0.055, 12.92 * linear)


def cmyk_icc_profile() -> bytes:
    """A minimal ICC v2 CMYK printer profile LittleCMS reads: one 16-bit table
    (A2B0, CMYK to Lab) over a grid of 2 points per ink. A press profile says the
    same thing in thousands of numbers; this one says it in 48."""
    grid = [_corner_lab(c, m, y, k) for c in (0, 1) for m in (0, 1) for y in (0, 1) for k in (0, 1)]
    clut = b"".join(struct.pack(">HHH", round(lab[0] * 652.8), round((lab[1] + 128) * 256),
                                round((lab[2] + 128) * 256)) for lab in grid)  # ICC v2 16-bit Lab
    identity = s15(1) + s15(0) + s15(0) + s15(0) + s15(1) + s15(0) + s15(0) + s15(0) + s15(1)
    a2b0 = (b"mft2" + b"\0" * 4 + bytes([4, 3, 2, 0]) + identity + struct.pack(">HH", 2, 2)
            + struct.pack(">HH", 0, 65535) * 4 + clut + struct.pack(">HH", 0, 65535) * 3)
    return icc_profile(b"prtr", b"CMYK", b"Lab ", b"test press", [(b"A2B0", a2b0)])


def _cmyk_patches() -> Image.Image:
    """Bare paper on the left, full cyan on the right."""
    cmyk = np.zeros((8, 16, 4), np.uint8)
    cmyk[:, 8:, 0] = 255
    return Image.fromarray(cmyk, "CMYK")


def test_a_cmyk_jpeg_is_shown_through_its_profile(tmp_path):
    """The profile says what this press's cyan looks like: that color, as an editor
    shows it, not the pure (0, 255, 255) of Pillow's plain formula."""
    path = tmp_path / "press.jpg"
    _cmyk_patches().save(path, icc_profile=cmyk_icc_profile(), quality=100)

    photo = load_photo(path)

    assert photo.pixels.shape == (8, 16, 3) and photo.icc_profile is None  # now sRGB
    paper = photo.pixels[:, :8].reshape(-1, 3).mean(axis=0)
    cyan = photo.pixels[:, 8:].reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(paper, 255, atol=2)
    expected = _lab_in_srgb(_corner_lab(1, 0, 0, 0))
    assert expected[1] < 200  # far from the formula's 255
    np.testing.assert_allclose(cyan, expected, atol=8)


@pytest.mark.parametrize("profile", [b"not a profile at all" * 8, b"\0" * 16 + b"CMYK" + b"\0" * 200],
                         ids=["junk", "a header and nothing else"])
def test_a_cmyk_jpeg_with_an_unusable_profile_still_opens_with_the_plain_formula(tmp_path, profile):
    path = tmp_path / "press.jpg"
    _cmyk_patches().save(path, icc_profile=profile, quality=100)
    with Image.open(path) as img:
        assert img.info["icc_profile"] == profile
        plain = np.asarray(img.convert("RGB"))

    photo = load_photo(path)

    np.testing.assert_array_equal(photo.pixels, plain)
    assert photo.icc_profile is None


def test_an_rgb_photos_profile_is_kept_not_applied(tmp_path, gradient, srgb_icc):
    path = tmp_path / "rgb.png"
    Image.fromarray(gradient(8, 8, 3)).save(path, icc_profile=srgb_icc)
    photo = load_photo(path)
    np.testing.assert_array_equal(photo.pixels, gradient(8, 8, 3))
    assert photo.icc_profile == srgb_icc


# ------------------------------------------------------------- a camera's EXIF


def _camera_exif(maker_note_size: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ARTIST] = "Ada Lovelace"
    exif[0x010F] = "Nikon"  # Make
    exif.get_ifd(EXIF_IFD)[TAKEN] = "1931:05:04 12:00:00"
    exif.get_ifd(EXIF_IFD)[MAKER_NOTE] = (bytes(range(256)) * (maker_note_size // 256 + 1))[:maker_note_size]
    return exif


def _exif_of(path: Path) -> Image.Exif:
    exif = Image.Exif()
    exif.load(load_photo(path).exif)
    return exif


def test_exif_too_big_for_a_jpeg_loses_its_maker_note_first(tmp_path, gradient, caplog):
    """A 70 KB MakerNote (a camera's private data) does not fit in a JPEG's one EXIF
    segment: it is left out, and said to be; the date and the author stay."""
    scan = tmp_path / "camera.png"
    Image.fromarray(gradient(8, 8, 1)).save(scan, exif=_camera_exif(70_000).tobytes())
    photo = load_photo(scan)

    left_out = []
    with caplog.at_level(logging.WARNING, logger=imageio.__name__):
        out = save_photo(tmp_path / "out.jpg", gradient(8, 8, 3), exif=photo.exif, source=scan, left_out=left_out)

    kept = _exif_of(out)
    assert kept[ARTIST] == "Ada Lovelace" and kept[0x010F] == "Nikon"
    assert kept.get_ifd(EXIF_IFD)[TAKEN] == "1931:05:04 12:00:00"
    assert MAKER_NOTE not in kept.get_ifd(EXIF_IFD)
    assert imageio.colorized_from(out).name == "camera.png"
    (said,) = left_out
    assert "MakerNote" in said and "left out" in said
    assert not caplog.records  # the caller, given left_out, tells the person: said once
    # Without left_out, the log says it, naming the file.
    save_photo(tmp_path / "logged.jpg", gradient(8, 8, 3), exif=photo.exif)
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert record.getMessage().startswith("logged.jpg: the camera's MakerNote")
    # A format without the limit keeps it all.
    png = save_photo(tmp_path / "out.png", gradient(8, 8, 3), exif=photo.exif)
    assert len(_exif_of(png).get_ifd(EXIF_IFD)[MAKER_NOTE]) == 70_000


def test_a_camera_jpeg_whose_exif_fills_its_segment_keeps_all_but_its_maker_note(tmp_path, gradient):
    """Colorizer's mark makes a full EXIF segment overflow in the result."""
    exif = _camera_exif(65_400)
    assert len(exif.tobytes()) <= 65_533  # fits in the camera's own JPEG
    camera = tmp_path / "DSC_0001.jpg"
    Image.fromarray(gradient(8, 8, 3)).save(camera, exif=exif.tobytes())

    out = save_photo(tmp_path / "out.jpg", gradient(8, 8, 3), exif=load_photo(camera).exif, source=camera)

    kept = _exif_of(out)
    assert kept[ARTIST] == "Ada Lovelace" and kept.get_ifd(EXIF_IFD)[TAKEN] == "1931:05:04 12:00:00"
    assert MAKER_NOTE not in kept.get_ifd(EXIF_IFD)
    assert imageio.made_from(out, camera)


def test_exif_that_fits_keeps_its_maker_note(tmp_path, gradient, caplog):
    with caplog.at_level(logging.WARNING, logger=imageio.__name__):
        out = save_photo(tmp_path / "out.jpg", gradient(8, 8, 3), exif=_camera_exif(4_096).tobytes())
    assert len(_exif_of(out).get_ifd(EXIF_IFD)[MAKER_NOTE]) == 4_096
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("maker_note", [20_000, 0])
def test_exif_still_too_big_without_its_maker_note_keeps_only_the_mark(tmp_path, gradient, maker_note):
    exif = _camera_exif(maker_note)
    if not maker_note:
        del exif.get_ifd(EXIF_IFD)[MAKER_NOTE]
    exif[0x010E] = "x" * 70_000  # ImageDescription: more than one segment holds by itself
    left_out = []
    out = save_photo(tmp_path / "out.jpg", gradient(8, 8, 3), exif=exif.tobytes(), left_out=left_out)
    assert set(_exif_of(out)) == {0x0131}
    (said,) = left_out
    assert "was left out" in said
    assert ("even without the MakerNote" in said) == bool(maker_note)  # only where there was one
    assert "65,533 bytes" in said
