"""How long does the GUI event loop stall while a 24 MP photo is colorized?

    python bench/gui_responsiveness.py [--megapixels 24] [--interval-ms 5] [--model-json M.json]

Drives the real main window and inference thread: start (torch loads on the
worker), open a generated 24 MP scan (screen-sized preview), re-tune, colorize
at full resolution, save. Meanwhile a QTimer fires every few milliseconds on the
GUI thread; a stall is how much later than due a tick came. Prints a table per
phase: duration, median / 95th percentile / largest stall in ms.

Runs offscreen unless DISPLAY is set. Uses the bundled default model, or the
model given, or else an untrained network of the same architecture (same cost),
made in a child process so this one still imports torch only on the worker.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QObject, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

_MAKE_UNTRAINED = """
import sys
from colorizer_app.core.modelfile import save_model
from colorizer_app.models import UNetConfig, build_model
save_model(build_model(UNetConfig()), sys.argv[1], {"description": "untrained, for timing"})
"""


def make_scan(path: Path, megapixels: float) -> tuple[int, int]:
    """A gray, textured, photo-like JPEG, 4:3, as an old print is scanned."""
    w = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
    h = int(round(w * 3 / 4))
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = 120 + 60 * np.sin(x / 300) * np.cos(y / 200) + rng.normal(0, 12, (h, w)).astype(np.float32)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "L").save(path, quality=92)
    return w, h


class StallProbe(QObject):
    """A fast GUI-thread timer; records how late each tick arrives."""

    def __init__(self, interval_ms: int) -> None:
        super().__init__()
        self._interval = interval_ms / 1000
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.stalls: list[float] = []

    def start(self) -> None:
        self.stalls = []
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> list[float]:
        self._tick()  # a stall still going on at the end counts too
        self._timer.stop()
        return self.stalls

    def _tick(self) -> None:
        now = time.perf_counter()
        self.stalls.append(max(0.0, now - self._last - self._interval) * 1000)
        self._last = now


def run_phase(probe: StallProbe, signal, trigger, timeout_s: float, accept=lambda *a: True):
    """Start the probe, call ``trigger``, spin the event loop until ``signal`` fires
    with arguments ``accept`` likes; return (seconds, stalls)."""
    loop = QEventLoop()
    done = []

    def on_signal(*args):
        if accept(*args):
            done.append(args)
            loop.quit()

    signal.connect(on_signal)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    probe.start()
    start = time.perf_counter()
    trigger()
    if not done:
        loop.exec()
    seconds = time.perf_counter() - start
    stalls = probe.stop()
    signal.disconnect(on_signal)
    if not done:
        raise SystemExit(f"timed out after {timeout_s:.0f} s")
    return seconds, stalls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--megapixels", type=float, default=24.0)
    ap.add_argument("--interval-ms", type=int, default=5)
    ap.add_argument("--model-json", type=Path, help="a model file (default: the bundled default model)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per phase")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="colorizer-gui-bench-"))
    os.environ.setdefault("COLORIZER_DATA_DIR", str(work / "data"))  # a fresh thumbnail cache
    photo = work / "scan.jpg"
    width, height = make_scan(photo, args.megapixels)

    from colorizer_app.core.catalog import ModelCatalog

    model_json = args.model_json
    if model_json is None and ModelCatalog().default() is None:
        model_json = work / "models" / "untrained.json"
        subprocess.run([sys.executable, "-c", _MAKE_UNTRAINED, str(model_json)], check=True, cwd=ROOT)
    catalog = (ModelCatalog(bundled_dir=model_json.parent, user_dir=work / "user_models")
               if model_json else ModelCatalog())

    app = QApplication.instance() or QApplication([sys.argv[0]])
    from colorizer_app.gui.main_window import MainWindow

    window = MainWindow(catalog=catalog, settings=QSettings(str(work / "settings.ini"),
                                                            QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    probe = StallProbe(args.interval_ms)
    rows = []
    client = window.client
    assert "torch" not in sys.modules, "torch must load on the worker, not here"

    def phase(name, signal, trigger, accept=lambda *a: True):
        seconds, stalls = run_phase(probe, signal, trigger, args.timeout, accept)
        rows.append((name, seconds, stalls))

    phase("start: torch loads on the worker", client.device_ready, window.start)
    phase("warm-up: model loads on the worker", client.busy, lambda: None, accept=lambda text: not text)
    phase(f"open {width}x{height} scan, preview", window.result_shown,
          lambda: window.open_photo(photo))
    preview = window.current_result.colorized.size()
    phase("re-tune saturation, preview", window.result_shown,
          lambda: setattr(window.tune_panel, "saturation", 1.3))
    phase("colorize at full resolution", window.result_shown,
          lambda: window._full_res_act.trigger(), accept=lambda r: r.full_resolution)
    phase("save full resolution JPEG", window.save_finished,
          lambda: window.save_to(work / "scan_color.jpg"))
    view = window.compare_view
    paints = {}
    for label, zoom in (("fit", view.zoom_fit), ("100%", view.zoom_actual)):
        zoom()
        times = []
        for _ in range(5):
            t = time.perf_counter()
            view.repaint()  # one synchronous paint of the full-resolution pixmaps
            times.append((time.perf_counter() - t) * 1000)
        paints[label] = statistics.median(times)
    view.zoom_fit()
    probe.start()
    idle_loop = QEventLoop()
    QTimer.singleShot(1000, idle_loop.quit)
    idle_loop.exec()
    rows.append(("idle (baseline)", 1.0, probe.stop()))

    print(f"{width}x{height} ({width * height / 1e6:.1f} MP) scan; preview {preview.width()}x{preview.height()}; "
          f"{window.status.device_text}; {window.status.model_text}; "
          f"timer every {args.interval_ms} ms; Qt platform {app.platformName()}\n")
    print(f"{'phase':<42}{'time (s)':>9}{'ticks':>7}{'median':>8}{'p95':>8}{'max':>8}   stall (ms)")
    for name, seconds, stalls in rows:
        ordered = sorted(stalls) or [0.0]
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(f"{name:<42}{seconds:>9.2f}{len(stalls):>7}{statistics.median(ordered):>8.1f}"
              f"{p95:>8.1f}{max(ordered):>8.1f}")
    print("\none repaint of the view with the full-resolution result: "
          + ", ".join(f"{k} {v:.1f} ms" for k, v in paints.items()))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
