"""Tests for colorizer_app.core.imageio on real files written to a temp folder."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps, TiffImagePlugin, TiffTags

from colorizer_app.core import imageio
from colorizer_app.core.imageio import ImageReadError, Photo, load_photo, save_photo
from tests.iccprofiles import icc_profile

H, W = 24, 36
LOSSY = {".jpg", ".webp"}  # save_photo writes lossy WebP, like JPEG
METADATA_EXTS = {".jpg", ".png", ".tif", ".webp"}
ALPHA_EXTS = {".png", ".tif", ".webp"}

# (extension, mode) for every input kind the app must read.
# RGB16/RGBA16 are written with OpenCV, as Pillow cannot write them.
INPUT_CASES = [
    (".jpg", "L"), (".jpg", "RGB"), (".jpg", "CMYK"),
    (".png", "1"), (".png", "L"), (".png", "LA"), (".png", "RGB"), (".png", "RGBA"),
    (".png", "P"), (".png", "P+transparency"), (".png", "I;16"),
    (".png", "RGB16"), (".png", "RGBA16"),
    (".tif", "L"), (".tif", "LA"), (".tif", "RGB"), (".tif", "RGBA"), (".tif", "P"),
    (".tif", "CMYK"), (".tif", "I;16"), (".tif", "RGB16"), (".tif", "RGBA16"),
    (".bmp", "L"), (".bmp", "RGB"), (".bmp", "P"),
    (".webp", "RGB"), (".webp", "RGBA"),
]
GRAY_MODES = {"1", "L", "LA", "I;16"}
ALPHA_MODES = {"LA", "RGBA", "P+transparency", "RGBA16"}
SIXTEEN_BIT_MODES = {"I;16", "RGB16", "RGBA16"}


class Written:
    """An input file plus what load_photo should find in it."""

    def __init__(self, path: Path, pixels: np.ndarray, alpha: np.ndarray | None,
                 exif: bool, icc: bytes | None) -> None:
        self.path = path
        self.pixels = pixels
        self.alpha = alpha
        self.exif = exif
        self.icc = icc


@pytest.fixture
def write_input(tmp_path, gradient, make_exif, srgb_icc, icc_with_space, add_png_chunk):
    """Write a file of the given extension and mode; return what should load."""

    def write(ext: str, mode: str) -> Written:
        path = tmp_path / f"input_{mode.replace(';', '').replace('+', '_')}{ext}"
        gray = mode in GRAY_MODES
        icc = icc_with_space(srgb_icc, b"GRAY") if gray else srgb_icc
        if mode == "CMYK":
            icc = icc_with_space(srgb_icc, b"CMYK")
        rgb = gradient(H, W, 3)
        alpha = np.tile(np.linspace(0, 255, W).astype(np.uint8), (H, 1))
        if mode in ("RGB16", "RGBA16"):
            return _write_16bit_color(path, mode, gradient, make_exif, srgb_icc, add_png_chunk)
        img, pixels, expected_alpha = _pillow_input(mode, rgb, alpha, gradient)
        options: dict = {}
        if ext in METADATA_EXTS:
            options.update(exif=make_exif(), icc_profile=icc)
        if ext == ".webp":
            options.update(lossless=True, exact=True)  # keep color under alpha 0
        if ext == ".jpg":
            options["quality"] = 95
        if mode == "P+transparency":
            options["transparency"] = 0
        img.save(path, **options)
        expected_icc = icc if ext in METADATA_EXTS and mode != "CMYK" else None
        return Written(path, pixels, expected_alpha, ext in METADATA_EXTS, expected_icc)

    return write


def _pillow_input(mode: str, rgb: np.ndarray, alpha: np.ndarray, gradient):
    """A Pillow image in `mode` and the pixels/alpha it should decode to."""
    gray = rgb[..., 0]
    if mode == "1":
        img = Image.fromarray(gray > 128)
        return img, np.where(gray > 128, 255, 0).astype(np.uint8), None
    if mode == "L":
        return Image.fromarray(gray), gray, None
    if mode == "LA":
        return Image.fromarray(np.dstack([gray, alpha]), "LA"), gray, alpha
    if mode == "RGB":
        return Image.fromarray(rgb), rgb, None
    if mode == "RGBA":
        return Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), rgb, alpha
    if mode in ("P", "P+transparency"):
        img = Image.fromarray(rgb).quantize(32)
        pixels = np.asarray(img.convert("RGB"))
        if mode == "P":
            return img, pixels, None
        return img, pixels, np.where(np.asarray(img) == 0, 0, 255).astype(np.uint8)
    if mode == "CMYK":
        img = Image.fromarray(rgb).convert("CMYK")
        return img, np.asarray(img.convert("RGB")), None
    if mode == "I;16":
        gray16 = gradient(H, W, 1, np.uint16)
        return Image.fromarray(gray16), gray16, None
    raise AssertionError(mode)


def _write_16bit_color(path, mode, gradient, make_exif, srgb_icc, add_png_chunk) -> Written:
    """A 16-bit RGB(A) file written by OpenCV; PNGs get EXIF and ICC chunks added."""
    rgb = gradient(H, W, 3, np.uint16)
    alpha = np.tile(np.linspace(0, 65535, W).astype(np.uint16), (H, 1)) if mode == "RGBA16" else None
    bgr = rgb[..., ::-1] if alpha is None else np.dstack([rgb[..., ::-1], alpha])
    assert cv2.imwrite(str(path), np.ascontiguousarray(bgr))
    if path.suffix == ".png":
        add_png_chunk(path, b"eXIf", make_exif()[6:])
        add_png_chunk(path, b"iCCP", b"icc\x00\x00" + zlib.compress(srgb_icc))
        return Written(path, rgb, alpha, True, srgb_icc)
    return Written(path, rgb, alpha, False, None)


def _assert_pixels_match(actual: np.ndarray, expected: np.ndarray, lossy: bool) -> None:
    """Exact for lossless files, close on average for JPEG."""
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    if lossy:
        diff = np.abs(actual.astype(np.int32) - expected.astype(np.int32))
        assert diff.mean() < 3.0, diff.mean()
    else:
        np.testing.assert_array_equal(actual, expected)


def _assert_exif(exif: Image.Exif, orientation: int = 1, interop: bool = True) -> None:
    """Artist and the sub-IFD entries survive; Orientation is as given.

    interop=False: the file came from Pillow's TIFF writer, which leaves the Interop
    pointer stale; it must then be dropped, not read as junk.
    """
    assert exif.get(0x013B) == "Ada Lovelace"
    assert exif.get(0x0112) == orientation
    assert exif.get_ifd(0x8769).get(0x9003) == "1931:05:04 12:00:00"
    assert exif.get_ifd(0xA005) == ({0x0001: "R98"} if interop else {})
    assert exif.get_ifd(0x8825) == {0x0001: "N"}


@pytest.mark.parametrize(("ext", "mode"), INPUT_CASES)
def test_load_every_format_and_mode(write_input, ext, mode):
    written = write_input(ext, mode)
    photo = load_photo(written.path)

    assert photo.format == imageio.WRITE_FORMATS[ext]
    assert photo.path == written.path
    _assert_pixels_match(photo.pixels, written.pixels, lossy=ext in LOSSY)
    assert photo.pixels.ndim == (2 if mode in GRAY_MODES else 3)
    assert photo.bit_depth == (16 if mode in SIXTEEN_BIT_MODES else 8)
    if written.alpha is None:
        assert photo.alpha is None
    else:
        np.testing.assert_array_equal(photo.alpha, written.alpha)
    assert photo.icc_profile == written.icc
    if written.exif:
        exif = Image.Exif()
        exif.load(photo.exif)
        _assert_exif(exif, interop=ext != ".tif")
    else:
        assert photo.exif is None


@pytest.mark.parametrize(("ext", "mode"), INPUT_CASES)
def test_round_trip_keeps_size_depth_alpha_exif_icc(write_input, tmp_path, read_exif, ext, mode):
    written = write_input(ext, mode)
    photo = load_photo(written.path)
    out = tmp_path / f"out{ext}"

    assert save_photo(out, photo.pixels, alpha=photo.alpha, exif=photo.exif,
                      icc_profile=photo.icc_profile) == out
    again = load_photo(out)

    expected_pixels = photo.pixels
    if ext == ".webp" and photo.pixels.ndim == 2:
        expected_pixels = np.repeat(photo.pixels[..., None], 3, axis=2)
    _assert_pixels_match(again.pixels, expected_pixels, lossy=ext in LOSSY)
    if photo.alpha is not None and ext in ALPHA_EXTS:
        np.testing.assert_array_equal(again.alpha, photo.alpha)  # lossless even in WebP
    else:
        assert again.alpha is None
    if ext in METADATA_EXTS:
        assert again.icc_profile == photo.icc_profile
        if photo.exif is not None:
            _assert_exif(read_exif(out), interop=ext != ".tif")
    else:
        assert again.exif is None and again.icc_profile is None


SAVE_CASES = [  # extension, expected dtype, alpha kept, channels for gray input
    (".png", np.uint16, True, 1),
    (".tif", np.uint16, True, 3),  # 16-bit gray+alpha TIFF is written as RGBA
    (".jpg", np.uint8, False, 1),
    (".jpeg", np.uint8, False, 1),
    (".webp", np.uint8, True, 3),
    (".bmp", np.uint8, False, 1),
    (".tiff", np.uint16, True, 3),
]


@pytest.mark.parametrize(("ext", "dtype", "keeps_alpha", "gray_channels"), SAVE_CASES)
@pytest.mark.parametrize("channels", [1, 3])
def test_save_16bit_with_alpha_to_each_format(tmp_path, gradient, make_exif, read_exif,
                                              srgb_icc, icc_with_space,
                                              ext, dtype, keeps_alpha, gray_channels, channels):
    pixels = gradient(H, W, channels, np.uint16)
    alpha = np.tile(np.linspace(0, 65535, W).astype(np.uint16), (H, 1))
    icc = srgb_icc if channels == 3 else icc_with_space(srgb_icc, b"GRAY")
    out = save_photo(tmp_path / f"out{ext}", pixels, alpha=alpha,
                     exif=make_exif(orientation=6), icc_profile=icc)

    photo = load_photo(out)
    assert photo.pixels.dtype == dtype
    assert photo.pixels.shape[:2] == (H, W)  # orientation is metadata only on save
    out_channels = gray_channels if channels == 1 else 3
    assert (photo.pixels.ndim == 2) == (out_channels == 1)
    assert (photo.alpha is not None) == keeps_alpha
    if ext in (".png", ".tif", ".tiff", ".bmp"):  # lossless: check values exactly
        expected = pixels if dtype == np.uint16 else imageio._convert_depth(pixels, np.uint8)
        if photo.pixels.ndim == 3 and channels == 1:
            expected = np.repeat(expected[..., None], 3, axis=2)
        np.testing.assert_array_equal(photo.pixels, expected)
    if keeps_alpha and dtype == np.uint16:
        np.testing.assert_array_equal(photo.alpha, alpha)
    if ext == ".bmp":
        assert photo.exif is None and photo.icc_profile is None
    else:
        _assert_exif(read_exif(out), orientation=1)
        # A gray profile cannot describe RGB output (WebP, or gray+alpha TIFF).
        fits = photo.pixels.ndim == (2 if channels == 1 else 3)
        assert photo.icc_profile == (icc if fits else None)


def test_16_to_8_bit_rounds_to_nearest(tmp_path):
    # 8-bit v corresponds to 16-bit 257 v; halfway points are 128.5 apart from it.
    values = np.array([[0, 128, 129, 257, 32767, 32896, 65406, 65407, 65535]], np.uint16)
    out = save_photo(tmp_path / "round.bmp", values)
    np.testing.assert_array_equal(load_photo(out).pixels, [[0, 0, 1, 1, 127, 128, 254, 255, 255]])


def test_16bit_png_is_readable_by_other_decoders(tmp_path, gradient):
    pixels = gradient(H, W, 3, np.uint16)
    alpha = np.full((H, W), 1234, np.uint16)
    out = save_photo(tmp_path / "deep.png", pixels, alpha=alpha)
    bgra = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(bgra[..., 2::-1], pixels)
    np.testing.assert_array_equal(bgra[..., 3], alpha)
    with Image.open(out) as img:
        img.verify()  # checks every chunk CRC


def test_16bit_tiff_is_readable_by_other_decoders(tmp_path, gradient):
    pixels = gradient(300, 500, 3, np.uint16)  # several strips
    out = save_photo(tmp_path / "deep.tif", pixels)
    np.testing.assert_array_equal(cv2.imread(str(out), cv2.IMREAD_UNCHANGED)[..., ::-1], pixels)
    with Image.open(out) as img:
        assert img.mode == "RGB" and img.size == (500, 300)
        assert img.tag_v2[258] == (16, 16, 16)


# ------------------------------------------------------------------ orientation


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillow(tmp_path, gradient, make_exif, orientation):
    stored = gradient(10, 16, 3)
    path = tmp_path / f"o{orientation}.png"
    Image.fromarray(stored).save(path, exif=make_exif(orientation))
    with Image.open(path) as img:
        upright = np.asarray(ImageOps.exif_transpose(img))

    photo = load_photo(path)

    np.testing.assert_array_equal(photo.pixels, upright)
    assert photo.pixels.shape[:2] == ((16, 10) if orientation >= 5 else (10, 16))


def _write_tiff_kind(path: Path, stored: np.ndarray, kind: str, orientation: int) -> None:
    """A TIFF of 8-bit `stored` as the given kind, with an Orientation tag."""
    if kind == "gray8, uncompressed":
        Image.fromarray(stored[..., 0]).save(path, tiffinfo={0x0112: orientation})
    elif kind == "gray16, uncompressed":
        Image.fromarray(stored[..., 0].astype(np.uint16) * 257).save(path, tiffinfo={0x0112: orientation})
    elif kind == "rgb8, LZW":
        Image.fromarray(stored).save(path, tiffinfo={0x0112: orientation}, compression="tiff_lzw")
    else:  # 16-bit color with alpha: Pillow cannot write it, imageio's own writer can
        exif = Image.Exif()
        exif[0x0112] = orientation
        with open(path, "wb") as f:
            imageio._write_tiff(f, stored.astype(np.uint16) * 257, np.full(stored.shape[:2], 9000, np.uint16),
                                exif, None)


@pytest.mark.parametrize("kind", ["gray8, uncompressed", "gray16, uncompressed", "rgb8, LZW", "rgba16"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_tiff_is_turned_upright_once(tmp_path, gradient, make_exif, kind, orientation):
    """Pillow and OpenCV turn TIFFs upright themselves: the orientation must not be
    applied a second time, nor a turned size mapped onto the stored pixels."""
    stored = gradient(10, 16, 3)
    png = tmp_path / "reference.png"
    Image.fromarray(stored).save(png, exif=make_exif(orientation))
    with Image.open(png) as img:
        upright = np.asarray(ImageOps.exif_transpose(img))
    path = tmp_path / "turned.tif"
    _write_tiff_kind(path, stored, kind, orientation)

    photo = load_photo(path)

    expected = upright if kind.startswith("rgb") else upright[..., 0]
    if "16" in kind:
        expected = expected.astype(np.uint16) * 257
    np.testing.assert_array_equal(photo.pixels, expected)
    if photo.alpha is not None:
        assert photo.alpha.shape == expected.shape[:2]


def test_jpeg_rotated_90_is_upright_and_saved_with_orientation_1(tmp_path, make_exif, read_exif):
    stored = np.zeros((20, 40), np.uint8)
    stored[:, :20] = 255  # left half white as stored
    path = tmp_path / "rot.jpg"
    Image.fromarray(stored).save(path, exif=make_exif(orientation=6), quality=95)

    photo = load_photo(path)

    assert photo.pixels.shape == (40, 20)
    # Orientation 6: displayed rotated 90° clockwise, so the stored left is now the top.
    assert photo.pixels[:18].mean() > 240 and photo.pixels[22:].mean() < 15
    out = save_photo(tmp_path / "out.jpg", photo.pixels, exif=photo.exif)
    _assert_exif(read_exif(out), orientation=1)
    assert load_photo(out).pixels.shape == (40, 20)  # not rotated a second time


def test_mirrored_tiff_and_16bit_png_are_flipped(tmp_path, gradient, make_exif, add_png_chunk):
    stored = gradient(12, 18, 3)
    tif = tmp_path / "mirror.tif"
    Image.fromarray(stored).save(tif, exif=make_exif(orientation=2))
    np.testing.assert_array_equal(load_photo(tif).pixels, stored[:, ::-1])

    deep = gradient(12, 18, 3, np.uint16)
    png = tmp_path / "mirror16.png"
    cv2.imwrite(str(png), np.ascontiguousarray(deep[..., ::-1]))
    add_png_chunk(png, b"eXIf", make_exif(orientation=4)[6:])
    photo = load_photo(png)
    assert photo.pixels.dtype == np.uint16
    np.testing.assert_array_equal(photo.pixels, deep[::-1])


# ------------------------------------------------------------------------ errors


def _assert_read_error(path: Path, *words: str) -> None:
    with pytest.raises(ImageReadError) as info:
        load_photo(path)
    message = str(info.value)
    assert path.name in message
    for word in words:
        assert word in message.lower()
    assert info.value.path == path


def test_missing_file(tmp_path):
    _assert_read_error(tmp_path / "nowhere.jpg", "not found")


def test_directory(tmp_path):
    folder = tmp_path / "album.jpg"
    folder.mkdir()
    _assert_read_error(folder, "folder")


def test_not_an_image(tmp_path):
    path = tmp_path / "letter.jpg"
    path.write_text("Dear Sir, please find enclosed...")
    _assert_read_error(path, "not an image")


def test_empty_file(tmp_path):
    path = tmp_path / "copying.jpg"
    path.write_bytes(b"")
    _assert_read_error(path, "empty (0 bytes)")


def test_unsupported_format(tmp_path, gradient):
    path = tmp_path / "scan.pcx"
    Image.fromarray(gradient(8, 8, 3)).save(path)
    _assert_read_error(path, "pcx", "not supported")


def test_a_gif_is_read_from_its_first_frame(tmp_path, gradient):
    """Old web archives keep scans as GIF: read (the first frame), never written."""
    first, second = Image.fromarray(gradient(8, 12, 1)), Image.fromarray(255 - gradient(8, 12, 1))
    first.save(tmp_path / "scan.gif", save_all=True, append_images=[second])
    photo = load_photo(tmp_path / "scan.gif")
    assert photo.pixels.shape[:2] == (8, 12) and photo.format == "GIF"
    gray = photo.pixels if photo.pixels.ndim == 2 else photo.pixels[..., 0]
    assert abs(int(gray[0, 0]) - int(gradient(8, 12, 1)[0, 0])) <= 8  # the first frame, not the inverted second


@pytest.mark.parametrize("ext", [".jpg", ".png", ".tif"])
def test_truncated_file(tmp_path, gradient, ext):
    path = tmp_path / f"cut{ext}"
    Image.fromarray(gradient(64, 64, 3, seed=5)).save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ImageReadError) as info:
        load_photo(path)
    assert path.name in str(info.value)
    assert "truncated" in info.value.reason or "damaged" in info.value.reason
    if "truncated" in info.value.reason:
        assert "[" not in info.value.reason  # plain words, not the decoder's message after them


@pytest.mark.parametrize("size", [(15_000, 15_000), (30_000, 30_000)])
def test_decompression_bomb(tmp_path, write_png_header_only, size):
    # 225 MP trips Pillow's warning (made an error), 900 MP its own error.
    path = tmp_path / "bomb.png"
    write_png_header_only(path, *size)
    _assert_read_error(path, "too large", "200 megapixels")


def test_bomb_limit_is_200_megapixels(tmp_path, write_png_header_only):
    path = tmp_path / "big.png"
    write_png_header_only(path, 14_000, 14_000)  # 196 MP: allowed, fails later on data
    with pytest.raises(ImageReadError) as info:
        load_photo(path)
    assert "too large" not in str(info.value)


# ----------------------------------------------------------------- saving safely


def test_refuses_to_overwrite(tmp_path, gradient):
    path = tmp_path / "keep.png"
    path.write_bytes(b"original")
    with pytest.raises(FileExistsError, match="keep.png already exists"):
        save_photo(path, gradient(8, 8, 3))
    assert path.read_bytes() == b"original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]


def test_overwrite_when_asked(tmp_path, gradient):
    path = tmp_path / "replace.png"
    path.write_bytes(b"original")
    save_photo(path, gradient(8, 8, 3), overwrite=True)
    assert load_photo(path).pixels.shape == (8, 8, 3)


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
@pytest.mark.parametrize("existing", [False, True])
def test_failed_encode_leaves_no_temp_file(tmp_path, gradient, monkeypatch, error, existing):
    path = tmp_path / "partial.jpg"
    if existing:
        path.write_bytes(b"original")

    def failing_encoder(f, *args):
        f.write(b"\xff\xd8 half a JPEG")
        raise error

    monkeypatch.setattr(imageio, "_encode", failing_encoder)
    with pytest.raises(type(error)):
        save_photo(path, gradient(8, 8, 3), overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == (["partial.jpg"] if existing else [])
    if existing:
        assert path.read_bytes() == b"original"


def test_temp_file_is_hidden_with_same_extension(tmp_path, gradient, temp_names):
    save_photo(tmp_path / "photo.webp", gradient(8, 8, 3))
    (name,) = temp_names
    assert name.startswith(".photo.webp.") and name.endswith(".webp")
    assert [p.name for p in tmp_path.iterdir()] == ["photo.webp"]


def test_saved_file_gets_normal_permissions(tmp_path, gradient):
    umask = os.umask(0)
    os.umask(umask)
    out = save_photo(tmp_path / "perm.png", gradient(8, 8, 3))
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_unknown_extension_and_bad_arrays(tmp_path, gradient):
    with pytest.raises(ValueError, match=r"\.gif"):
        save_photo(tmp_path / "x.gif", gradient(8, 8, 3))
    with pytest.raises(TypeError, match="uint8 or uint16"):
        save_photo(tmp_path / "x.png", np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="H×W"):
        save_photo(tmp_path / "x.png", np.zeros((8, 8, 4), np.uint8))
    with pytest.raises(ValueError, match="alpha"):
        save_photo(tmp_path / "x.png", gradient(8, 8, 3), alpha=np.zeros((4, 4), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_broken_exif_is_dropped_not_fatal(tmp_path, gradient):
    out = save_photo(tmp_path / "x.jpg", gradient(8, 8, 3), exif=b"Exif\x00\x00garbage")
    exif = Image.Exif()
    exif.load(load_photo(out).exif)
    assert set(exif) == {0x0131}  # only Colorizer's own mark
    assert imageio.written_by_colorizer(out)


@pytest.mark.parametrize("ext", [".jpg", ".png", ".tif", ".webp"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_every_file_written_carries_the_mark_and_photos_do_not(tmp_path, gradient, make_exif, ext, dtype):
    photo = tmp_path / f"photo{ext}"
    Image.fromarray(gradient(8, 8, 3)).save(photo, exif=make_exif())  # with EXIF, but not ours
    assert not imageio.written_by_colorizer(photo)

    out = save_photo(tmp_path / f"out{ext}", gradient(8, 8, 3, dtype), exif=make_exif())
    marked = save_photo(tmp_path / f"bare{ext}", gradient(8, 8, 1, dtype))

    source = tmp_path / "scène 1.jpg"
    source.write_bytes(b"0123456789")
    named = save_photo(tmp_path / f"named{ext}", gradient(8, 8, 1, dtype), source=source)

    assert imageio.written_by_colorizer(out) and imageio.written_by_colorizer(marked)
    exif = Image.Exif()
    exif.load(load_photo(out).exif)
    assert exif.get(0x013B) == "Ada Lovelace"  # the photo's own EXIF is still there
    assert str(exif.get(0x0131)).startswith("Colorizer ")
    # The photo it was colored from (the name in EXIF's ASCII) and its size; nothing
    # for files that do not say.
    assert imageio.colorized_from(named) == ("sc?ne 1.jpg", 10, imageio.content_digest(source))
    assert imageio.made_from(named, source) and not imageio.made_from(out, source)
    source.write_bytes(b"9876543210")  # another photo under that name, of the same size
    assert not imageio.made_from(named, source)
    assert imageio.colorized_from(out) is None and imageio.colorized_from(photo) is None


def test_what_cannot_be_read_is_not_taken_for_ours(tmp_path, gradient):
    (tmp_path / "notes.jpg").write_text("Colorizer")
    bmp = save_photo(tmp_path / "x.bmp", gradient(8, 8, 3))  # BMP has no room for the mark
    assert not imageio.written_by_colorizer(tmp_path / "notes.jpg")
    assert not imageio.written_by_colorizer(bmp)
    assert not imageio.written_by_colorizer(tmp_path / "missing.png")


def test_photo_is_a_plain_record(tmp_path, gradient):
    path = save_photo(tmp_path / "g.png", gradient(8, 8, 1, np.uint16))
    photo = load_photo(path)
    assert isinstance(photo, Photo)
    assert photo.is_gray and photo.bit_depth == 16 and photo.alpha is None


@pytest.mark.parametrize("out_ext", [".jpg", ".png", ".tif", ".bmp"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_the_resolution_of_a_scan_is_kept(tmp_path, gradient, out_ext, dtype):
    scan = tmp_path / "scan.jpg"
    Image.fromarray(gradient(8, 8, 1)).save(scan, dpi=(600, 600))
    photo = load_photo(scan)
    assert photo.dpi == pytest.approx((600, 600))

    out = save_photo(tmp_path / f"out{out_ext}", gradient(8, 8, 3, dtype), dpi=photo.dpi)

    with Image.open(out) as img:
        assert img.info["dpi"] == pytest.approx((600, 600), abs=0.5)


def test_the_resolution_turns_with_the_photo_and_comes_from_tiffs_too(tmp_path, gradient, make_exif):
    turned = tmp_path / "turned.jpg"
    Image.fromarray(gradient(8, 12, 1)).save(turned, dpi=(300, 600), exif=make_exif(orientation=6))
    assert load_photo(turned).dpi == pytest.approx((600, 300))
    tif = tmp_path / "scan.tif"
    Image.fromarray(gradient(8, 12, 1)).save(tif, dpi=(1200, 1200))
    assert load_photo(tif).dpi == pytest.approx((1200, 1200))
    plain = save_photo(tmp_path / "plain.png", gradient(8, 8, 3))
    assert load_photo(plain).dpi is None
    # A TIFF that states none: Pillow says (1, 1), which would place the photo 1 px per inch.
    Image.fromarray(gradient(8, 12, 1)).save(tmp_path / "stated_none.tif")
    assert load_photo(tmp_path / "stated_none.tif").dpi is None


def test_a_turned_tiff_turns_its_resolution_into_any_output(tmp_path, gradient):
    turned = tmp_path / "turned.tif"
    Image.fromarray(gradient(8, 12, 1)).save(turned, dpi=(300, 600), tiffinfo={274: 6})
    photo = load_photo(turned)
    assert photo.pixels.shape[:2] == (12, 8) and photo.dpi == pytest.approx((600, 300))
    for ext in (".tif", ".jpg"):
        out = save_photo(tmp_path / f"out{ext}", gradient(12, 8, 3), exif=photo.exif, dpi=photo.dpi)
        with Image.open(out) as img:
            assert img.info["dpi"] == pytest.approx((600, 300), abs=0.5)


def gray_icc_profile(gamma: float) -> bytes:
    """A minimal ICC v2 gray display profile: a D50 white point and one gamma curve
    (what scanners embed as "Gray Gamma 1.8"; LittleCMS reads it)."""
    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    return icc_profile(b"mntr", b"GRAY", b"XYZ ", b"gray", [(b"kTRC", curve)])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_a_gray_scan_with_its_own_profile_keeps_its_brightness(tmp_path, dtype):
    """The colorized photo is RGB and cannot carry a gray profile: its gray is
    brought into sRGB as it loads. Gamma 1.8 means lighter mid-grays than sRGB."""
    top = 255 if dtype == np.uint8 else 65535
    ramp = np.linspace(0, top, 16).round().astype(dtype)[None, :].repeat(4, axis=0)
    path = tmp_path / "scan.png"
    if dtype == np.uint8:
        Image.fromarray(ramp, "L").save(path, icc_profile=gray_icc_profile(1.8))
    else:
        Image.fromarray(ramp.astype(np.int32), "I").convert("I;16").save(path, icc_profile=gray_icc_profile(1.8))
    photo = load_photo(path)
    assert photo.icc_profile is None and photo.pixels.dtype == dtype
    middle = photo.pixels[0, 8] / top  # 0.53 of the way, as the file says
    expected = ((8 / 15) ** 1.8) ** (1 / 2.2)  # its light, in sRGB's (near) gamma 2.2
    assert middle == pytest.approx(expected, abs=0.02) and middle > 8 / 15 + 0.05
    assert photo.pixels[0, 0] == 0 and photo.pixels[0, -1] >= top * 0.99  # black and white stay


def test_a_png_with_a_bloated_xmp_packet_still_opens(tmp_path, gradient):
    """Editors pile history into XMP: 2 MB of it is no reason to refuse the photo."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>" + "history " * 300_000 + "</x:xmpmeta>", zip=True)
    path = tmp_path / "edited.png"
    Image.fromarray(gradient(8, 12, 1)).save(path, pnginfo=info)
    assert load_photo(path).pixels.shape == (8, 12)


