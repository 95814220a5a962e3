"""Batch colorizing: plan input -> output paths for files and folders, then run them.

The CLI and the GUI's batch export share this code. It knows nothing of models or
torch: run_batch takes a `colorize_fn(photo) -> RGB array` the caller binds.

Output layout. The folder tree is mirrored under the output folder: a single folder
input maps its contents straight into it; with several inputs, paths are taken
relative to the deepest folder holding them all, so each folder keeps its name:

    colorize photos/ -o OUT            photos/a/b.jpg  -> OUT/a/b.jpg
    colorize 2019/ 2020/ -o OUT        2019/x.jpg      -> OUT/2019/x.jpg
                                       2020/x.jpg      -> OUT/2020/x.jpg
    colorize a.jpg b/c.jpg -o OUT      a.jpg -> OUT/a.jpg, b/c.jpg -> OUT/b/c.jpg

Distinct inputs thus never share an output path, except when a format change makes
two names meet (x.jpg and x.tif both to PNG): those get the source extension in the
name (x_jpg.png, x_tif.png), unless an earlier result of one of them already has a
name (see _separate_collisions). An output path that is an input path is refused:
originals are never overwritten.

Resuming. An output that already exists is skipped unless overwrite is asked, so
running the same batch again after an interruption does only what is left. Files
are written atomically (imageio.save_photo), so an interrupted file leaves nothing.

Whose file is it? Every file Colorizer writes carries a mark (imageio.written_by_colorizer).
A file already at an output path without the mark is somebody's photo: it is
reported and left alone, with or without overwrite. Photos with the mark are earlier
results, not inputs, so a folder colorized in place is not colorized again. BMP has
no room for the mark, so a batch never writes BMP: with the same format as the
original, a BMP's result is a PNG (lossless too), as is a GIF's (read, never written).

Nothing is left out silently. An output folder inside the folder exported is not
looked into (its photos would be colorized again), and photos in formats Colorizer
cannot read (a phone's HEIC, a camera's raw files) are passed over: the plan says
so (BatchPlan.left_out), and run_batch reports it with the notes.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from colorizer_app.core.imageio import (
    READ_EXTENSIONS,
    ImageReadError,
    Photo,
    ascii_name,
    colorizer_mark,
    format_for_path,
    is_source,
    load_photo,
    made_from,
    read_later_pages,
    remove_stale_temp_files,
    save_photo,
    source_in_mark,
    written_by_colorizer,
)

# --format value -> output extension; "same" keeps the input's own extension, but
# for those in SAME_FORMAT_EXCEPTIONS (formats that cannot carry Colorizer's mark).
FORMAT_EXTENSIONS: dict[str, str | None] = {"jpg": ".jpg", "png": ".png", "tiff": ".tif", "same": None}
SAME_FORMAT_EXCEPTIONS = {".bmp": ".png", ".gif": ".png"}

# Photos in formats Colorizer cannot read, counted in a folder so that the batch says
# it left them out. Other files (notes, XMP sidecars) are not photos and not counted.
OTHER_PHOTO_EXTENSIONS = frozenset({
    ".heic", ".heif", ".avif", ".jxl", ".jp2", ".j2k", ".psd", ".tga", ".pcx",
    ".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".orf", ".rw2",
    ".raf", ".pef", ".srw", ".x3f", ".3fr", ".erf", ".kdc", ".mrw", ".raw",
}) - READ_EXTENSIONS


class ItemStatus(str, enum.Enum):
    """What happened to one file of a batch."""

    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class BatchItem:
    """One photo to colorize: where it is read from and where it is written. A
    folder that could not be listed is an item too, with the problem to report."""

    source: Path
    output: Path
    problem: str = ""


class BatchPlan(list):
    """plan_batch's BatchItems, a plain list, plus ``left_out``: (path, why) for what
    the plan passed over on purpose and the person should know of (run_batch adds
    them to its report's notes), and ``output_dir``, which run_batch tries first."""

    def __init__(self, items: Iterable[BatchItem] = (), left_out: Iterable[tuple[Path, str]] = (),
                 output_dir: Path | None = None) -> None:
        super().__init__(items)
        self.left_out = list(left_out)
        self.output_dir = output_dir


def summary_lines(entries: Iterable[tuple[Path, str]], place: Callable[[Path], str] = str) -> list[str]:
    """Indented lines for a report's notes or failures: "  PLACE: reason" for a reason
    one file has, the reason and then its files beneath for one that several share (a
    camera's whole folder that lost its MakerNotes), in the order each reason came."""
    by_reason: dict[str, list[Path]] = {}
    for path, reason in entries:
        by_reason.setdefault(reason, []).append(path)
    lines = []
    for reason, paths in by_reason.items():
        if len(paths) == 1:
            lines.append(f"  {place(paths[0])}: {reason}")
        else:
            lines.append(f"  {len(paths)} photos: {reason}")
            lines.extend(f"    {place(path)}" for path in paths)
    return lines


@dataclass
class BatchReport:
    """The outcome of run_batch."""

    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)
    # Something to know: a photo done with a caveat, or what the plan left out (BatchPlan).
    notes: list[tuple[Path, str]] = field(default_factory=list)
    cancelled: bool = False
    # Why the batch stopped before the end on its own ("" if it did not): a full disk
    # fails every photo after it, each after minutes of colorizing; an output folder
    # that cannot be written would fail them all.
    stopped: str = ""
    elapsed: float = 0.0

    @property
    def processed(self) -> int:
        """Files handled so far, whatever the outcome."""
        return self.done + self.skipped + len(self.failed)


