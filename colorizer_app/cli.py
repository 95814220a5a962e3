"""The `colorizer` command line: start the app, colorize files and folders, list models.

    colorizer [FOLDER_OR_PHOTO]                 start the desktop app (showing that)
    colorizer colorize INPUT... -o OUTDIR       colorize photos and folders
    colorizer models                            list the models and whether they work
    colorizer self-test                         check this installation works (also --self-test)

Exit codes: 0 all went well; 1 some photos failed (or nothing could run);
2 usage errors (bad option, unknown model, missing input); 130 stopped by Ctrl-C,
143 stopped by SIGTERM (a shutdown, kill), 129 by SIGHUP (the terminal closed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Iterator, Sequence

from colorizer_app import __version__
from colorizer_app.core.batch import (
    FORMAT_EXTENSIONS, BatchItem, BatchReport, ItemStatus, plan_batch, run_batch, summary_lines,
)
from colorizer_app.core.catalog import ModelCatalog, ModelEntry
from colorizer_app.core.hints import Hint
from colorizer_app.core.hintstore import HintIndex, HintStore
from colorizer_app.core.imageio import READ_EXTENSIONS
from colorizer_app.core.paths import user_hints_file
from colorizer_app.core.terminal import forgive_unencodable_characters

COMMANDS = ("colorize", "models", "self-test")
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM; 128 + SIGHUP (129) when the terminal closed


class Terminated(BaseException):
    """SIGTERM (a shutdown, `kill`) or SIGHUP (the terminal closed): stop now. A
    BaseException, so that the batch's per-photo error handling does not take it
    for one photo's failure."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = signum