def test_the_mark_of_a_photo_past_pillows_size_warning_is_read_without_the_warning(tmp_path, gradient, monkeypatch):
    """Planning an export reads each file's mark; a huge scan (past Pillow's bomb
    warning, here made small by lowering the limit) is only opened, not decoded."""
    import warnings

    path = save_photo(tmp_path / "huge.png", gradient(12, 12, 3))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 144 pixels is past it, below twice it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert imageio.written_by_colorizer(path)


def test_exif_too_big_for_a_jpeg_leaves_the_mark_with_its_source(tmp_path, gradient):
    big = Image.Exif()
    big[0x010E] = "x" * 70_000  # ImageDescription: more than one JPEG segment holds
    out = save_photo(tmp_path / "x.jpg", gradient(8, 8, 3), exif=big.tobytes(), source=tmp_path / "scan.tif")
    assert imageio.colorized_from(out) == ("scan.tif", None, None)  # a source that is gone: no size
    exif = Image.Exif()
    exif.load(load_photo(out).exif)
    assert set(exif) == {0x0131}  # the rest was dropped, not the photo


XMP_CAPTION = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
    'tiff:Orientation="6"><dc:description>Grand-mère à Lyon, 1931</dc:description>'
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode("utf-8")


@pytest.mark.parametrize("out_ext", [".jpg", ".png", ".tif", ".webp"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_an_archives_xmp_caption_is_carried_into_the_result(tmp_path, gradient, out_ext, dtype):
    """Archive software keeps captions, keywords and credits in XMP: the result keeps
    them, without the original's orientation (the pixels are upright now; core.xmp)."""
    scan = tmp_path / "scan.jpg"
    Image.fromarray(gradient(8, 8, 1)).save(scan, xmp=XMP_CAPTION)
    photo = load_photo(scan)
    assert photo.xmp == XMP_CAPTION

    out = save_photo(tmp_path / f"out{out_ext}", gradient(8, 8, 3, dtype), xmp=photo.xmp)

    kept = load_photo(out).xmp
    assert "Grand-mère à Lyon, 1931" in kept.decode("utf-8")
    assert b"tiff:Orientation" not in kept


def test_xmp_too_big_for_a_jpeg_is_dropped_and_the_photo_saved(tmp_path, gradient):
    xmp = XMP_CAPTION.replace(b"1931", b"1931 " * 20_000)
    out = save_photo(tmp_path / "x.jpg", gradient(8, 8, 3), xmp=xmp)
    assert load_photo(out).xmp is None and load_photo(out).pixels.shape == (8, 8, 3)
    assert "Lyon" in load_photo(save_photo(tmp_path / "x.png", gradient(8, 8, 3), xmp=xmp)).xmp.decode()


def test_exif_that_describes_the_original_pixels_is_not_carried(tmp_path, gradient):
    """The original's pixel dimensions would be wrong for a turned result; its
    "uncalibrated" color space meant its own (gray) profile, which the result has not."""
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[0xA002], sub[0xA003], sub[0xA001] = 400, 260, 0xFFFF
    sub[0x9003] = "1931:06:14 12:00:00"  # DateTimeOriginal: kept
    out = save_photo(tmp_path / "x.png", gradient(8, 8, 3), exif=exif.tobytes())
    kept = Image.Exif()
    kept.load(load_photo(out).exif)
    assert dict(kept.get_ifd(0x8769)) == {0xA001: 1, 0x9003: "1931:06:14 12:00:00"}


def test_a_scanners_tiff_tags_reach_a_jpeg_result(tmp_path, gradient):
    scan = tmp_path / "scan.tif"
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[269] = "Box 7, folder 3"  # DocumentName
    tags[40092] = "Picnic at Lyon".encode("utf-16-le") + b"\0\0"  # XPComment, as Windows writes it
    tags.tagtype[40092] = TiffTags.BYTE
    Image.fromarray(gradient(8, 8, 1)).save(scan, tiffinfo=tags)
    photo = load_photo(scan)
    out = save_photo(tmp_path / "x.jpg", gradient(8, 8, 3), exif=photo.exif)
    with Image.open(out) as img:
        exif = img.getexif()
    assert exif.get(269) == "Box 7, folder 3"
    assert bytes(exif.get(40092)).decode("utf-16-le").rstrip("\0") == "Picnic at Lyon"


@pytest.mark.parametrize("sidecar_name", ["neg_17.jpg.xmp", "neg_17.xmp"])
def test_a_sidecar_files_caption_is_carried_when_the_photo_has_none(tmp_path, gradient, sidecar_name):
    photo_path = tmp_path / "neg_17.jpg"
    Image.fromarray(gradient(8, 8, 1)).save(photo_path)
    (tmp_path / sidecar_name).write_bytes(XMP_CAPTION)
    photo = load_photo(photo_path)
    assert photo.xmp == XMP_CAPTION
    out = save_photo(tmp_path / "out.png", gradient(8, 8, 3), xmp=photo.xmp)
    assert "Grand-mère à Lyon, 1931" in load_photo(out).xmp.decode("utf-8")

    embedded = tmp_path / "embedded.jpg"  # its own XMP comes first
    Image.fromarray(gradient(8, 8, 1)).save(embedded, xmp=XMP_CAPTION.replace(b"1931", b"1932"))
    (tmp_path / "embedded.xmp").write_bytes(XMP_CAPTION)
    assert b"1932" in load_photo(embedded).xmp


def iptc_block(caption: str, keywords: list[str]) -> bytes:
    """IPTC-IIM datasets as older tools wrote them: UTF-8 declared, caption, keywords."""
    def dataset(record: int, number: int, data: bytes) -> bytes:
        return bytes([0x1C, record, number]) + struct.pack(">H", len(data)) + data

    return (dataset(1, 90, b"\x1b%G") + dataset(2, 120, caption.encode("utf-8"))
            + b"".join(dataset(2, 25, k.encode("utf-8")) for k in keywords))


def jpeg_with_iptc(path: Path, gray: np.ndarray, iptc: bytes) -> None:
    """A JPEG with an IPTC block in a Photoshop APP13 segment, as Photoshop writes it."""
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(iptc)) + iptc
    resource += b"\0" * (len(iptc) % 2)
    segment = b"Photoshop 3.0\0" + resource
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, "JPEG")
    data = buffer.getvalue()
    path.write_bytes(data[:2] + b"\xff\xed" + struct.pack(">H", len(segment) + 2) + segment + data[2:])