ColorizeFn = Callable[[Photo], np.ndarray]
ProgressFn = Callable[[int, int, BatchItem, ItemStatus], None]


# ------------------------------------------------------------------------ planning


def plan_batch(
    inputs: Iterable[Path | str],
    output_dir: Path | str,
    fmt: str = "same",
    recursive: bool = True,
    suffix: str = "",
) -> BatchPlan:
    """Turn files and folders into (source, output) pairs; see the module docstring.

    Raises FileNotFoundError for a missing input, ValueError for an unknown format,
    a suffix no file name can hold, or when an output would replace an input.
    """
    if fmt not in FORMAT_EXTENSIONS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMAT_EXTENSIONS)}")
    problem = suffix_problem(suffix)
    if problem:
        raise ValueError(problem)
    inputs = [Path(os.path.abspath(p)) for p in inputs]
    output_dir = Path(os.path.abspath(output_dir))
    for path in inputs:
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {path}")
    if output_dir.exists() and not output_dir.is_dir():
        raise ValueError(f"the output {output_dir} is a file, not a folder")
    base = _common_base(inputs)
    unlisted: list[tuple[Path, str]] = []
    left_out: list[tuple[Path, str]] = []
    sources = _collect_sources(inputs, output_dir, recursive, unlisted, left_out)
    items = [BatchItem(src, _output_path(src, base, output_dir, fmt, suffix)) for src in sources]
    results = {item.source for item in items if written_by_colorizer(item.source)}  # earlier exports
    if results:
        left_out.append((base, f"{len(results)} of the photos {'are' if len(results) != 1 else 'is'} "
                               f"Colorizer's own result{'s' if len(results) != 1 else ''}, left out"))
    items = [item for item in items if item.source not in results]
    items = _separate_collisions(items)
    _refuse_overwriting_inputs(items, suffix)
    # Reported with the failures, so "done" never hides a box of photos left out.
    items += [BatchItem(folder, output_dir / folder.relative_to(base), problem) for folder, problem in unlisted]
    return BatchPlan(items, left_out, output_dir)


def _common_base(inputs: list[Path]) -> Path:
    """The folder the output tree mirrors: a lone folder input itself, otherwise the
    deepest folder holding all inputs, so each input folder keeps its own name."""
    if len(inputs) == 1 and inputs[0].is_dir():
        return inputs[0]
    try:
        return Path(os.path.commonpath([p.parent for p in inputs]))
    except ValueError:  # Windows: different drives have no common folder
        raise ValueError("inputs are on different drives; colorize each drive separately") from None


