"""Load and save photos: formats, bit depths, EXIF orientation, metadata, atomic writes.

Reads JPEG, PNG, TIFF, BMP and WebP at 8 or 16 bits per channel (and GIF, whose
256 colors make it no format for a colorized result: it is read, not written) into numpy arrays
with the EXIF orientation applied (CMYK in sRGB, through its ICC profile where it has
one); writes them back atomically with EXIF (orientation reset, resolution turned with
the pixels) and the ICC profile, never replacing an existing file unless asked.

What each format can hold, and so what `save_photo` keeps:

    format  16-bit  alpha  EXIF+ICC+XMP  gray
    JPEG    no      no     yes           yes
    PNG     yes     yes    yes           yes
    TIFF    yes     yes    yes           yes (16-bit gray+alpha written as RGBA)
    WebP    no      yes    yes           no (written as RGB)
    BMP     no      no     no            yes

16-bit pixels saved where only 8 bits fit are scaled with rounding; alpha is dropped
where the format has none. A JPEG holds 64 KB of EXIF: past that, a camera's MakerNote
is left out, then (if still too big) all but Colorizer's mark; save_photo says what a
result lost to its caller (``left_out``), or else in the log.
Only the first frame of a multi-page TIFF, an animated WebP or GIF, or a multi-picture
(MPO) JPEG is read; a TIFF's later pages can be read apart (read_later_pages) and
written after a TIFF result's first, as they are. The resolution (dpi) is kept where the
format has room for it (not WebP). XMP (captions, keywords, credits, as archive and
photo-library software write them) is carried over, less what describes the original
file (core.xmp), and so are the core fields of an IPTC block (caption, keywords,
creator, credit, ...) that its XMP lacks, as XMP; other PNG text chunks are not.

Every file written here says so: its EXIF Software tag starts with "Colorizer"
(`written_by_colorizer`). That is how a batch tells its own earlier results from a
person's photos, so that it replaces only the former (BMP has no room for the mark).
The tag also names the photo a result was made from, its size and a digest of its
content, "Colorizer 0.1.0 (from scan.jpg, 183422 bytes, 3f9a0c12ab34)"
(`colorized_from`): a batch run again gives each photo back the name of its earlier
result, however the folder changed since, and does not take a result of another
photo of the same name (another box's img001.jpg) for its own.

No Qt and no torch here: the CLI, the GUI's workers and the tests all use it.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import io
import logging
import os
import re
import secrets
import time
import struct
import warnings
import zlib
from pathlib import Path
from typing import BinaryIO, Callable, NamedTuple, Sequence

import cv2
import numpy as np
from PIL import Image, IptcImagePlugin, PngImagePlugin, TiffImagePlugin, TiffTags, UnidentifiedImageError

from colorizer_app import __version__
from colorizer_app.core.atomicfile import fsync_folder
from colorizer_app.core.xmp import for_result as xmp_for_result
from colorizer_app.core.xmp import from_iptc as xmp_from_iptc
from colorizer_app.core.xmp import is_xmp
from colorizer_app.core.xmp import with_iptc as xmp_with_iptc

__all__ = [
    "MAX_PIXELS",
    "READ_EXTENSIONS",
    "WRITE_FORMATS",
    "ImageReadError",
    "Photo",
    "format_for_path",
    "load_photo",
    "save_photo",
]

_log = logging.getLogger(__name__)

# Anything larger is refused as a possible decompression bomb. 200 MP is well above
# any real scan (a 600 dpi A3 scan is about 70 MP) and bounds memory to ~1.2 GB for
# 16-bit RGB. Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that; the
# warning is turned into an error in load_photo, so this one number is the limit.
MAX_PIXELS = 200_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Pillow refuses a PNG whose text chunk unpacks past 1 MB, and so the whole photo; an
# editor's XMP packet (history, thumbnails) is often bigger. Other text is not carried
# over, so a larger bound costs only the memory to skip it, still bounded.
PngImagePlugin.MAX_TEXT_CHUNK = 32 * 1024 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 64 * 1024 * 1024

# Extension (lower case) -> Pillow format name.
WRITE_FORMATS: dict[str, str] = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
    ".webp": "WEBP",
}
READ_EXTENSIONS: frozenset[str] = frozenset(WRITE_FORMATS) | {".gif"}

# Pillow format names we accept on load; camera JPEGs with a preview open as MPO.
_READ_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "TIFF": "TIFF",
                 "BMP": "BMP", "WEBP": "WEBP", "GIF": "GIF"}
_SIXTEEN_BIT_FORMATS = {"PNG", "TIFF"}
_ALPHA_FORMATS = {"PNG", "TIFF", "WEBP"}
_METADATA_FORMATS = {"JPEG", "PNG", "TIFF", "WEBP"}

_ORIENTATION_TAG = 0x0112
_EXIF_IFD = 0x8769
_EXIF_COLOR_SPACE = 0xA001
_MAKER_NOTE = 0x927C  # in the Exif IFD
_EXIF_PIXEL_DIMENSIONS = frozenset({0xA002, 0xA003})
_RESOLUTION_TAGS = (282, 283)  # X, Y: across and down the pixels as stored
_FOCAL_PLANE_RESOLUTION_TAGS = (0xA20E, 0xA20F)  # the same, on the camera's sensor (Exif IFD)
_SOFTWARE_TAG = 0x0131
SOFTWARE = "Colorizer"  # the start of the Software tag of every file Colorizer writes
_INTEROP_IFD = 0xA005
_INTEROP_TAGS = frozenset({0x0001, 0x0002, 0x1000, 0x1001, 0x1002})
# TIFF tags that describe how pixels are stored, not the photo. They are never taken
# from an EXIF block or copied into one: the encoder writes its own.
_LAYOUT_TAGS = frozenset({
    254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 284, 317, 320,
    322, 323, 324, 325, 330, 338, 339, 513, 514, 530, 531, 532, 34675,
})
# TIFF baseline tags that are EXIF-like metadata, kept when the input is a TIFF.
_TIFF_METADATA_TAGS = frozenset({
    269, 270, 271, 272, 274, 282, 283, 285, 296, 305, 306, 315, 316, 33432, 34665, 34853,
    40091, 40092, 40093, 40094, 40095,  # Windows' Title, Comment, Author, Keywords, Subject
})
_PNG_GRAY_ALPHA = 4  # PNG color type
_JPEG_MAX_EXIF = 65_533  # one APP1 segment, less its length field


class ImageReadError(Exception):
    """A photo could not be read; the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"Cannot open {self.path.name}: {reason}")


