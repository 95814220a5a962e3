"""Where to save a colorized photo: the suggested name, the format, the refusals."""

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SaveFormat:
    name: str
    suffix: str
    suffixes: tuple[str, ...]

    @property
    def filter(self) -> str:
        """The QFileDialog name filter, e.g. "JPEG (*.jpg *.jpeg)"."""
        return f"{self.name} ({' '.join('*' + s for s in self.suffixes)})"


SAVE_FORMATS = (
    SaveFormat("JPEG", ".jpg", (".jpg", ".jpeg")),
    SaveFormat("PNG", ".png", (".png",)),
    SaveFormat("TIFF", ".tif", (".tif", ".tiff")),
    SaveFormat("WebP", ".webp", (".webp",)),
)


def format_for_suffix(suffix: str) -> SaveFormat | None:
    suffix = suffix.lower()
    return next((f for f in SAVE_FORMATS if suffix in f.suffixes), None)


def format_for_filter(name_filter: str) -> SaveFormat:
    return next((f for f in SAVE_FORMATS if f.filter == name_filter), SAVE_FORMATS[0])


def default_format(original: str | os.PathLike) -> SaveFormat:
    """Keep the original's format when we can write it (a TIFF scan stays TIFF), else JPEG."""
    return format_for_suffix(Path(original).suffix) or SAVE_FORMATS[0]


def suggested_save_path(original: str | os.PathLike, fmt: SaveFormat | None = None) -> Path:
    """``photo_color.jpg`` next to ``photo.jpg``; ``photo_color_2.jpg`` if that exists."""
    original = Path(original)
    fmt = fmt or default_format(original)
    candidate = original.with_name(f"{original.stem}_color{fmt.suffix}")
    n = 2
    while candidate.exists():
        candidate = original.with_name(f"{original.stem}_color_{n}{fmt.suffix}")
        n += 1
    return candidate


def with_format_suffix(chosen: str | os.PathLike, fmt: SaveFormat) -> Path:
    """Add the format's suffix when the chosen name has no known photo suffix."""
    chosen = Path(chosen)
    if format_for_suffix(chosen.suffix) is None:
        return chosen.with_name(chosen.name + fmt.suffix)
    return chosen


def renamed_for_format(name: str, fmt: SaveFormat) -> str:
    """A file name given another format's suffix: only a photo suffix is swapped,
    "scan_color.png" -> "scan_color.tif", but "wedding.1951" -> "wedding.1951.tif"."""
    if format_for_suffix(Path(name).suffix) is not None:
        name = name[: -len(Path(name).suffix)]
    return name + fmt.suffix


def save_choice(selected: str | os.PathLike, fmt: SaveFormat) -> tuple[Path, bool]:
    """The file a Save dialog's choice names, and whether the dialog asked before
    replacing it. It asked only about the name as typed: when the format's suffix
    is added afterwards ("wedding.1951" -> "wedding.1951.jpg"), an existing file of
    that name was never asked about."""
    selected = Path(selected)
    path = with_format_suffix(selected, fmt)
    return path, path == selected and path.exists()


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when ``a`` and ``b`` name the same file (links and case folding included)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def refuse_reason(original: str | os.PathLike, chosen: str | os.PathLike) -> str | None:
    """Why saving to ``chosen`` is refused, or None when it is fine."""
    if same_file(original, chosen):
        return "That is the original photo. Colorizer never writes over an original; choose another name."
    if format_for_suffix(Path(chosen).suffix) is None:
        return f"Cannot save as {Path(chosen).suffix or 'a file without a suffix'}: choose JPEG, PNG, TIFF or WebP."
    return None


def suggested_export_folder(source: str, last_source: str = "", last_output: str = "") -> str:
    """Where a folder's batch export goes unless the person picks another place.

    A folder exported before goes where it went last time; another one goes to the
    same kind of place: inside itself if the last export was inside its folder
    (album/colorized -> other/colorized), else into a folder named after it in the last
    output folder (Exports -> Exports/other). Never the last output itself: a second
    album's photos would meet the first album's results there, and same-named photos
    (p01.jpg) would be skipped as already exported.
    """
    if not source:
        return ""
    src = Path(source)
    if last_output and last_source:
        out, last = Path(last_output), Path(last_source)
        if src == last:
            return last_output
        try:
            return str(src / out.relative_to(last))
        except ValueError:
            return str(out / src.name)
    return str(src / "colorized")
