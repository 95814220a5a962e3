"""`colorizer self-test` (or `colorizer --self-test`): does this installation work?

The smoke check of the PyInstaller bundle (packaging/build.sh runs it on the built
program), and just as useful unbundled: `python -m colorizer_app self-test`.
It checks, printing one line each as it goes:

1. resources: the resources folder (inside the bundle when frozen), the app
   icon and a sample photo are there;
2. Qt: a QApplication starts (offscreen unless QT_QPA_PLATFORM says otherwise),
   the icon loads, the binding keeps Python's reference counts (PySide6 6.12.0
   does not, which aborts the app before Python 3.12), and the main window
   starts, opens the sample photo and shows it colorized (its settings and
   thumbnail cache go to the temporary folder);
3. model: the default model is found and loads (on the GPU when torch has one);
4. colorize: the sample photo is colorized and written to a temporary folder,
   read back, and must be the sample's size, in color, and of the same luminance.

While it runs, any attempt by Python code to open a network connection fails the
test (the app works offline). Exit code 0 when everything passed, 1 otherwise.
Nothing is written outside a temporary folder (removed afterwards) unless
--output DIR is given.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Iterator, Sequence

ICON = Path("icons") / "colorizer.png"
SAMPLES = Path("samples")
DEFAULT_SAMPLE = "landscape.jpg"
WINDOW_TIMEOUT_S = 180.0  # first start of a bundle on a busy machine: torch loads slowly

# What "in color" means for the output, in CIELAB (a*, b* in -128..127):
# the mean chroma, and the share of pixels that are visibly colored.
MIN_MEAN_CHROMA = 3.0
VISIBLE_CHROMA = 5.0
MIN_COLORED_SHARE = 0.10
# The pipeline keeps the input's luminance; rounding to 8 bits moves it a little.
MAX_MEAN_L_SHIFT = 1.5
# A "gray" sample: its own chroma must be below this, or the color check proves nothing.
MAX_SAMPLE_CHROMA = 1.0


class CheckFailed(Exception):
    """A check did not pass; the message says which and why."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the checks; 0 if all pass, 1 if one fails (the rest are then skipped)."""
    try:
        args = _parse(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as e:  # --help, or a usage error argparse reported
        return e.code if isinstance(e.code, int) else 2
    # Start Qt without a display unless one was asked for explicitly.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    print(f"Colorizer self-test ({_where()})")
    try:
        with _no_network(), _output_dir(args.output) as out:
            resources, icon, sample = _check_resources(args.sample)
            _check_qt(icon, sample, out)
            model = _check_model(args.model, args.device)
            _check_colorize(model, sample, out)
    except CheckFailed as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    except Exception:  # an unexpected error is a failure too, with its traceback
        traceback.print_exc()
        print("FAILED: unexpected error (traceback above)", file=sys.stderr)
        return 1
    print(f"self-test passed in {time.perf_counter() - started:.1f} s")
    return 0


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="colorizer self-test",
        description="Check that this installation of Colorizer works: resources, Qt, the default "
        "model, and colorizing a bundled sample photo. Exit code 0 if it all works.")
    parser.add_argument("--model", metavar="NAME", help="test this model instead of the default one")
    parser.add_argument("--sample", type=Path, metavar="PHOTO",
                        help=f"colorize this gray photo instead of the bundled {DEFAULT_SAMPLE}")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                        help="where the network runs (default: a CUDA GPU if torch has one)")
    parser.add_argument("--output", type=Path, metavar="DIR",
                        help="keep the colorized sample in DIR (default: a temporary folder, removed)")
    return parser.parse_args(argv)


def _where() -> str:
    if getattr(sys, "frozen", False):
        return f"bundled, {Path(sys.executable).parent}"
    return f"Python {sys.version.split()[0]}, {Path(__file__).resolve().parent}"


def _ok(what: str, started: float) -> None:
    print(f"  ok  {what} ({time.perf_counter() - started:.2f} s)", flush=True)