@dataclasses.dataclass
class Photo:
    """A decoded photo, EXIF orientation already applied.

    pixels: H×W (gray) or H×W×3 (RGB), uint8 or uint16.
    alpha: H×W with the dtype of pixels, or None.
    exif: the file's EXIF block as in a JPEG APP1 segment (b"Exif\\0\\0" + TIFF
        data), unchanged, so its Orientation still describes the file on disk;
        save_photo resets it. None when the file has none.
    icc_profile: the embedded ICC profile, or None (then sRGB is assumed). A profile
        that does not fit the decoded pixels is dropped: CMYK is converted to sRGB
        through its profile, gray to sRGB through a gray one (where they are usable).
    format: "JPEG", "PNG", "TIFF", "BMP", "WEBP" or "GIF".
    dpi: (horizontal, vertical) resolution in dots per inch, or None when the file
        does not say. Prints and archives size a scan by it.
    pages: how many pages or frames the file holds; only the first is read (the
        back of a card scanned into the same TIFF is not colorized: say so).
    xmp: the file's XMP packet, unchanged, else its sidecar file's (NAME.EXT.xmp or
        NAME.xmp beside it), else its IPTC block's core fields as XMP, else None.
    """

    pixels: np.ndarray
    alpha: np.ndarray | None
    exif: bytes | None
    icc_profile: bytes | None
    format: str
    path: Path
    dpi: tuple[float, float] | None = None
    pages: int = 1
    xmp: bytes | None = None

    @property
    def bit_depth(self) -> int:
        """Bits per channel: 8 or 16."""
        return 16 if self.pixels.dtype == np.uint16 else 8

    @property
    def is_gray(self) -> bool:
        """True for a single-channel photo."""
        return self.pixels.ndim == 2


# --------------------------------------------------------------------------- load