def _collect_sources(inputs: list[Path], output_dir: Path, recursive: bool,
                     unlisted: list[tuple[Path, str]], left_out: list[tuple[Path, str]]) -> list[Path]:
    """Input files plus the photos found in input folders, each once, in a stable
    order; folders that cannot be listed are added to ``unlisted`` with the reason,
    what was passed over on purpose to ``left_out`` (see _walk)."""
    seen: dict[Path, int] = {}  # real file -> its place in sources
    sources = []
    unreadable: set[str] = set()  # real paths of photos it cannot read, counted once over all inputs
    for path in inputs:
        found = _walk(path, output_dir, recursive, unlisted, left_out, unreadable) if path.is_dir() else [path]
        for src in found:
            key = src.resolve()
            if key not in seen:
                seen[key] = len(sources)
                sources.append(src)
            elif sources[seen[key]].is_symlink() and not src.is_symlink():
                sources[seen[key]] = src  # the result is named after the photo, not a link to it
    return sources


def _walk(folder: Path, output_dir: Path, recursive: bool, unlisted: list[tuple[Path, str]],
          left_out: list[tuple[Path, str]], counted: set[str]) -> list[Path]:
    """Photos in a folder (sorted), skipping hidden entries and the output folder.

    The output folder is skipped when it lies inside the folder, so a second run
    does not colorize the first run's results; photos of the person's own in it
    are skipped too, so ``left_out`` says so. Photos in formats Colorizer cannot
    read are counted there as well, one line for the folder. Hidden names include
    save_photo's temporary files. Linked folders are followed (an archive often
    links its boxes in), each real folder once, so a link back up cannot loop; a link
    to a folder above the one exported is not followed at all (it would export the
    folders beside this one), and ``left_out`` says so.
    """
    photos = []
    unreadable: dict[str, int] = {}  # extension -> photos of it passed over (not in ``counted`` before)
    top = Path(os.path.realpath(folder))
    seen = {str(top)}

    def cannot_list(error: OSError) -> None:
        why = "no permission to read it" if isinstance(error, PermissionError) else error.strerror or str(error)
        unlisted.append((Path(error.filename), f"this folder could not be listed ({why}); "
                                               "its photos were left out"))

    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True, onerror=cannot_list):
        here = Path(dirpath)
        kept = []
        for d in sorted(dirnames):
            real = os.path.realpath(here / d)
            if d.startswith(".") or real in seen:
                continue
            if (here / d).is_symlink() and top.is_relative_to(real):
                left_out.append((here / d, "a link to a folder above the one exported: not followed, "
                                           "or the folders beside this one would be exported too"))
                continue
            if (here / d) == output_dir:
                if recursive and _holds_photos_of_its_own(output_dir) and output_dir not in dict(left_out):
                    left_out.append((output_dir, "the output folder, inside the folder exported: photos "
                                                 "in it that Colorizer did not make were left out"))
                continue
            seen.add(real)
            kept.append(d)
        dirnames[:] = kept
        if not recursive:
            dirnames.clear()
        for name in sorted(filenames):
            extension = Path(name).suffix.lower()
            if name.startswith("."):
                continue
            if extension in READ_EXTENSIONS:
                photos.append(here / name)
            elif extension in OTHER_PHOTO_EXTENSIONS:
                real = os.path.realpath(here / name)
                if real not in counted:
                    counted.add(real)
                    unreadable[extension] = unreadable.get(extension, 0) + 1
    if unreadable:
        count = sum(unreadable.values())
        kinds = ", ".join(e.lstrip(".").upper() for e in sorted(unreadable))
        left_out.append((folder, f"{count} photo{'s' if count != 1 else ''} in formats Colorizer cannot "
                                 f"read ({kinds}) {'were' if count != 1 else 'was'} left out"))
    return photos


def _holds_photos_of_its_own(output_dir: Path) -> bool:
    """Whether the output folder holds a photo Colorizer did not make: one the
    export leaves out. Its own results (a resumed export) are no news. Stops at the
    first such photo; otherwise reads each result's mark (the export reads them again
    to skip them: a header each, cheap beside colorizing one photo)."""
    for dirpath, _, filenames in os.walk(output_dir):
        for name in filenames:
            path = Path(dirpath) / name
            if (not name.startswith(".") and path.suffix.lower() in READ_EXTENSIONS
                    and not written_by_colorizer(path)):
                return True
    return False


