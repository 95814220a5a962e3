"""Screenshot of the Settings dialog's Training tab during a real training run.

    Xvfb :98 -screen 0 1400x900x24 &
    DISPLAY=:98 python bench/screenshot_training.py DATA_FOLDER OUT.png [--limit-photos 200]
        [--time-budget-min 3] [--after-s 150] [--init default|pretrained|scratch]

Fills in the Training tab as a person would, starts the run (a real detached
training process), waits until it has logged a few validations (or --after-s
seconds), grabs the dialog, then stops the run. Settings, runs and models go to
a temporary folder, so the user's own are left alone; the photos are only read.
Without DISPLAY it renders offscreen (same widgets, no window-system fonts).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from colorizer_app.gui.eventloop import wait_until  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help="a folder of color photos")
    ap.add_argument("out", type=Path)
    ap.add_argument("--name", default="val-sample")
    ap.add_argument("--limit-photos", type=int, default=200)
    ap.add_argument("--time-budget-min", type=float, default=3.0)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--init", default="default", help="default (fine-tune the default model), pretrained, scratch")
    ap.add_argument("--validations", type=int, default=4, help="grab once this many validations are logged")
    ap.add_argument("--after-s", type=float, default=170.0, help="grab after this long at most")
    ap.add_argument("--size", default="1280x800", help="dialog size, WIDTHxHEIGHT")
    ap.add_argument("--max-kb", type=int, default=300, help="larger PNGs are saved with 256 colors")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    work = Path(tempfile.mkdtemp(prefix="colorizer-training-shot-"))
    os.environ["COLORIZER_DATA_DIR"] = str(work / "data")

    from colorizer_app.core.catalog import ModelCatalog
    from colorizer_app.gui.app import apply_style
    from colorizer_app.gui.settings import use_app_settings_location
    from colorizer_app.gui.settings_dialog import SettingsDialog

    app = QApplication.instance() or QApplication([sys.argv[0]])
    use_app_settings_location()  # in the temporary data folder, not the user's own
    apply_style(app)

    catalog = ModelCatalog()
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    # Log every 2 iterations so a 3-minute CPU run draws a curve; a few photos only.
    dialog = SettingsDialog(settings=settings, catalog=catalog,
                            training_args=("--limit-photos", str(args.limit_photos), "--log-interval", "2"))
    dialog.resize(width, height)
    dialog.show()
    dialog.show_training()
    tab = dialog.training_tab
    init = args.init
    if init == "default":  # fine-tune the default model, as the form proposes; without one, a new model
        init = str(catalog.default().json_path) if catalog.default() else "pretrained"
    tab.set_form(data=str(args.data), name=args.name, init=init, time_budget_min=args.time_budget_min,
                 crop=args.crop, batch_size=args.batch_size)
    if not wait_until(lambda: tab.photo_count is not None, 60) or not tab.start_button.isEnabled():
        print(f"cannot start: {tab.check_text}", file=sys.stderr)
        return 1
    tab.start_button.click()
    started = time.monotonic()
    ok = wait_until(lambda: not tab.active or len(tab.process.history.val["auc"]) >= args.validations,
                    args.after_s)
    print(f"{'validations logged' if ok else 'time is up'} after {time.monotonic() - started:.0f} s: "
          f"iteration {tab.process.history.iteration}, state {tab.process.state}")
    wait_until(lambda: not tab.view.preview.isNull(), 30)
    wait_until(lambda: False, 0.5)  # let the last repaint land
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ok = dialog.grab().save(str(args.out))
    if ok and args.out.stat().st_size > args.max_kb * 1024:  # the sample photos make it big: 256 colors
        from PIL import Image

        with Image.open(args.out) as image:
            rgb = image.convert("RGB")
        rgb.quantize(256, Image.Quantize.FASTOCTREE, dither=Image.Dither.FLOYDSTEINBERG).save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)" if ok else "could not save the screenshot")

    tab.stop()
    wait_until(lambda: not tab.active, 60)
    dialog.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