@pytest.mark.parametrize("kind", ["jpeg", "tiff"])
def test_an_iptc_only_caption_reaches_the_result_as_xmp(tmp_path, gradient, kind):
    iptc = iptc_block("Grand-mère à Lyon, 1931", ["picnic", "Lyon"])
    if kind == "jpeg":
        scan = tmp_path / "scan.jpg"
        jpeg_with_iptc(scan, gradient(8, 8, 1), iptc)
    else:
        scan = tmp_path / "scan.tif"
        tags = TiffImagePlugin.ImageFileDirectory_v2()
        tags[33723] = iptc
        tags.tagtype[33723] = TiffTags.UNDEFINED
        Image.fromarray(gradient(8, 8, 1)).save(scan, tiffinfo=tags)
    photo = load_photo(scan)
    out = save_photo(tmp_path / "out.png", gradient(8, 8, 3), xmp=photo.xmp)
    text = load_photo(out).xmp.decode("utf-8")
    assert '<rdf:li xml:lang="x-default">Grand-mère à Lyon, 1931</rdf:li>' in text
    assert "<rdf:Bag><rdf:li>picnic</rdf:li><rdf:li>Lyon</rdf:li></rdf:Bag>" in text


def test_a_sidecar_that_is_not_this_photos_xmp_is_passed_over(tmp_path, gradient):
    """Lightroom's IMG_1.xmp belongs to IMG_1.CR2, not to the IMG_1.JPG beside it; a
    sidecar that is not XMP at all is no caption either: the IPTC block's is taken."""
    photo_path = tmp_path / "IMG_1.JPG"
    jpeg_with_iptc(photo_path, gradient(8, 8, 1), iptc_block("From IPTC", []))
    raw_sidecar = XMP_CAPTION.replace(b'tiff:Orientation="6"',
                                      b'tiff:Orientation="6" photoshop:SidecarForExtension="CR2" '
                                      b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"')
    (tmp_path / "IMG_1.xmp").write_bytes(raw_sidecar)
    (tmp_path / "IMG_1.JPG.xmp").write_bytes(b"\x00garbage")
    xmp = load_photo(photo_path).xmp.decode("utf-8")
    assert "From IPTC" in xmp and "Lyon" not in xmp


def test_later_pages_follow_a_tiff_result_as_they_are(tmp_path, gradient, make_exif, srgb_icc):
    """A 16-bit color first page with EXIF (a sub-IFD) and ICC, then the original's
    later pages: every reader sees every page, each with its own pixels."""
    scan = tmp_path / "card.tif"
    back, note = gradient(6, 10, 1), gradient(12, 8, 1)[::-1].copy()
    Image.fromarray(gradient(8, 8, 1)).save(scan, save_all=True,
                                            append_images=[Image.fromarray(back), Image.fromarray(note)])
    later = imageio.read_later_pages(scan)
    assert [p.shape for p in later] == [(6, 10), (12, 8)]

    front = gradient(8, 8, 3, np.uint16)
    out = save_photo(tmp_path / "out.tif", front, exif=make_exif(), icc_profile=srgb_icc, later_pages=later)

    with Image.open(out) as img:
        assert img.n_frames == 3
        img.seek(1)
        np.testing.assert_array_equal(np.asarray(img), back)
        img.seek(2)
        np.testing.assert_array_equal(np.asarray(img), note)
    ok, pages = cv2.imreadmulti(str(out), flags=cv2.IMREAD_UNCHANGED)
    assert ok and [p.shape[:2] for p in pages] == [(8, 8), (6, 10), (12, 8)]
    np.testing.assert_array_equal(pages[0][..., ::-1], front)  # the 16 bits, first
    photo = load_photo(out)
    assert photo.pages == 3 and photo.bit_depth == 16 and photo.exif is not None
    assert imageio.read_later_pages(tmp_path / "out.tif")[1].shape == (12, 8)
    assert imageio.read_later_pages(save_photo(tmp_path / "one.tif", front)) == []


def test_later_pages_past_the_pixel_limit_are_left_out(tmp_path, gradient, monkeypatch):
    scan = tmp_path / "album.tif"
    Image.fromarray(gradient(8, 8, 1)).save(scan, save_all=True, append_images=[
        Image.fromarray(gradient(6, 10, 1)), Image.fromarray(gradient(12, 8, 1))])
    monkeypatch.setattr(imageio, "MAX_PIXELS", 100)  # the first later page fits, the second not
    assert [page.shape for page in imageio.read_later_pages(scan)] == [(6, 10)]