# Characters a name added to every output cannot hold: folder separators (a suffix
# "/../x" would write outside the output folder) and what Windows refuses in names,
# so that an export can be copied to any disk.
_SUFFIX_FORBIDDEN = set('/\\:*?"<>|')


def suffix_problem(suffix: str) -> str | None:
    """Why `suffix` cannot be added to the output names, or None if it can."""
    bad = sorted({c for c in suffix if c in _SUFFIX_FORBIDDEN or ord(c) < 32})
    if bad:
        shown = " ".join(repr(c)[1:-1] if ord(c) >= 32 else f"U+{ord(c):04X}" for c in bad)
        return (f"the text added to the names, {suffix!r}, holds {shown}, which a file name "
                "cannot hold; use letters, digits, '_', '-' or spaces, such as _color")
    return None


def _output_path(src: Path, base: Path, output_dir: Path, fmt: str, suffix: str) -> Path:
    """Mirror src's place under base into output_dir, with suffix and new extension."""
    relative = src.relative_to(base)
    extension = FORMAT_EXTENSIONS[fmt] or SAME_FORMAT_EXCEPTIONS.get(src.suffix.lower(), src.suffix)
    return output_dir / relative.parent / f"{src.stem}{suffix}{extension}"


def _separate_collisions(items: list[BatchItem]) -> list[BatchItem]:
    """Rename outputs that two sources would share, e.g. x.jpg and x.tif -> x.png,
    to x_jpg.png and x_tif.png.

    An earlier result decides first. The source an existing result was made from
    (its mark says, imageio.colorized_from) keeps that result's name: when x.tif
    joins x.jpg after x.png was made, x.jpg stays x.png; when x.tif leaves again,
    x.jpg stays x_jpg.png. A batch run again thus skips what it did before, and
    leaves no second copy of it under another name.
    """
    groups: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(_path_key(item.output), []).append(i)
    renamed = list(items)
    for indices in groups.values():
        if len(indices) == 1:
            item, tagged = items[indices[0]], _tagged(items[indices[0]])
            # Marks are read (and the source's digest taken) only where a tagged result exists.
            if (os.path.lexists(tagged) and not made_from(item.output, item.source)
                    and made_from(tagged, item.source)):
                renamed[indices[0]] = BatchItem(item.source, tagged)
            continue
        # The group's paths differ in case at most (x.png, X.png): any may hold the earlier result.
        earlier = [items[i].output for i in indices if os.path.lexists(items[i].output)]
        kept = False
        for i in indices:
            result = next((out for out in earlier if made_from(out, items[i].source)), None)
            if result is not None and not kept:
                renamed[i], kept = BatchItem(items[i].source, result), True
            else:
                renamed[i] = BatchItem(items[i].source, _tagged(items[i]))
    # Still shared (a.jpg and a.JPG on a case-sensitive disk): number them.
    taken: set[str] = set()
    for i, item in enumerate(renamed):
        out, n = item.output, 1
        while _path_key(out) in taken:
            n += 1
            out = item.output.with_name(f"{item.output.stem}_{n}{item.output.suffix}")
        taken.add(_path_key(out))
        renamed[i] = BatchItem(item.source, out)
    return renamed


def _tagged(item: BatchItem) -> Path:
    """The output's name with the source's extension in it: x.png -> x_jpg.png."""
    tag = item.source.suffix.lstrip(".").lower()
    return item.output.with_name(f"{item.output.stem}_{tag}{item.output.suffix}")


def _path_key(path: Path) -> str:
    """Compare paths as a case-insensitive file system (Windows, macOS) would."""
    return os.path.normcase(str(path)).casefold()