@contextlib.contextmanager
def _output_dir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="colorizer-selftest-") as tmp:
        yield Path(tmp)


@contextlib.contextmanager
def _no_network() -> Iterator[None]:
    """Make every Python-level attempt to reach the network fail loudly.

    Local (AF_UNIX) sockets stay allowed. Qt's own C++ networking is not seen
    here; packaging/build.sh also runs the self-test with no network at all.
    """
    def refuse(*args, **kwargs):
        raise CheckFailed("something tried to use the network; the app must work offline:\n"
                          + "".join(traceback.format_stack(limit=8)[:-1]))

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if self.family == getattr(socket, "AF_UNIX", None):
            return real_connect(self, address)
        refuse()

    def connect_ex(self, address):
        if self.family == getattr(socket, "AF_UNIX", None):
            return real_connect_ex(self, address)
        refuse()

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, refuse
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex
        socket.getaddrinfo = real_getaddrinfo


def _check_resources(sample: Path | None) -> tuple[Path, Path, Path]:
    from colorizer_app.core.paths import resources_dir

    t = time.perf_counter()
    resources = resources_dir()
    if not resources.is_dir():
        raise CheckFailed(f"the resources folder {resources} is missing")
    icon = resources / ICON
    if not icon.is_file():
        raise CheckFailed(f"the app icon {icon} is missing")
    if sample is None:
        sample = resources / SAMPLES / DEFAULT_SAMPLE
    if not sample.is_file():
        raise CheckFailed(f"the sample photo {sample} is missing")
    _ok(f"resources in {resources}", t)
    return resources, icon, sample