def load_photo(path: Path | str) -> Photo:
    """Read a photo file; raise ImageReadError with a plain reason if that fails."""
    path = Path(path)
    _check_readable_file(path)
    try:
        # From an open file, not a path: given a path, Pillow 13 maps an uncompressed
        # TIFF straight into memory at its upright size, which scrambles the pixels of
        # one stored turned (orientation 5-8). From a file it reads and turns them.
        with open(path, "rb") as f, _open_guarded(f, path) as img:
            return _decode(img, path)
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(path, "not an image, or a format Colorizer cannot read "
                                   "(use JPEG, PNG, TIFF, BMP, WebP or GIF)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageReadError(path, _too_large_reason()) from None
    except MemoryError:
        raise ImageReadError(path, "not enough memory to open it") from None
    except PermissionError:
        raise ImageReadError(path, "no permission to read it") from None
    except Exception as e:  # noqa: BLE001 - decoders raise many types on bad data
        raise ImageReadError(path, _damage_reason(e)) from e


_SIDECAR_LIMIT = 16 << 20  # bytes; a caption file, not a photo
_SIDECAR_FOR = re.compile(rb"SidecarForExtension(?:\s*=\s*[\"']|>)\s*([A-Za-z0-9]+)")


def _sidecar_xmp(path: Path) -> bytes | None:
    """The XMP of a sidecar file beside the photo, NAME.EXT.xmp (digiKam, darktable)
    or NAME.xmp (Bridge, Lightroom), where tools keep captions of photos they do not
    write into; None when there is none, it is not XMP, or it says it belongs to
    another file of that name (Lightroom's IMG_1.xmp of IMG_1.CR2, beside IMG_1.JPG)."""
    for sidecar in (path.with_name(path.name + ".xmp"), path.with_suffix(".xmp"),
                    path.with_name(path.name + ".XMP"), path.with_suffix(".XMP")):
        try:
            if not sidecar.is_file() or sidecar.stat().st_size > _SIDECAR_LIMIT:
                continue
            data = sidecar.read_bytes()
        except OSError:
            continue
        owner = _SIDECAR_FOR.search(data)
        if owner and owner.group(1).decode().lower() != path.suffix.lstrip(".").lower():
            continue
        if is_xmp(data):
            return data
    return None


def _with_iptc(xmp: bytes | None, img: Image.Image) -> bytes | None:
    """The photo's XMP with the core fields of its IPTC block (JPEG APP13, TIFF tag
    33723) that the XMP lacks, or those fields alone as XMP."""
    try:
        iptc = IptcImagePlugin.getiptcinfo(img)
    except Exception:  # noqa: BLE001 - a damaged block is no reason to refuse the photo
        iptc = None
    if not iptc:
        return xmp
    return xmp_with_iptc(xmp, iptc) if xmp else xmp_from_iptc(iptc)


def read_later_pages(path: Path | str) -> list[np.ndarray]:
    """The pixels of a multi-page TIFF's pages after the first, as they are (the back
    of a card, often its handwritten caption), to keep beside a colorized first page.
    Pages that cannot be decoded are left out, and so are those past MAX_PIXELS in
    all (memory); [] for a file of one page."""
    pages, pixels = [], 0
    try:
        with open(path, "rb") as f, _open_guarded(f, Path(path)) as img:
            if img.format != "TIFF":
                return []
            for index in range(1, getattr(img, "n_frames", 1)):
                try:
                    img.seek(index)
                    pixels += img.width * img.height
                    if pixels > MAX_PIXELS:
                        _log.warning("%s: pages from %d on are left out (over %d pixels in all)",
                                     path, index + 1, MAX_PIXELS)
                        break
                    img.load()
                    pages.append(_pillow_arrays(img, Path(path))[0])
                except Exception:  # noqa: BLE001 - one damaged page: the others still count
                    _log.warning("%s: page %d cannot be decoded; left out", path, index + 1)
    except (OSError, ImageReadError, Image.DecompressionBombError):
        return pages
    return pages


def _check_readable_file(path: Path) -> None:
    """Reject missing paths and folders with a clear reason before decoding."""
    if path.is_dir():
        raise ImageReadError(path, "it is a folder, not a photo")
    if not path.exists():
        raise ImageReadError(path, "file not found")
    if path.stat().st_size == 0:
        raise ImageReadError(path, "the file is empty (0 bytes): an interrupted copy or download?")


def _open_guarded(f: BinaryIO, path: Path) -> Image.Image:
    """Image.open with Pillow's decompression-bomb warning raised as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = Image.open(f)
    if img.width * img.height > MAX_PIXELS:  # in case another thread reset the filter
        img.close()
        raise ImageReadError(path, _too_large_reason())
    return img


def _too_large_reason() -> str:
    """The message for a decompression bomb or a photo over MAX_PIXELS."""
    return (f"the image is too large (over {MAX_PIXELS // 1_000_000} megapixels); "
            "it may be a decompression bomb")


def _damage_reason(error: Exception) -> str:
    """Turn a decoder exception into a plain-language reason."""
    detail = str(error) or type(error).__name__
    if "truncated" in detail.lower() or isinstance(error, EOFError):
        return "the file is truncated (an incomplete download or copy?)"  # the decoder's words add nothing
    return f"the file is damaged or not a valid image [{detail}]"


def _decode(img: Image.Image, path: Path) -> Photo:
    """Pixels, alpha and metadata of an opened image, oriented for display."""
    fmt = _READ_FORMATS.get(img.format or "")
    if fmt is None:
        raise ImageReadError(path, f"{img.format} files are not supported "
                                   "(use JPEG, PNG, TIFF, BMP, WebP or GIF)")
    # A TIFF's EXIF sub-IFDs are read from the open file, which load() closes.
    tiff_exif = _tiff_metadata_as_exif(img) if img.format == "TIFF" else None
    # Before load(), which turns a TIFF upright and forgets its orientation tag.
    dpi = _dpi(img, _orientation(img))
    pages = max(1, int(getattr(img, "n_frames", 1) or 1)) if fmt in ("TIFF", "GIF") else 1
    if _has_16bit_color(img, path):
        # Pillow opens 16-bit gray+alpha PNG as RGBA: ask the header what it is.
        gray = img.format == "PNG" and _png_header(path)[1] == _PNG_GRAY_ALPHA
        pixels, alpha = _decode_16bit_color(path, img.size, gray=gray)
        # OpenCV turns a TIFF upright itself (by its Orientation tag); a PNG's eXIf it leaves to us.
        orientation = 1 if img.format == "TIFF" else _orientation(img)
    else:
        img.load()
        pixels, alpha = _pillow_arrays(img, path)
        # Pillow 11 and later turn a TIFF upright as they load it and drop its tag: then this is 1.
        orientation = _orientation(img)
    exif = tiff_exif if img.format == "TIFF" else _read_exif(img)  # PNG: eXIf may follow IDAT
    icc = img.info.get("icc_profile") or None
    if icc is not None and not _icc_fits(icc, pixels):
        icc = None
    if icc is not None and pixels.ndim == 2:
        # A colorized photo is RGB, where a gray profile cannot go: bring the gray
        # into sRGB here, or a Gray Gamma 1.8 or Dot Gain 20% scan changes brightness.
        in_srgb = _gray_in_srgb(pixels, icc)
        if in_srgb is not None:
            pixels, icc = in_srgb, None
    pixels = _apply_orientation(pixels, orientation)
    if alpha is not None:
        alpha = _apply_orientation(alpha, orientation)
    xmp = img.info.get("xmp") or None
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    xmp = _with_iptc(xmp or _sidecar_xmp(path), img)
    return Photo(pixels=pixels, alpha=alpha, exif=exif, icc_profile=icc,
                 format=fmt, path=path, dpi=dpi, pages=pages, xmp=xmp)


def _has_16bit_color(img: Image.Image, path: Path) -> bool:
    """True for 16-bit RGB(A) or gray+alpha, which Pillow decodes to 8 bits."""
    if img.mode not in ("RGB", "RGBA", "LA"):
        return False  # 16-bit gray opens as I;16 and Pillow keeps all 16 bits
    if img.format == "PNG":
        return _png_header(path)[0] == 16
    if img.format == "TIFF":
        bits = img.tag_v2.get(TiffImagePlugin.BITSPERSAMPLE, 8)
        return max(bits if isinstance(bits, tuple) else (bits,)) == 16
    return False


def _png_header(path: Path) -> tuple[int, int]:
    """(bit depth, color type) from the PNG header; IHDR is always the first chunk."""
    with open(path, "rb") as f:
        header = f.read(26)
    return (header[24], header[25]) if len(header) == 26 else (8, 2)


def _decode_16bit_color(path: Path, size: tuple[int, int],
                        gray: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Decode 16-bit color with OpenCV, which keeps all 16 bits (Pillow does not)."""
    data = np.fromfile(path, dtype=np.uint8)  # fromfile + imdecode: non-ASCII paths work
    array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    # sorted: Pillow's size may or may not be turned already for an Orientation of 5-8
    if array is None or array.dtype != np.uint16 or sorted(array.shape[:2]) != sorted(size):
        raise ImageReadError(path, "the 16-bit image data could not be decoded "
                                   "(damaged, or an unusual TIFF layout)")
    if array.ndim == 2:
        return array, None
    channels = array.shape[2]
    if channels == 3:
        return cv2.cvtColor(array, cv2.COLOR_BGR2RGB), None
    if channels == 4:
        rgba = cv2.cvtColor(array, cv2.COLOR_BGRA2RGBA)
        color = rgba[..., :3]
        if gray:
            color = color[..., 0]  # OpenCV expands gray+alpha to BGRA
        return np.ascontiguousarray(color), np.ascontiguousarray(rgba[..., 3])
    raise ImageReadError(path, f"unsupported 16-bit layout with {channels} channels")


def _pillow_arrays(img: Image.Image, path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Convert any Pillow mode to gray or RGB pixels plus optional alpha."""
    mode = img.mode
    if mode in ("L", "RGB") and "transparency" in img.info:
        img = img.convert("LA" if mode == "L" else "RGBA")  # tRNS color key -> alpha
    elif mode == "P" or mode == "PA":
        img = img.convert("RGBA" if img.has_transparency_data else "RGB")
    elif mode == "1":
        img = img.convert("L")
    elif mode in ("La", "RGBa"):
        img = img.convert(mode.upper())  # premultiplied -> straight alpha
    elif mode == "CMYK":
        img = _cmyk_in_srgb(img)
    elif mode in ("RGBX", "YCbCr", "LAB", "HSV"):
        img = img.convert("RGB")
    elif mode.startswith("I;16"):
        return np.asarray(img).astype(np.uint16), None  # also fixes big-endian I;16B
    elif mode == "I":
        # 32-bit integer gray: older Pillow opens 16-bit PNG like this. Keep 16 bits.
        return np.clip(np.asarray(img), 0, 65535).astype(np.uint16), None
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        raise ImageReadError(path, f"the pixel format ({mode}) is not supported")
    array = np.asarray(img)
    if img.mode == "LA":
        return np.ascontiguousarray(array[..., 0]), np.ascontiguousarray(array[..., 1])
    if img.mode == "RGBA":
        return np.ascontiguousarray(array[..., :3]), np.ascontiguousarray(array[..., 3])
    return array, None


def _cmyk_in_srgb(img: Image.Image) -> Image.Image:
    """A CMYK image in sRGB through its embedded profile, as an editor shows it: the
    same ink means other colors on other presses and papers. Without a profile, or
    with one LittleCMS cannot use, Pillow's plain formula (ink subtracted from white)."""
    from PIL import ImageCms

    icc = img.info.get("icc_profile")
    if icc:
        try:
            # Relative colorimetric with black point compensation: what Photoshop's
            # and GIMP's conversions to another profile do by default.
            return ImageCms.profileToProfile(
                img, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB"),
                renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, outputMode="RGB",
                flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as e:
            _log.info("CMYK ICC profile not usable, converted without it: %s", e)
    return img.convert("RGB")


def _read_exif(img: Image.Image) -> bytes | None:
    """The EXIF block with the b"Exif\\0\\0" prefix, or None (not for TIFF)."""
    raw = img.info.get("exif")
    if raw:
        return raw if raw.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + raw
    exif = img.getexif()  # e.g. ImageMagick's "Raw profile type exif" PNG text chunk
    return exif.tobytes() if len(exif) else None


def _tiff_metadata_as_exif(img: Image.Image) -> bytes | None:
    """A TIFF keeps EXIF-like tags in its own IFD: copy the descriptive ones."""
    source = img.getexif()
    exif = Image.Exif()
    for tag in _TIFF_METADATA_TAGS & set(source):
        if tag in TiffTags.TAGS_V2_GROUPS:
            sub = dict(source.get_ifd(tag))
            # Pillow's own TIFF writer leaves the Interop pointer stale, and what it
            # points at can look valid: the Interop IFD of a TIFF is not trusted.
            sub.pop(_INTEROP_IFD, None)
            exif[tag] = sub
        else:
            exif[tag] = source[tag]
    return exif.tobytes() if len(exif) else None


def _dpi(img: Image.Image, orientation: int) -> tuple[float, float] | None:
    """The resolution the file states, in dots per inch, turned with the pixels."""
    if img.format == "TIFF" and 282 not in img.tag_v2:
        return None  # Pillow says (1, 1) for a TIFF without resolution tags: 1 dpi is no one's scan
    try:
        x, y = (float(v) for v in img.info["dpi"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (x > 0 and y > 0):
        return None
    return (y, x) if orientation >= 5 else (x, y)


def _orientation(img: Image.Image) -> int:
    """EXIF orientation 1..8 (1 when absent or invalid)."""
    try:
        value = int(img.getexif().get(_ORIENTATION_TAG, 1))
    except (TypeError, ValueError):
        return 1
    return value if 1 <= value <= 8 else 1


# Orientation value -> how to turn the stored array into the displayed one; the same
# transforms as PIL.ImageOps.exif_transpose, on numpy arrays of any dtype.
_ORIENT: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda a: a[:, ::-1],                     # mirror left-right
    3: lambda a: a[::-1, ::-1],                  # rotate 180
    4: lambda a: a[::-1],                        # mirror top-bottom
    5: lambda a: a.swapaxes(0, 1),               # transpose
    6: lambda a: np.rot90(a, -1),                # rotate 90 clockwise
    7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],   # transverse
    8: lambda a: np.rot90(a, 1),                 # rotate 90 counter-clockwise
}


def _apply_orientation(array: np.ndarray, orientation: int) -> np.ndarray:
    """Rotate/mirror an H×W or H×W×C array so it displays upright."""
    if orientation not in _ORIENT:
        return array
    return np.ascontiguousarray(_ORIENT[orientation](array))


def _gray_in_srgb(pixels: np.ndarray, icc: bytes) -> np.ndarray | None:
    """Gray pixels re-encoded as sRGB shows the gray their profile means (8 or 16
    bits, the same dtype); None if the profile cannot be used (it is then dropped,
    as before: the pixels read as sRGB)."""
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        transform = ImageCms.buildTransform(source, ImageCms.createProfile("sRGB"), "L", "RGB",
                                            ImageCms.Intent.RELATIVE_COLORIMETRIC)
        ramp = Image.fromarray(np.arange(256, dtype=np.uint8)[None, :], "L")
        curve = np.asarray(ImageCms.applyTransform(ramp, transform), dtype=np.float64)[0].mean(axis=1)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as e:
        _log.info("gray ICC profile not usable, read as sRGB: %s", e)
        return None
    if pixels.dtype == np.uint8:
        return np.round(curve).astype(np.uint8)[pixels]
    levels = np.linspace(0.0, 65535.0, 256)  # the 256-step curve, between its steps linearly
    return np.round(np.interp(pixels, levels, curve * 257.0)).astype(pixels.dtype)


def _icc_fits(icc: bytes, pixels: np.ndarray) -> bool:
    """Whether the profile's color space (header bytes 16-20) matches the pixels."""
    space = icc[16:20]
    return space == (b"GRAY" if pixels.ndim == 2 else b"RGB ")


# --------------------------------------------------------------------------- save


def format_for_path(path: Path | str) -> str:
    """Pillow format name for a file extension; ValueError for unsupported ones."""
    suffix = Path(path).suffix.lower()
    try:
        return WRITE_FORMATS[suffix]
    except KeyError:
        known = ", ".join(sorted(WRITE_FORMATS))
        raise ValueError(f"Cannot save {Path(path).name}: unknown extension "
                         f"{suffix or '(none)'}; use one of {known}") from None


def save_photo(
    path: Path | str,
    pixels: np.ndarray,
    *,
    alpha: np.ndarray | None = None,
    exif: bytes | None = None,
    icc_profile: bytes | None = None,
    dpi: tuple[float, float] | None = None,
    overwrite: bool = False,
    quality: int = 95,
    source: Path | str | None = None,
    xmp: bytes | None = None,
    later_pages: Sequence[np.ndarray] = (),
    left_out: list[str] | None = None,
) -> Path:
    """Write a photo atomically in the format its extension names; return the path.

    EXIF is written with Orientation reset to 1 (the pixels are already upright),
    less what does not fit in a JPEG (_fit_in_jpeg); an ICC profile whose
    color space does not match the pixels (a gray profile for colorized RGB output)
    is left out, so the file reads as sRGB. `dpi` is written where the format has
    room for it (not WebP). `source`, the photo file it was colored from, is named in
    the mark with its size and content digest. `xmp` is written less what describes
    the original file (core.xmp.for_result).
    `later_pages` (read_later_pages: the back of a card scanned into one TIFF) follow
    the first page as they are, in a TIFF only. Raises FileExistsError if the file
    exists and overwrite is False.

    Metadata the original has and the result cannot keep for want of room (EXIF or
    XMP too big for a JPEG) or because it cannot be read is logged, and said in plain
    words in ``left_out``, when given, for the person to be told.
    """
    path = Path(path)
    fmt = format_for_path(path)
    lost: list[str] = []
    pixels, alpha = _prepare_arrays(pixels, alpha, fmt)
    if icc_profile is not None and (fmt not in _METADATA_FORMATS
                                    or not _icc_fits(icc_profile, pixels)):
        icc_profile = None
    exif_obj = (_exif_for_output(exif, _source_of(source), srgb=icc_profile is None, lost=lost)
                if fmt in _METADATA_FORMATS else None)
    if fmt == "JPEG" and exif_obj is not None:
        exif_obj = _fit_in_jpeg(exif_obj, lost)
    xmp = xmp_for_result(xmp) if xmp and fmt in _METADATA_FORMATS else None
    if xmp is not None and fmt == "JPEG" and len(xmp) > _JPEG_MAX_XMP:
        lost.append("its XMP (captions, keywords, credits) was left out: it does not fit in a "
                    f"JPEG's {_JPEG_MAX_XMP:,} bytes (a TIFF or PNG result keeps it)")
        xmp = None
    if not overwrite and _exists(path):
        raise _exists_error(path)

    def encode(f: BinaryIO) -> None:
        if fmt == "TIFF":
            _write_tiff(f, pixels, alpha, exif_obj, icc_profile, dpi, xmp, later_pages)
        else:
            _encode(f, fmt, pixels, alpha, exif_obj, icc_profile, quality, dpi, xmp)

    _write_atomically(path, encode, overwrite)
    if left_out is not None:
        left_out.extend(lost)  # the caller tells the person
    else:
        for what in lost:
            _log.warning("%s: %s", path.name, what)
    return path


def _exists_error(path: Path) -> FileExistsError:
    """The error for a refused overwrite."""
    return FileExistsError(errno.EEXIST, f"{path.name} already exists; not replacing "
                                         "it (choose overwrite to replace it)", str(path))


def _prepare_arrays(pixels: np.ndarray, alpha: np.ndarray | None,
                    fmt: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Check shapes and dtypes, then fit bit depth, alpha and channels to the format."""
    pixels = np.asarray(pixels)
    if pixels.dtype not in (np.uint8, np.uint16):
        raise TypeError(f"pixels must be uint8 or uint16, not {pixels.dtype}")
    if not (pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3)):
        raise ValueError(f"pixels must be H×W or H×W×3, not {pixels.shape}")
    if alpha is not None:
        alpha = np.asarray(alpha)
        if alpha.shape != pixels.shape[:2]:
            raise ValueError(f"alpha shape {alpha.shape} does not match pixels {pixels.shape[:2]}")
        alpha = _convert_depth(alpha, pixels.dtype)
    if fmt not in _ALPHA_FORMATS:
        alpha = None  # JPEG and BMP have no (widely read) alpha: it is dropped
    if pixels.dtype == np.uint16 and fmt not in _SIXTEEN_BIT_FORMATS:
        pixels = _convert_depth(pixels, np.uint8)
        alpha = None if alpha is None else _convert_depth(alpha, np.uint8)
    if fmt == "WEBP" and pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)  # WebP has no gray mode
    return pixels, alpha


def _convert_depth(array: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """Scale between 8 and 16 bits; 16 -> 8 rounds to nearest (65535 -> 255)."""
    if array.dtype == dtype:
        return array
    if array.dtype == np.uint8 and dtype == np.uint16:
        return array.astype(np.uint16) * 257
    if array.dtype == np.uint16 and dtype == np.uint8:
        return ((array.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    raise TypeError(f"cannot convert {array.dtype} to {np.dtype(dtype)}")


class ResultSource(NamedTuple):
    """The photo a result was colored from, as its mark names it."""

    name: str  # the file name, "?" for what EXIF's ASCII text cannot hold
    size: int | None  # in bytes; None in marks written before sizes were
    digest: str | None = None  # content_digest of the file; None in older marks


_DIGEST_SPAN = 64 << 10  # bytes read at each end of a file for its digest


def content_digest(path: Path | str) -> str | None:
    """12 hex digits of SHA-256 over a file's size and its first and last 64 KiB:
    two scans of one size (uncompressed TIFFs of one scanner) still differ there,
    and a 300 MB scan costs two short reads. None if the file cannot be read."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            digest = hashlib.sha256(str(size).encode() + f.read(_DIGEST_SPAN))
            if size > _DIGEST_SPAN:
                f.seek(max(_DIGEST_SPAN, size - _DIGEST_SPAN))
                digest.update(f.read(_DIGEST_SPAN))
    except OSError:
        return None
    return digest.hexdigest()[:12]


def _source_of(path: Path | str | None) -> ResultSource | None:
    if path is None:
        return None
    try:
        size = os.stat(path).st_size
    except OSError:
        size = None
    return ResultSource(ascii_name(Path(path).name), size, content_digest(path))


def _mark(source: ResultSource | None = None) -> str:
    """The Software tag of a file Colorizer writes."""
    if source is None:
        return f"{SOFTWARE} {__version__}"
    size = "" if source.size is None else f", {source.size} bytes"
    digest = "" if source.digest is None else f", {source.digest}"
    return f"{SOFTWARE} {__version__} (from {source.name}{size}{digest})"


def _exif_for_output(raw: bytes | None, source: ResultSource | None = None,
                     srgb: bool = True, lost: list[str] | None = None) -> Image.Exif:
    """Parse EXIF for writing: Orientation reset to 1 (and X and Y resolution swapped
    where it turned the photo a quarter), pixel-layout tags removed (the original's
    pixel dimensions too), Software set to Colorizer's mark, and the color space said
    to be sRGB when the result has no profile of its own (``srgb``).

    Unreadable EXIF is dropped, and said in ``lost``, rather than failing the save.
    """
    exif = Image.Exif()
    if raw:
        try:
            exif.load(raw)
            for tag in _LAYOUT_TAGS & set(exif):
                del exif[tag]
            turned = _turned(exif.get(_ORIENTATION_TAG))
            if _ORIENTATION_TAG in exif:
                exif[_ORIENTATION_TAG] = 1
            if turned:  # the stored width is the result's height: its resolution too
                _swap_tags(exif, *_RESOLUTION_TAGS)
            if _EXIF_IFD in exif:
                sub = exif.get_ifd(_EXIF_IFD)
                if turned:
                    _swap_tags(sub, *_FOCAL_PLANE_RESOLUTION_TAGS)
                for tag in _EXIF_PIXEL_DIMENSIONS & set(sub):
                    del sub[tag]
                if srgb and _EXIF_COLOR_SPACE in sub:
                    sub[_EXIF_COLOR_SPACE] = 1  # sRGB (a gray scan's "uncalibrated" meant its profile)
            exif.tobytes()  # fail here, not halfway through an encoder
        except Exception as e:  # noqa: BLE001 - malformed EXIF raises anything
            _log.info("unreadable EXIF: %s", e)
            if lost is not None:
                lost.append("its EXIF is damaged and was left out")
            exif = Image.Exif()
    exif[_SOFTWARE_TAG] = _mark(source)
    return exif


def _fit_in_jpeg(exif: Image.Exif, lost: list[str]) -> Image.Exif:
    """EXIF that fits in a JPEG's one segment, the least useful part left out first;
    what was left out is said in ``lost``.

    The original's thumbnail (IFD1) is never carried: it shows the gray photo (and
    Pillow writes no IFD1). Next goes the MakerNote, a camera maker's private data,
    often tens of KB, which moving breaks anyway (its offsets point into the
    original's file). Only if the rest does not fit either is all of it left out
    but the mark.
    """
    if len(exif.tobytes()) <= _JPEG_MAX_EXIF:
        return exif
    sub = exif.get_ifd(_EXIF_IFD) if _EXIF_IFD in exif else {}
    had_maker_note = _MAKER_NOTE in sub
    if had_maker_note:
        del sub[_MAKER_NOTE]
        if len(exif.tobytes()) <= _JPEG_MAX_EXIF:
            # Said the same for every photo (no sizes): a camera's folder is one note.
            lost.append("the camera's MakerNote (its maker's private data) was left out: "
                        f"a JPEG holds {_JPEG_MAX_EXIF:,} bytes of EXIF, and these photos have more")
            return exif
    lost.append(f"its EXIF was left out: {'even without the MakerNote, ' if had_maker_note else ''}it "
                f"does not fit in a JPEG's {_JPEG_MAX_EXIF:,} bytes (a TIFF or PNG result keeps it)")
    mark = Image.Exif()
    mark[_SOFTWARE_TAG] = exif[_SOFTWARE_TAG]
    return mark


def _turned(orientation: int | str | None) -> bool:
    """Whether an EXIF Orientation turns the photo a quarter (5-8): the stored rows
    are the displayed columns."""
    try:
        return 5 <= int(orientation or 1) <= 8
    except (TypeError, ValueError):
        return False


def _swap_tags(tags: Image.Exif | dict, first: int, second: int) -> None:
    """Exchange two tags' values, either of which may be absent."""
    values = tags.get(first), tags.get(second)
    for tag, value in zip((first, second), reversed(values)):
        if value is not None:
            tags[tag] = value
        elif tag in tags:
            del tags[tag]


def written_by_colorizer(path: Path | str) -> bool:
    """Whether a file carries the mark save_photo writes; False when it cannot be read."""
    return colorizer_mark(path) is not None


def colorizer_mark(path: Path | str) -> str | None:
    """The mark save_photo writes (the file's EXIF Software tag), or None for a file
    without it, or that cannot be read."""
    software = _software_tag(path)
    return software if software.startswith(SOFTWARE) else None


_FROM = re.compile(r" \(from (.+?)(?:, (\d+) bytes)?(?:, ([0-9a-f]{12}))?\)$")


def colorized_from(path: Path | str) -> ResultSource | None:
    """The photo a Colorizer result was made from; None for other files and for
    results that do not say."""
    return source_in_mark(colorizer_mark(path))


def source_in_mark(mark: str | None) -> ResultSource | None:
    """The source a mark (colorizer_mark) names; None when it names none."""
    match = _FROM.search(mark) if mark else None
    if match is None:
        return None
    name, size, digest = match.groups()
    return ResultSource(name, None if size is None else int(size), digest)


def made_from(result: Path | str, source: Path | str) -> bool:
    """Whether ``result`` is Colorizer's result of the photo file ``source`` as it is now."""
    return is_source(colorized_from(result), source)


def is_source(recorded: ResultSource | None, source: Path | str) -> bool:
    """Whether a mark's ``recorded`` source is the photo file ``source`` as it is now:
    the same name and, as far as the mark says, the same size and content."""
    if recorded is None or recorded.name != ascii_name(Path(source).name):
        return False
    try:
        size = os.stat(source).st_size
    except OSError:
        return False
    if recorded.size is not None and recorded.size != size:
        return False
    return recorded.digest is None or recorded.digest == content_digest(source)


def ascii_name(name: str) -> str:
    """A file name as the mark keeps it: EXIF text is ASCII."""
    return name.encode("ascii", "replace").decode()


def _software_tag(path: Path | str) -> str:
    """The file's EXIF Software tag; "" when it has none or cannot be read."""
    try:
        # Only the header is read, so a photo past Pillow's size warning is no danger
        # here: without this, planning an export of a huge scan printed that warning.
        with warnings.catch_warnings(), open(path, "rb") as f:
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(f) as img:
                if img.format == "PNG":
                    # Colorizer writes eXIf before the pixels; getexif() would decode them
                    # all to look for one after them.
                    exif = Image.Exif()
                    if img.info.get("exif"):
                        exif.load(img.info["exif"])
                else:
                    exif = img.getexif()
                return str(exif.get(_SOFTWARE_TAG, ""))
    except Exception:  # noqa: BLE001 - not a photo, damaged, unreadable: not ours
        return ""


def _encode(f: BinaryIO, fmt: str, pixels: np.ndarray, alpha: np.ndarray | None,
            exif: Image.Exif | None, icc: bytes | None, quality: int,
            dpi: tuple[float, float] | None = None, xmp: bytes | None = None) -> None:
    """Encode arrays into an open file in the given format."""
    if fmt == "TIFF":
        _write_tiff(f, pixels, alpha, exif, icc, dpi, xmp)
    elif fmt == "PNG" and pixels.dtype == np.uint16:
        _write_png16(f, pixels, alpha, exif, icc, dpi, xmp)
    else:
        _write_with_pillow(f, fmt, pixels, alpha, exif, icc, quality, dpi, xmp)


_JPEG_MAX_XMP = 65_533 - len(b"http://ns.adobe.com/xap/1.0/\0")  # one APP1 segment
_PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"


def _write_with_pillow(f: BinaryIO, fmt: str, pixels: np.ndarray, alpha: np.ndarray | None,
                       exif: Image.Exif | None, icc: bytes | None, quality: int,
                       dpi: tuple[float, float] | None = None, xmp: bytes | None = None) -> None:
    """8-bit JPEG, PNG, WebP and BMP through Pillow."""
    array = pixels if alpha is None else np.dstack([pixels, alpha])
    mode = {(2, False): "L", (3, False): "RGB", (2, True): "LA", (3, True): "RGBA"}[
        (pixels.ndim, alpha is not None)]
    img = Image.fromarray(array, mode)
    options: dict = {}
    if fmt in ("JPEG", "WEBP"):
        options["quality"] = quality
    if fmt == "WEBP":
        options["exact"] = True  # keep the color under transparent pixels
    if icc is not None:
        options["icc_profile"] = icc
    if dpi is not None and fmt != "WEBP":
        options["dpi"] = dpi
    if exif is not None:
        exif_bytes = exif.tobytes()
        assert fmt != "JPEG" or len(exif_bytes) <= _JPEG_MAX_EXIF, "save_photo fits it (_fit_in_jpeg)"
        options["exif"] = exif_bytes
    if xmp is not None and fmt in ("JPEG", "WEBP"):  # save_photo left out what a JPEG has no room for
        assert fmt != "JPEG" or len(xmp) <= _JPEG_MAX_XMP
        options["xmp"] = xmp
    elif xmp is not None and fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt(_PNG_XMP_KEYWORD.decode(), xmp.decode("utf-8", "replace"))
        options["pnginfo"] = info
    img.save(f, format=fmt, **options)


def _interleave(pixels: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """H×W×C array of color channels followed by alpha."""
    channels = pixels[..., None] if pixels.ndim == 2 else pixels
    return channels if alpha is None else np.dstack([channels, alpha])


def _write_png16(f: BinaryIO, pixels: np.ndarray, alpha: np.ndarray | None,
                 exif: Image.Exif | None, icc: bytes | None,
                 dpi: tuple[float, float] | None = None, xmp: bytes | None = None) -> None:
    """Write a 16-bit PNG ourselves: Pillow cannot hold 16-bit color.

    A PNG is a few chunks around a zlib stream; rows use the "Up" filter, which
    helps compression of photos and is cheap to compute with numpy.
    """
    array = _interleave(pixels, alpha)
    height, width, channels = array.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = array.astype(">u2").view(np.uint8).reshape(height, width * channels * 2)
    filtered = np.empty((height, rows.shape[1] + 1), np.uint8)
    filtered[:, 0] = 2  # filter type Up: difference to the row above, modulo 256
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])
    f.write(b"\x89PNG\r\n\x1a\n")
    _png_chunk(f, b"IHDR", struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0))
    if icc is not None:
        _png_chunk(f, b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc))
    if exif is not None:
        _png_chunk(f, b"eXIf", exif.tobytes()[6:])  # PNG stores it without "Exif\0\0"
    if xmp is not None:  # iTXt: keyword, no compression, no language, no translated keyword
        _png_chunk(f, b"iTXt", _PNG_XMP_KEYWORD + b"\0\0\0\0\0" + xmp)
    if dpi is not None:  # pixels per metre
        _png_chunk(f, b"pHYs", struct.pack(">IIB", *(round(d / 0.0254) for d in dpi), 1))
    compressor = zlib.compressobj(6)
    step = max(1, (1 << 20) // filtered.shape[1])  # feed about 1 MiB at a time
    for start in range(0, height, step):
        data = compressor.compress(filtered[start:start + step].tobytes())
        if data:
            _png_chunk(f, b"IDAT", data)
    _png_chunk(f, b"IDAT", compressor.flush())
    _png_chunk(f, b"IEND", b"")


def _png_chunk(f: BinaryIO, kind: bytes, data: bytes) -> None:
    """Write one PNG chunk: length, type, data, CRC of type+data."""
    f.write(struct.pack(">I", len(data)) + kind + data)
    f.write(struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _write_tiff(f: BinaryIO, pixels: np.ndarray, alpha: np.ndarray | None,
                exif: Image.Exif | None, icc: bytes | None,
                dpi: tuple[float, float] | None = None, xmp: bytes | None = None,
                later_pages: Sequence[np.ndarray] = ()) -> None:
    """Write an 8- or 16-bit TIFF ourselves: deflate, horizontal predictor.

    Pillow cannot hold 16-bit color, and its compressed (libtiff) writer cannot
    write an EXIF sub-IFD; its uncompressed one can, but files are 2-3x larger.
    Pillow's IFD class still does the tag serialization. ``later_pages`` follow the
    first, each in an IFD of its own (layout only: the metadata is the first's).
    """
    ifd, strips = _tiff_page(pixels, alpha)
    if exif is not None:
        _merge_exif_into_ifd(exif, ifd)
    if dpi is not None:  # the photo's, turned with it, over tags copied from a turned TIFF
        ifd[282], ifd[283], ifd[296] = dpi[0], dpi[1], 2  # X, Y resolution; unit: inch
    if icc is not None:
        ifd[34675] = icc
    if xmp is not None:
        ifd[700] = xmp
        ifd.tagtype[700] = TiffTags.BYTE
    ifd_start = 8  # ifd.save writes the 8-byte header first
    ifd.save(f)  # header + IFD + tag data; strips follow directly
    for strip in strips:
        f.write(strip)
    for page in later_pages:
        if f.tell() % 2:
            f.write(b"\0")  # IFDs start on a word boundary
        # The previous IFD's last field, after its entry count and 12-byte entries,
        # points at the next one.
        next_pointer = ifd_start + 2 + 12 * len(ifd)
        ifd, strips = _tiff_page(page, None)
        ifd_start = f.tell()
        f.seek(next_pointer)
        f.write(struct.pack("<I", ifd_start))
        f.seek(ifd_start)
        ifd.save(f)
        for strip in strips:
            f.write(strip)


def _tiff_page(pixels: np.ndarray, alpha: np.ndarray | None
               ) -> tuple[TiffImagePlugin.ImageFileDirectory_v2, list[bytes]]:
    """A TIFF page's layout tags and its compressed strips."""
    if pixels.ndim == 2 and alpha is not None and pixels.dtype == np.uint16:
        # 16-bit gray+alpha TIFF is valid, but Pillow cannot open it and OpenCV
        # drops its alpha: write RGBA so the file opens everywhere, here included.
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    array = _interleave(pixels, alpha)
    height, width, channels = array.shape
    bits = array.dtype.itemsize * 8
    # Predictor 2: each sample minus its left neighbour, wrapping like the dtype.
    predicted = array.copy()
    np.subtract(array[:, 1:], array[:, :-1], out=predicted[:, 1:])
    data = predicted.astype(predicted.dtype.newbyteorder("<"), copy=False)
    rows_per_strip = max(1, (1 << 20) // (width * channels * array.dtype.itemsize))
    strips = [zlib.compress(data[r:r + rows_per_strip].tobytes(), 6)
              for r in range(0, height, rows_per_strip)]

    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    ifd[256] = width
    ifd[257] = height
    ifd[258] = (bits,) * channels
    ifd[259] = 8  # Adobe deflate
    ifd[262] = 1 if pixels.ndim == 2 else 2  # min-is-black gray, or RGB
    ifd[277] = channels
    ifd[278] = rows_per_strip
    ifd[284] = 1  # samples interleaved
    ifd[317] = 2  # horizontal differencing predictor
    if alpha is not None:
        ifd[338] = 2  # the extra sample is unassociated (straight) alpha
    offsets = np.cumsum([0] + [len(s) for s in strips[:-1]]).tolist()
    ifd[273] = tuple(offsets)  # relative: Pillow adds where the data starts
    ifd[279] = tuple(len(s) for s in strips)
    ifd.tagtype[273] = ifd.tagtype[279] = TiffTags.LONG
    return ifd, strips


def _merge_exif_into_ifd(exif: Image.Exif, ifd: TiffImagePlugin.ImageFileDirectory_v2) -> None:
    """EXIF lives in a TIFF's own IFD; sub-IFDs go in as dicts so they get written."""
    for tag in exif:
        ifd[tag] = _sub_ifd(exif, tag) if tag in TiffTags.TAGS_V2_GROUPS else exif[tag]


def _sub_ifd(exif: Image.Exif, tag: int) -> dict:
    """A sub-IFD (Exif, GPS) as a dict, with the Interop IFD nested in it as a dict.

    Left as integers, these would be stale offsets into the file they came from.
    """
    sub = dict(exif.get_ifd(tag))
    if _INTEROP_IFD in sub and not isinstance(sub[_INTEROP_IFD], dict):
        with warnings.catch_warnings():  # a bad pointer only costs us this small IFD
            warnings.simplefilter("ignore")
            interop = dict(exif.get_ifd(_INTEROP_IFD))
        if interop and set(interop) <= _INTEROP_TAGS:
            sub[_INTEROP_IFD] = interop
        else:  # missing, or junk read from a stale offset (Pillow's own TIFF writer)
            del sub[_INTEROP_IFD]
    return sub


# ------------------------------------------------------------------ atomic write


def _write_atomically(path: Path, write: Callable[[BinaryIO], None], overwrite: bool) -> None:
    """Write through a hidden temp file in the same folder, fsync, then rename.

    On any error (or Ctrl-C) the temp file is removed and `path` is untouched.
    """
    temp, fd = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        _publish(temp, path, overwrite)
    except BaseException as e:
        temp.unlink(missing_ok=True)
        if isinstance(e, OSError) and _is_too_long(e):  # the temp's name fit: the photo's does not
            raise _too_long_error(path) from None
        raise
    fsync_folder(path.parent)


# save_photo's temp files: ".NAME.EXT.RANDOM.tmp.EXT", EXT one it writes, twice (NAME
# cut short for a long one). A save takes seconds; one this old was left by a process
# killed mid-save (kill -9, a power cut), where no cleanup runs. Nothing else is ever
# removed: a person's own hidden file named nearly so is not ours.
_TEMP_NAME = re.compile(r"^\..+\.(?P<ext>jpe?g|jpe|png|tiff?|bmp|webp)\.[0-9a-f]{8}\.tmp\.(?P=ext)$",
                        re.IGNORECASE)
STALE_TEMP_SECONDS = 600


def remove_stale_temp_files(folder: Path | str) -> int:
    """Remove the temp files killed saves left in ``folder``; how many were removed."""
    removed = 0
    cutoff = time.time() - STALE_TEMP_SECONDS
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        try:
            if _TEMP_NAME.match(entry.name) and entry.is_file(follow_symlinks=False) \
                    and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue  # gone meanwhile, or not ours to remove
    return removed


def _create_temp(path: Path) -> tuple[Path, int]:
    """Create `.NAME.RANDOM.tmp.EXT` next to path (EXT kept for the encoder).

    NAME is cut short where the temp name would pass the folder's limit on a name's
    length (255 bytes on most disks), which a name that itself fits may leave too
    little room for. os.open with mode 0o666 lets the umask decide permissions, as
    for any new file (mkstemp would make the final photo readable by its owner only).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    rest = len(os.fsencode(f".{path.suffix}.01234567.tmp{path.suffix}"))  # all but NAME's stem
    name = _cut_to_bytes(path.stem, _name_max(path.parent) - rest) + path.suffix
    while True:
        temp = path.with_name(f".{name}.{secrets.token_hex(4)}.tmp{path.suffix}")
        try:
            return temp, os.open(temp, flags, 0o666)
        except FileExistsError:
            continue
        except OSError as e:
            raise _temp_error(e, path) from None


def _temp_error(error: OSError, path: Path) -> OSError:
    """Why the temp file for path cannot be made, naming the folder, not the temp name."""
    if _is_too_long(error):
        return _too_long_error(path)
    if isinstance(error, PermissionError):
        return PermissionError(errno.EACCES, f"no permission to write in {path.parent}", str(path.parent))
    if isinstance(error, FileNotFoundError):
        return FileNotFoundError(errno.ENOENT, f"the folder {path.parent} does not exist", str(path.parent))
    # A read-only disk, a full one: the reason, and the folder.
    return OSError(error.errno, f"{error.strerror or error} ({path.parent})", str(path.parent))


# Bytes in a file name on Linux's disks (ext4, XFS, Btrfs); others count 255 characters
# or UTF-16 units, never more than its UTF-8 bytes.
_NAME_MAX = 255
_ERROR_FILENAME_EXCED_RANGE = 206  # Windows' "name too long", which Python calls ENOENT


def _name_max(folder: Path) -> int:
    """The longest file name the folder's disk takes, in bytes; _NAME_MAX where it does
    not say (Windows) or says more, as UTF-8 counts at least as many bytes as the
    units other disks count (UTF-16, characters)."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):
        return _NAME_MAX
    return limit if 0 < limit < _NAME_MAX else _NAME_MAX


def _cut_to_bytes(text: str, size: int) -> str:
    """The longest start of text that is at most size bytes as a file name, in whole
    characters (a CJK character is 3 bytes in UTF-8: cutting one leaves junk)."""
    kept, used = [], 0
    for char in text:
        used += len(os.fsencode(char))
        if used > size:
            break
        kept.append(char)
    return "".join(kept)


def _is_too_long(error: OSError) -> bool:
    """Whether the system refused a file name, or a path, for its length."""
    return (error.errno == errno.ENAMETOOLONG
            or getattr(error, "winerror", None) == _ERROR_FILENAME_EXCED_RANGE)


def _too_long_error(path: Path) -> OSError:
    """The error for a photo whose name the disk will not take: the name's fault,
    not the folder's, and shortening it is the cure."""
    size, limit = len(os.fsencode(path.name)), _name_max(path.parent)
    if size > limit:
        reason = (f"the file name is too long ({size} bytes in UTF-8; this disk takes at most "
                  f"{limit}): choose a shorter name")
    else:
        reason = (f"the file name and its folders are too long together ({len(str(path))} characters): "
                  "choose a shorter name, or a folder nearer the top")
    return OSError(errno.ENAMETOOLONG, reason, str(path))


def _exists(path: Path) -> bool:
    """path.exists(), where a name too long to exist says so (Python before 3.13
    raises the system's bare "File name too long" from exists)."""
    try:
        return path.exists()
    except OSError as e:
        if _is_too_long(e):
            raise _too_long_error(path) from None
        raise


def _publish(temp: Path, path: Path, overwrite: bool) -> None:
    """Move the finished temp file into place, refusing to replace unless asked."""
    if overwrite:
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)  # atomic "create only if absent"
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError:
        # No hard links here (FAT, some network drives): check, then rename.
        if path.exists():
            raise _exists_error(path) from None
        os.replace(temp, path)
        return
    temp.unlink()