def _refuse_overwriting_inputs(items: list[BatchItem], suffix: str) -> None:
    """ValueError if any output path is an original photo.

    That is an input of this batch, or, when writing next to the inputs without a
    suffix, any file already there that Colorizer did not write (b.png -> b.jpg must
    not replace a b.jpg original). Other files in the way are reported one by one
    when the batch runs (_existing_output_problem).
    """
    sources = {_path_key(item.source.resolve()) for item in items}
    for item in items:
        in_place = item.output.parent == item.source.parent
        if (_path_key(item.output.resolve()) in sources
                or (in_place and not suffix and item.output.exists()
                    and not written_by_colorizer(item.output))):
            raise ValueError(
                f"the output {item.output} would replace an original photo; choose another "
                "output folder, a suffix to add to the names, or another format")


# ------------------------------------------------------------------------- running


def run_batch(
    items: list[BatchItem],
    colorize_fn: ColorizeFn,
    *,
    overwrite: bool = False,
    on_progress: ProgressFn | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> BatchReport:
    """Colorize each item; a failure is recorded and the batch goes on.

    should_cancel is asked before each file; a cancelled batch stops between files,
    so no output is left half-written. on_progress(done, total, item, status) is
    called after each file. What a BatchPlan left out starts the report's notes.
    """
    report = BatchReport(total=len(items))
    folders = _OutputFolders()
    root = items.output_dir if isinstance(items, BatchPlan) else None
    try:
        _run_items(items, colorize_fn, overwrite, on_progress, should_cancel, report, folders)
    finally:
        folders.remove_empty_made(keep=root)
    return report


def _run_items(items, colorize_fn, overwrite, on_progress, should_cancel, report: BatchReport,
               folders: _OutputFolders) -> None:
    if isinstance(items, BatchPlan):
        report.notes.extend(items.left_out)
        root = items.output_dir
        first = next((item for item in items if not item.problem), None)
        if root is not None and first is not None:
            # A read-only disk or a folder of someone else's fails every photo, each
            # with the same line: say it once, before any work. (Writable folders
            # already in a read-only one are no such case: the export goes on.)
            if folders.problem(root) and folders.problem(first.output.parent):
                report.stopped = f"{folders.problem(root)}; nothing was exported: choose another output folder"
                return
    start = time.monotonic()
    for index, item in enumerate(items):
        if should_cancel is not None and should_cancel():
            report.cancelled = True
            break
        status = _run_one(item, colorize_fn, overwrite, report, folders)
        report.elapsed = time.monotonic() - start
        if on_progress is not None:
            on_progress(index + 1, len(items), item, status)
        if report.stopped:
            break
    report.elapsed = time.monotonic() - start


def _run_one(item: BatchItem, colorize_fn: ColorizeFn, overwrite: bool,
             report: BatchReport, folders: _OutputFolders) -> ItemStatus:
    """Skip, colorize and save, or record the failure of one item."""
    if item.problem:
        report.failed.append((item.source, item.problem))
        return ItemStatus.FAILED
    problem = folders.problem(item.output.parent)
    if problem:  # found before colorizing: a read-only disk costs no network time
        report.failed.append((item.source, problem))
        return ItemStatus.FAILED
    if os.path.lexists(item.output):
        problem = _existing_output_problem(item.output, item.source, overwrite)
        if problem:
            report.failed.append((item.source, problem))
            return ItemStatus.FAILED
        if not overwrite:
            report.skipped += 1
            return ItemStatus.SKIPPED
    try:
        photo = load_photo(item.source)
        colored = colorize_fn(photo)
        if colored.shape[:2] != photo.pixels.shape[:2]:
            raise ValueError(f"colorizing returned {colored.shape[1]}×{colored.shape[0]} pixels "
                             f"for a {photo.pixels.shape[1]}×{photo.pixels.shape[0]} photo")
        # A TIFF result keeps the later pages (the back of a card) as they are.
        later = read_later_pages(item.source) if photo.pages > 1 and format_for_path(item.output) == "TIFF" else []
        left_out: list[str] = []  # metadata the result has no room for (a JPEG's is small)
        save_photo(item.output, colored, alpha=photo.alpha, exif=photo.exif,
                   icc_profile=photo.icc_profile, dpi=photo.dpi, overwrite=overwrite,
                   source=item.source, xmp=photo.xmp, later_pages=later, left_out=left_out)
    except ImageReadError as e:
        report.failed.append((item.source, e.reason))
        return ItemStatus.FAILED
    except FileExistsError:
        report.skipped += 1  # appeared while we worked (another run?): leave it alone
        return ItemStatus.SKIPPED
    except MemoryError as e:
        report.failed.append((item.source, str(e) or "not enough memory for this photo"))
        return ItemStatus.FAILED
    except OSError as e:
        report.failed.append((item.source, f"{type(e).__name__}: {e}"))
        if e.errno in _DISK_FULL:
            report.stopped = (f"the disk holding {item.output.parent} is full: stopped after this photo, "
                              "with the ones before it saved. Free some space and run the same export again")
        return ItemStatus.FAILED
    except Exception as e:  # noqa: BLE001 - one bad file must not stop the batch
        report.failed.append((item.source, f"{type(e).__name__}: {e}"))
        return ItemStatus.FAILED
    report.done += 1
    if left_out:
        report.notes.append((item.source, "; ".join(left_out)))
    if photo.pages > 1:
        if len(later) == photo.pages - 1:
            kept = "the others follow it as they are"
        elif later:
            kept = f"{len(later)} of the others follow it as they are (the rest cannot be read)"
        else:
            kept = "the others are not in the result (a TIFF result keeps them)"

        report.notes.append((item.source, f"only the first of its {photo.pages} pages was colorized; {kept}"))
    return ItemStatus.DONE


_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}  # no space; over the user's quota