def _check_qt(icon: Path, sample: Path, out: Path) -> None:
    t = time.perf_counter()
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QIcon, QPixmap
    from PySide6.QtWidgets import QApplication

    _quiet_offscreen_warning()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    platform = app.platformName()
    pixmap = QPixmap(str(icon))
    if pixmap.isNull():
        raise CheckFailed(f"Qt cannot read the icon {icon} (image format plugins missing?)")
    app.setWindowIcon(QIcon(pixmap))
    _ok(f"Qt {_qt_version()} on the {platform!r} platform, icon {pixmap.width()}x{pixmap.height()}", t)

    t = time.perf_counter()
    lost = lost_none_references(200)
    if lost > 20:
        raise CheckFailed(f"this PySide6 loses references to None ({lost} in 400 calls); before Python "
                          "3.12 the app then aborts with 'deallocating None' after a minute of use. "
                          "Install PySide6-Essentials<6.12, or use Python 3.12 or newer")
    _ok("Qt binding keeps Python's reference counts", t)

    t = time.perf_counter()
    from colorizer_app.gui.eventloop import wait_until
    from colorizer_app.gui.main_window import MainWindow

    # The window's settings and thumbnail cache go to the temporary folder.
    with _env("COLORIZER_DATA_DIR", os.environ.get("COLORIZER_DATA_DIR") or str(out / "data")):
        settings = QSettings(str(out / "selftest-settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        results, errors = [], []
        window.result_shown.connect(results.append)
        window.client.failed.connect(errors.append)
        try:
            window.show()
            window.start()
            if not window.open_photo(sample):
                raise CheckFailed(f"the main window did not open {sample}")
            if not wait_until(lambda: results or errors, WINDOW_TIMEOUT_S):
                raise CheckFailed(f"the main window showed no colorized photo within {WINDOW_TIMEOUT_S} s")
            if errors:
                raise CheckFailed(f"the main window could not colorize {sample.name}: {errors[0]}")
        finally:
            window.close()  # stops its threads
            window.deleteLater()
            app.processEvents()
    _ok(f"main window started and colorized {sample.name}", t)


def lost_none_references(calls: int) -> int:
    """How many references to None `calls` QLabel.setText + update calls lose (0 when all is well).

    PySide6 6.12.0 loses one a call. Before Python 3.12 None is an ordinary object,
    and when its count reaches zero the interpreter aborts; from 3.12 None is
    immortal, its count never changes, and this is always 0.
    """
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    label.setText("warm-up")
    label.update()
    before = sys.getrefcount(None)
    for _ in range(calls):
        label.setText("a photo")
        label.update()
    return before - sys.getrefcount(None)


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _quiet_offscreen_warning() -> None:
    """Drop the offscreen platform's "does not support propagateSizeHints()" noise;
    every other Qt message goes where it went before."""
    from PySide6.QtCore import qInstallMessageHandler

    previous = None

    def handler(mode, context, message):
        if "propagateSizeHints" in message:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(handler)


def _qt_version() -> str:
    from PySide6.QtCore import qVersion

    return qVersion()


def _check_model(name: str | None, device: str):
    from colorizer_app.core.catalog import ModelCatalog
    from colorizer_app.core.device import select_device
    from colorizer_app.core.modelfile import ModelFileError

    t = time.perf_counter()
    catalog = ModelCatalog()
    if name is None:
        entry = catalog.default()
        if entry is None:
            raise CheckFailed(f"no usable model in {catalog.bundled_dir} or {catalog.user_dir}")
    else:
        try:
            entry = catalog.find(name)
        except KeyError as e:
            raise CheckFailed(str(e.args[0])) from None
    if not entry.usable:
        raise CheckFailed(f"model {entry.name} is unusable: {entry.reason}")
    try:
        model = catalog.load(entry.name, device=select_device(device))
    except (ModelFileError, RuntimeError) as e:
        raise CheckFailed(f"model {entry.name} did not load: {e}") from None
    _ok(f"model {entry.name} ({entry.origin}, {entry.json_path.parent}) loaded on {model.device}", t)
    return model


def _check_colorize(model, sample: Path, out: Path) -> None:
    import numpy as np

    from colorizer_app.core.imageio import load_photo, save_photo
    from colorizer_app.core.pipeline import colorize

    t = time.perf_counter()
    photo = load_photo(sample)
    h, w = photo.pixels.shape[:2]
    L_in, chroma_in = _lab_stats(photo.pixels)
    if chroma_in.mean() > MAX_SAMPLE_CHROMA:
        raise CheckFailed(f"the sample {sample.name} is not a gray photo (mean chroma {chroma_in.mean():.1f})")
    colored = colorize(photo.pixels, model, render_size=model.render_size)
    target = save_photo(out / f"{sample.stem}_color.png", colored, overwrite=True)
    back = load_photo(target).pixels
    if back.shape[:2] != (h, w) or back.ndim != 3:
        raise CheckFailed(f"{target.name} is {back.shape}, expected {h}x{w} RGB")
    L_out, chroma = _lab_stats(back)
    mean_chroma, share = float(chroma.mean()), float((chroma > VISIBLE_CHROMA).mean())
    shift = float(np.abs(L_out - L_in).mean())
    detail = (f"mean chroma {mean_chroma:.1f}, {share:.0%} of pixels colored, "
              f"luminance shift {shift:.2f}")
    if mean_chroma < MIN_MEAN_CHROMA or share < MIN_COLORED_SHARE:
        raise CheckFailed(f"{target.name} has hardly any color: {detail} (want a mean chroma of "
                          f"at least {MIN_MEAN_CHROMA} and {MIN_COLORED_SHARE:.0%} colored)")
    if shift > MAX_MEAN_L_SHIFT:
        raise CheckFailed(f"{target.name} does not keep the photo's luminance: {detail}")
    _ok(f"colorized {sample.name} ({w}x{h}) at render size {model.render_size} to {target}: {detail}", t)


def _lab_stats(pixels):
    """L* (H, W) and chroma (H, W) of a gray or RGB uint8/uint16 image."""
    import cv2
    import numpy as np

    rgb = pixels.astype(np.float32) / np.float32(np.iinfo(pixels.dtype).max)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    lab = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2Lab)
    return lab[..., 0], np.hypot(lab[..., 1], lab[..., 2])


if __name__ == "__main__":
    sys.exit(main())