class UsageError(Exception):
    """A problem with what was asked for: reported, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        return _start_gui()
    forgive_unencodable_characters()
    if len(argv) == 1 and argv[0] not in COMMANDS and not argv[0].startswith("-") and os.path.exists(argv[0]):
        return _start_gui(argv)  # "Open with Colorizer", a photo dropped on the program
    if len(argv) == 1 and argv[0] not in COMMANDS and _looks_like_a_path(argv[0]):
        print(f"colorizer: error: no such file or folder: {argv[0]}", file=sys.stderr)
        return EXIT_USAGE
    if argv[0] in ("self-test", "--self-test"):  # the bundle's smoke check: colorizer_app/selftest.py
        from colorizer_app.selftest import main as self_test

        return self_test(argv[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error argparse reported
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    try:
        return args.run(args)
    except UsageError as e:
        print(f"colorizer: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # before the batch started, or a second Ctrl-C
        print("\nInterrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated as stop:  # the photo being written was discarded, the ones before are whole
        print(f"\nStopped by {signal.Signals(stop.signum).name}; the photos finished so far are kept. "
              "Run the same command again to go on.", file=sys.stderr)
        return 128 + stop.signum


def _looks_like_a_path(text: str) -> bool:
    """A mistyped photo or folder ("scans/1950.jpg"), not a mistyped command ("colourize")."""
    return not text.startswith("-") and ("/" in text or os.sep in text or bool(Path(text).suffix))


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="colorizer", usage="%(prog)s [PHOTO_OR_FOLDER | COMMAND ...]",
        description="Bring color to black-and-white photographs. Run without arguments to start "
        "the desktop app, or with a photo or folder to open it there.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True,
                                     prog="colorizer")  # not the usage line above, in each command's

    colorize = commands.add_parser(
        "colorize", help="colorize photos and folders into an output folder",
        description="Colorize photos. Folders are searched (recursively) for JPEG, PNG, "
        "TIFF, BMP, WebP and GIF files, and their tree is mirrored under OUTDIR. Photos whose "
        "output exists are skipped, so running the same command again resumes.")
    colorize.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="photo files and folders")
    colorize.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR",
                          help="folder for the colorized photos (created if needed)")
    colorize.add_argument("--model", metavar="NAME", help="model to use (see `colorizer models`; "
                          "default: the bundled default model)")
    colorize.add_argument("--render-size", type=_positive_int, metavar="N",
                          help="short side, in pixels, at which color is predicted "
                          "(default: the model's own; 256 for the bundled model)")
    colorize.add_argument("--saturation", type=_saturation, default=1.0, metavar="F",
                          help=f"scale the predicted color: 0 gray, 1 as predicted (default), >1 more "
                               f"(at most {MAX_SATURATION:g})")
    colorize.add_argument("--format", choices=list(FORMAT_EXTENSIONS), default="same",
                          help="output format; 'same' keeps each photo's own (default; BMP, which has no "
                               "room for Colorizer's mark, becomes PNG)")
    colorize.add_argument("--suffix", default="", help="add this to each output name, e.g. _color")
    colorize.add_argument("--no-recursive", dest="recursive", action="store_false",
                          help="do not look into subfolders of input folders")
    colorize.add_argument("--overwrite", action="store_true",
                          help="replace outputs that an earlier run wrote (never a photo Colorizer did not write)")
    colorize.add_argument("--no-hints", dest="hints", action="store_false",
                          help="ignore the color hints set on these photos in the app "
                               "(by default a photo with hints is colorized with them)")
    colorize.add_argument("--hint", dest="hint_marks", action="append", type=_hint_mark, default=[],
                          metavar="X,Y,COLOR",
                          help="a color hint for a single photo: the spot at X, Y (fractions of its "
                               "width and height, 0..1, from the top left) is COLOR (#RRGGBB or a "
                               "name such as navy); repeat for more. Replaces the hints set in the app")
    colorize.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                          help="where the network runs (default: a CUDA GPU if there is one)")
    colorize.set_defaults(run=run_colorize)

    models = commands.add_parser("models", help="list the models and whether each can be used")
    models.set_defaults(run=run_models)
    # Listed for --help only: main() hands "self-test" to colorizer_app.selftest before parsing.
    commands.add_parser("self-test", help="check that this installation works: colorize a "
                        "bundled sample in the real window, offscreen (exit code 0 if it does)")
    return parser


def _positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _hint_mark(text: str) -> Hint:
    """argparse type: X,Y,COLOR -> a Hint."""
    from PIL import ImageColor

    parts = text.split(",", 2)
    try:
        if len(parts) != 3:
            raise ValueError
        x, y = float(parts[0]), float(parts[1])
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y,COLOR such as 0.3,0.6,#1f4fa0, not {text!r}") from None
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise argparse.ArgumentTypeError(f"X and Y are fractions of the photo's size, 0 to 1, not {text!r}")
    try:
        rgb = ImageColor.getrgb(parts[2].strip())[:3]
    except ValueError:
        raise argparse.ArgumentTypeError(f"unknown color {parts[2]!r} (use #RRGGBB or a name such as navy)") from None
    return Hint.from_rgb(x, y, rgb)


# Twice the app's slider: past about 3 nearly every color is clipped to the gamut's edge.
MAX_SATURATION = 4.0


def _saturation(text: str) -> float:
    """argparse type: a number from 0 to MAX_SATURATION."""
    value = float(text)
    if not 0 <= value <= MAX_SATURATION:  # also rejects nan and inf
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_SATURATION:g}, not {text}")
    return value


# -------------------------------------------------------------------------- gui


def _start_gui(argv: list[str] | None = None) -> int:
    """Start the desktop app (with a folder or photo to open); a clear message if
    PySide6 is not installed."""
    try:
        from colorizer_app.gui.app import main as gui_main
    except ImportError as e:
        if (e.name or "").split(".")[0] in ("PySide6", "shiboken6"):
            print("The desktop app needs PySide6, which is not installed.\n"
                  "Install it with:  pip install PySide6-Essentials\n"
                  "The command line works without it: colorizer --help", file=sys.stderr)
        else:
            print(f"Cannot start the desktop app: {e}", file=sys.stderr)
        return EXIT_FAILED
    return gui_main(argv or [])


# --------------------------------------------------------------------- colorize


def run_colorize(args: argparse.Namespace, catalog: ModelCatalog | None = None) -> int:
    """The `colorize` command."""
    try:
        items = plan_batch(args.inputs, args.output, fmt=args.format,
                           recursive=args.recursive, suffix=args.suffix)
    except (FileNotFoundError, ValueError) as e:
        raise UsageError(str(e)) from None
    if not items:
        print(f"No photos found (looked for {', '.join(sorted(READ_EXTENSIONS))}).", file=sys.stderr)
        for line in summary_lines(items.left_out):
            print(line, file=sys.stderr)
        return EXIT_FAILED
    if args.hint_marks and len(items) > 1:
        raise UsageError(f"--hint is for a single photo, and the inputs hold {len(items)}")
    catalog = catalog or ModelCatalog()
    entry = _choose_model(catalog, args.model)
    model = _load_model(entry, args.device)
    render_size = args.render_size or model.render_size
    print(f"Colorizing {len(items)} photo(s) with {entry.name} at render size {render_size} "
          f"on {model.device}.", file=sys.stderr)
    if args.hint_marks:
        hints = {items[0].source: args.hint_marks}  # one photo, checked above
    else:
        hints = _saved_hints(items) if args.hints else {}

    from colorizer_app.core.pipeline import colorize

    def colorize_photo(photo):
        return colorize(photo.pixels, model, render_size=render_size, saturation=args.saturation,
                        hints=hints.get(photo.path))

    with _ctrl_c_stops_after_current_file() as interrupted:
        report = _run_with_progress(items, colorize_photo, args.overwrite, interrupted)
    _print_summary(report, args.output)
    if report.cancelled:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if report.failed or report.stopped else EXIT_OK


def _saved_hints(items: list[BatchItem]) -> dict[Path, list[Hint]]:
    """The color hints set in the app on these photos (also on photos that moved since),
    by source path; photos without hints are left out. Each photo is looked up once."""
    store = HintStore(user_hints_file())
    photos, problem = store.load()
    if problem:
        print(problem, file=sys.stderr)
    index = HintIndex(photos, store.moved)
    hints = {item.source: found for item in items if (found := index.hints(item.source))}
    if hints:
        print(f"Using the color hints set in the app on {len(hints)} of them (--no-hints to ignore).",
              file=sys.stderr)
    return hints


def _choose_model(catalog: ModelCatalog, name: str | None) -> ModelEntry:
    """The named catalog entry, or the default; UsageError naming the choices."""
    if name is None:
        entry = catalog.default()
        if entry is None:
            raise UsageError("no usable model is installed; reinstall Colorizer or train one "
                             "(`colorizer models` shows what was found)")
        return entry
    entries = catalog.entries()
    try:
        entry = catalog.find(name)
    except KeyError:
        known = ", ".join(e.name for e in entries if e.usable) or "none"
        raise UsageError(f"unknown model {name!r}; available: {known}") from None
    if not entry.usable:
        raise UsageError(f"model {name!r} cannot be used: {entry.reason}")
    return entry


def _load_model(entry: ModelEntry, device_name: str):
    """Select the device and load the model; UsageError with the reason if either fails."""
    from colorizer_app.core.device import select_device
    from colorizer_app.core.modelfile import ModelFileError, load_model

    try:
        device = select_device(device_name)
    except RuntimeError as e:
        raise UsageError(str(e)) from None
    try:
        return load_model(entry.json_path, device=device)
    except ModelFileError as e:
        raise UsageError(f"model {entry.name!r} could not be loaded: {e}") from None


def _run_with_progress(items: list[BatchItem], colorize_photo, overwrite: bool,
                       interrupted: list[bool]) -> BatchReport:
    """run_batch with a tqdm bar on stderr (hidden when stderr is not a terminal)."""
    from tqdm import tqdm

    with tqdm(total=len(items), unit="photo", file=sys.stderr, disable=None,
              dynamic_ncols=True) as bar:
        def on_progress(done: int, total: int, item: BatchItem, status: ItemStatus) -> None:
            bar.update(1)
            bar.set_postfix_str(f"{status.value}: {item.source.name}", refresh=False)

        return run_batch(items, colorize_photo, overwrite=overwrite,
                         on_progress=on_progress, should_cancel=lambda: interrupted[0])


@contextlib.contextmanager
def _ctrl_c_stops_after_current_file() -> Iterator[list[bool]]:
    """While active, the first Ctrl-C sets a flag the batch checks between files;
    a second one interrupts at once, and so does SIGTERM, which does not wait. Either
    way save_photo removes the file it was writing: nothing partial is left."""
    interrupted = [False]

    def handler(signum, frame):
        if interrupted[0]:
            raise KeyboardInterrupt
        interrupted[0] = True
        print("\nStopping after the current photo (Ctrl-C again to stop now)...", file=sys.stderr)

    def terminate(signum, frame):
        raise Terminated(signum)

    stops = [signal.SIGTERM]
    # The terminal closing ends the export, unless it was started not to care (nohup,
    # which ignores SIGHUP); Windows has no SIGHUP.
    if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        stops.append(signal.SIGHUP)
    try:
        previous = {signal.SIGINT: signal.signal(signal.SIGINT, handler)}
        previous.update({signum: signal.signal(signum, terminate) for signum in stops})
    except ValueError:  # not the main thread: leave the signals alone
        yield interrupted
        return
    try:
        yield interrupted
    finally:
        for signum, earlier in previous.items():
            signal.signal(signum, earlier)


def _print_summary(report: BatchReport, output_dir: Path) -> None:
    """Counts, then each failed photo with its reason."""
    print(f"Done: {report.done}, skipped (already there): {report.skipped}, "
          f"failed: {len(report.failed)} (of {report.total}) in {report.elapsed:.1f} s. "
          f"Output: {output_dir}")
    if report.stopped:
        print(f"Stopped: {report.stopped}.")
    if report.cancelled:
        left = report.total - report.processed
        print(f"Stopped by Ctrl-C with {left} photo(s) left; run the same command again to resume.")
    if report.notes:
        print("Note:")
        print("\n".join(summary_lines(report.notes)))
    if report.failed:
        print("Failed:")
        print("\n".join(summary_lines(report.failed)))


# ----------------------------------------------------------------------- models


def run_models(args: argparse.Namespace, catalog: ModelCatalog | None = None) -> int:
    """The `models` command: a table of the catalog."""
    catalog = catalog or ModelCatalog()
    entries = catalog.entries()
    if not entries:
        print(f"No models found in {catalog.bundled_dir} or {catalog.user_dir}.")
        return EXIT_FAILED
    default = catalog.default()
    rows = [("NAME", "ORIGIN", "RENDER", "METRIC", "STATUS")]
    for entry in entries:
        name = entry.name + (" *" if default is not None and entry == default else "")
        render = str(entry.meta.get("render_size", "")) if entry.usable else ""
        status = "usable" if entry.usable else f"unusable: {entry.reason}"
        rows.append((name, entry.origin, render, _key_metric(entry.meta), status))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    if default is not None:
        print("\n* the default model (used when --model is not given)")
    print(f"Your own models go in {catalog.user_dir}")
    return EXIT_OK


# Preferred metrics, in order, as the training module writes them.
_METRICS = (("auc", "AuC {:.3f}"), ("psnr", "PSNR {:.2f} dB"), ("val_loss", "val loss {:.4f}"))


def _key_metric(meta: dict) -> str:
    """One metric from the model's JSON, or "" if it has none."""
    metrics = meta.get("metrics") or {}
    if not isinstance(metrics, dict):
        return ""
    for key, template in _METRICS:
        if isinstance(metrics.get(key), (int, float)):
            return template.format(metrics[key])
    for key, value in metrics.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{key} {value:.4g}"
    return ""


if __name__ == "__main__":  # python -m colorizer_app.cli, as well as python -m colorizer_app
    sys.exit(main())
