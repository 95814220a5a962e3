"""How much does a folder of thousands of photos being written to stall the window?

    python bench/busy_folder.py [--photos 5000] [--seconds 20] [--per-second 6]

Opens a generated folder of small gray JPEGs in the real main window, then copies
a photo into it several times a second, as a batch export or a scanner writing
into the folder on show does. Meanwhile a QTimer fires every 5 ms on the GUI
thread; a stall is how much later than due a tick came. Prints the stalls, and
how long each relisting of the folder (the grid following the new files) took.
The window does not colorize here (no model is started): this is the browser's
own cost. Runs offscreen unless DISPLAY is set.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_responsiveness import StallProbe  # noqa: E402  (sets the offscreen platform when headless)

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def make_folder(folder: Path, count: int) -> Path:
    """``count`` small gray JPEGs named as a scanner names them; returns one to copy."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    sample = folder / "scan_00000.jpg"
    Image.fromarray(rng.integers(0, 255, (120, 160), dtype=np.uint8), "L").save(sample, quality=85)
    for i in range(1, count):
        os.link(sample, folder / f"scan_{i:05d}.jpg")  # the listing, not the pixels, is what is timed
    return sample


def spin(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--per-second", type=float, default=6.0, help="files written into the folder per second")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="colorizer-busy-folder-"))
    os.environ.setdefault("COLORIZER_DATA_DIR", str(work / "data"))
    folder = work / "scans"
    sample = make_folder(folder, args.photos)

    from colorizer_app.core.catalog import ModelCatalog
    from colorizer_app.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    window = MainWindow(catalog=ModelCatalog(), settings=QSettings(str(work / "settings.ini"),
                                                                   QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    t = time.perf_counter()
    window.open_folder(folder)
    opened_ms = (time.perf_counter() - t) * 1000
    spin(3000)  # thumbnails of the first screen, the tree's listing

    grid = window.thumbnail_grid
    relists: list[float] = []
    relist = grid.relist

    def timed_relist(*a, **k):
        t = time.perf_counter()
        try:
            return relist(*a, **k)
        finally:
            relists.append((time.perf_counter() - t) * 1000)

    grid.relist = timed_relist
    written = 0

    def write_one() -> None:
        nonlocal written
        shutil.copyfile(sample, folder / f"new_{written:05d}.jpg")
        written += 1

    writer = QTimer()
    writer.setInterval(int(1000 / args.per_second))
    writer.timeout.connect(write_one)
    probe = StallProbe(5)
    probe.start()
    writer.start()
    spin(int(args.seconds * 1000))
    writer.stop()
    spin(1500)  # the last change is listed
    stalls = probe.stop()

    big = [s for s in stalls if s > 100]
    print(f"{args.photos} photos in the open folder, {written} written into it over {args.seconds:.0f} s; "
          f"timer every 5 ms; Qt platform {app.platformName()}\n")
    print(f"{'':<38}{'value':>10}")
    print(f"{'opening the folder (ms)':<38}{opened_ms:>10.0f}")
    print(f"{'relistings':<38}{len(relists):>10}")
    print(f"{'relisting, median (ms)':<38}{statistics.median(relists or [0]):>10.0f}")
    print(f"{'relisting, max (ms)':<38}{max(relists or [0]):>10.0f}")
    print(f"{'stall, max (ms)':<38}{max(stalls or [0]):>10.0f}")
    print(f"{'stalls over 100 ms':<38}{len(big):>10}")
    print(f"{'time lost to them (s)':<38}{sum(big) / 1000:>10.2f}")
    print(f"{'rows in the grid at the end':<38}{grid.thumbnails.rowCount():>10}")
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