class _OutputFolders:
    """The output folders of one run_batch: each made and checked once, before its
    first photo is colorized, and those it made removed again if they stay empty."""

    def __init__(self):
        self._problems: dict[Path, str | None] = {}  # folder -> why it cannot be written
        self._made: list[Path] = []

    def problem(self, folder: Path) -> str | None:
        """Make ``folder``; why photos cannot be written into it, or None."""
        if folder not in self._problems:
            self._problems[folder] = self._make(folder)
        return self._problems[folder]

    def _make(self, folder: Path) -> str | None:
        missing = [f for f in (folder, *folder.parents) if not f.exists()]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._made += missing
            with tempfile.TemporaryFile(dir=folder):
                pass
        except (FileExistsError, NotADirectoryError):
            return f"cannot make the folder {folder}: a file is in the way"
        except OSError as e:
            return f"cannot write into {folder}: {e.strerror or e}"
        remove_stale_temp_files(folder)  # what an export killed mid-save left there
        return None

    def remove_empty_made(self, keep: Path | None) -> None:
        """Remove the folders made for photos that all failed (not ``keep``, the output
        folder the person chose), deepest first."""
        for folder in sorted(set(self._made) - {keep}, key=lambda f: len(f.parts), reverse=True):
            with contextlib.suppress(OSError):  # not empty: it holds results
                folder.rmdir()


def _existing_output_problem(output: Path, source: Path, overwrite: bool) -> str | None:
    """Why a file already at an output path must be left alone, or None to go on:
    replace it when overwrite is asked, else skip it as this photo's earlier result.

    Not skipped, though, is a result whose mark names another file, or this name
    with other content (another box's img001.jpg exported into the same folder, or
    this photo changed since): it is not this photo's result. A mark that does not
    name its source (written before marks did) is taken at its word.
    """
    if output.is_dir():
        return f"a folder is in the way at {output}"
    mark = colorizer_mark(output)
    if mark is None:
        return (f"{output} is already there and Colorizer did not write it: left alone "
                "(choose another output folder, or a suffix to add to the names)")
    recorded = source_in_mark(mark)
    if overwrite or recorded is None or is_source(recorded, source):
        return None
    if recorded.name == ascii_name(source.name):
        why = (f"colored from another {recorded.name}: this photo changed since (a caption "
               "added?), or it is another photo of that name")
    else:
        why = f"colored from {recorded.name}"
    return (f"{output.name} is already there, {why}. Left alone: to color it again, replace "
            "earlier results (untick \"Skip photos already exported\", or --overwrite), or "
            "export into another folder")
