"""Fixtures for core tests: ICC profiles, EXIF blocks and small photo files on disk.

Helpers are handed out as fixtures (a conftest cannot be imported by name when the
root tests/conftest.py exists too).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

ARTIST = "Ada Lovelace"


@pytest.fixture(scope="session")
def srgb_icc() -> bytes:
    """A real sRGB ICC profile, as Pillow's littleCMS writes it."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _icc_with_space(icc: bytes, space: bytes) -> bytes:
    """An ICC profile relabelled as another color space (header bytes 16-20).

    Pillow cannot create gray or CMYK profiles; encoders embed the bytes as they
    are, so a relabelled profile is enough to test which profiles are carried over.
    """
    assert len(space) == 4
    return icc[:16] + space + icc[20:]


def _make_exif(orientation: int = 1, artist: str = ARTIST) -> bytes:
    """An EXIF block with Orientation, Artist, and entries in the Exif, Interop and GPS IFDs."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x013B] = artist
    exif.get_ifd(0x8769)[0x9003] = "1931:05:04 12:00:00"
    exif.get_ifd(0x8769)[0xA005] = {0x0001: "R98"}  # Interop IFD, nested in the Exif IFD
    exif.get_ifd(0x8825)[0x0001] = "N"  # GPSLatitudeRef
    return exif.tobytes()


def _read_exif(path: Path) -> Image.Exif:
    """The EXIF Pillow finds in a file (TIFF: its own tags)."""
    with Image.open(path) as img:
        exif = img.getexif()
        for ifd in (0x8769, 0xA005, 0x8825):
            exif.get_ifd(ifd)  # load the sub-IFDs before the file closes
        return exif


def _gradient(height: int, width: int, channels: int, dtype=np.uint8, seed: int = 0) -> np.ndarray:
    """Smooth, non-symmetric test pixels (JPEG-friendly) with a little noise."""
    top = np.iinfo(dtype).max
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    base = [(x / max(width - 1, 1)), (y / max(height - 1, 1)), ((x + 2 * y) / (width + 2 * height))]
    rng = np.random.default_rng(seed)
    planes = [np.clip(b * 0.9 + 0.05 + rng.normal(0, 0.005, b.shape), 0, 1) for b in base[:channels]]
    array = np.round(np.stack(planes, axis=-1) * top).astype(dtype)
    return array[..., 0] if channels == 1 else array


def _add_png_chunk(path: Path, kind: bytes, data: bytes) -> None:
    """Insert a chunk right after IHDR in an existing PNG (for files OpenCV wrote)."""
    blob = path.read_bytes()
    ihdr_end = 8 + 4 + 4 + 13 + 4
    chunk = struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.write_bytes(blob[:ihdr_end] + chunk + blob[ihdr_end:])


def _write_png_header_only(path: Path, width: int, height: int) -> None:
    """A tiny PNG that claims a huge size: a decompression bomb without the memory."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        for kind, data in ((b"IHDR", ihdr), (b"IDAT", idat), (b"IEND", b"")):
            f.write(struct.pack(">I", len(data)) + kind + data)
            f.write(struct.pack(">I", zlib.crc32(kind + data)))


@pytest.fixture(name="icc_with_space")
def icc_with_space_fixture():
    """_icc_with_space as a fixture."""
    return _icc_with_space


@pytest.fixture(name="make_exif")
def make_exif_fixture():
    """_make_exif as a fixture."""
    return _make_exif


@pytest.fixture(name="read_exif")
def read_exif_fixture():
    """_read_exif as a fixture."""
    return _read_exif


@pytest.fixture(name="gradient")
def gradient_fixture():
    """_gradient as a fixture."""
    return _gradient


@pytest.fixture(name="add_png_chunk")
def add_png_chunk_fixture():
    """_add_png_chunk as a fixture."""
    return _add_png_chunk


@pytest.fixture(name="write_png_header_only")
def write_png_header_only_fixture():
    """_write_png_header_only as a fixture."""
    return _write_png_header_only


@pytest.fixture
def photo_tree(tmp_path: Path) -> Path:
    """A folder of small photos in nested subfolders, plus one broken JPEG.

    photos/
      a.jpg                 gray JPEG
      b.png                 RGB PNG
      notes.txt             not an image: ignored
      sub/c.tif             16-bit gray TIFF
      sub/deeper/d.webp     RGBA WebP (lossless)
      sub/deeper/broken.jpg garbage bytes
    """
    root = tmp_path / "photos"
    (root / "sub" / "deeper").mkdir(parents=True)
    Image.fromarray(_gradient(24, 32, 1)).save(root / "a.jpg", quality=95)
    Image.fromarray(_gradient(20, 28, 3, seed=1)).save(root / "b.png")
    Image.fromarray(_gradient(18, 22, 1, np.uint16, seed=2)).save(root / "sub" / "c.tif")
    rgba = np.dstack([_gradient(16, 16, 3, seed=3), np.full((16, 16), 200, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(root / "sub" / "deeper" / "d.webp", lossless=True)
    (root / "sub" / "deeper" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG" * 3)
    (root / "notes.txt").write_text("scanned 1931")
    return root


@pytest.fixture
def temp_names(monkeypatch) -> list[str]:
    """The names of the temporary files save_photo writes into, as it makes them."""
    from colorizer_app.core import imageio

    seen, real_create_temp = [], imageio._create_temp

    def spy(path):
        temp, fd = real_create_temp(path)
        seen.append(temp.name)
        return temp, fd

    monkeypatch.setattr(imageio, "_create_temp", spy)
    return seen
