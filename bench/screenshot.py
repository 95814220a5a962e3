"""Screenshot of the real main window with one photo colorized, slider in the middle.

    Xvfb :99 -screen 0 1400x900x24 &
    DISPLAY=:99 python bench/screenshot.py PHOTO OUT.png [--model-json M.json] [--size 1400x900]
        [--hint X,Y,#RRGGBB ...] [--crosshair] [--save-as RESULT]

Opens PHOTO (and so its folder, with thumbnails) in the window as a person would,
waits for the colorized preview and the visible thumbnails, puts the divider in
the middle and grabs the window. Uses the bundled default model unless a model
file is given. Settings and the thumbnail cache go to a temporary folder, so the
user's own are left alone. Without DISPLAY it renders offscreen (same widgets,
no window-system fonts). Each --hint turns the hint tool on and adds a color hint
at (X, Y), relative to the photo's size, as a click and a picked color would.
--crosshair gives the photo the keys as Tab would (its focus frame shows), turns
the hint tool on and moves its keyboard crosshair a little right of the middle.
"""

import argparse
import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from colorizer_app.gui.eventloop import wait_until  # noqa: E402
from colorizer_app.gui.settings import RENDER_SIZE_DEFAULT  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("photo", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--model-json", type=Path, help="model file (default: the bundled default model)")
    ap.add_argument("--size", default="1400x900", help="window size, WIDTHxHEIGHT")
    ap.add_argument("--render-size", type=int, default=RENDER_SIZE_DEFAULT)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--hint", action="append", default=[], metavar="X,Y,#RRGGBB",
                    help="a color hint at (X, Y) relative to the photo (repeatable)")
    ap.add_argument("--crosshair", action="store_true",
                    help="the hint tool's keyboard crosshair, with the photo holding the keys")
    ap.add_argument("--save-as", type=Path, help="save the colorized photo there first (the status bar says so)")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    work = Path(tempfile.mkdtemp(prefix="colorizer-screenshot-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    os.environ.setdefault("COLORIZER_DATA_DIR", str(work / "data"))

    from colorizer_app.core.catalog import ModelCatalog
    from colorizer_app.gui.app import apply_style
    from colorizer_app.gui.settings import use_app_settings_location

    catalog = (ModelCatalog(bundled_dir=args.model_json.parent, user_dir=work / "user_models")
               if args.model_json else ModelCatalog())
    app = QApplication.instance() or QApplication([sys.argv[0]])
    use_app_settings_location()  # in the temporary data folder, not the user's own
    apply_style(app)

    from colorizer_app.gui.main_window import MainWindow

    window = MainWindow(catalog=catalog,
                        settings=QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    window.tune_panel.render_size = args.render_size
    window.resize(width, height)
    window.move(0, 0)
    window.show()
    window.start()
    results = []
    window.result_shown.connect(results.append)
    errors = []
    window.client.failed.connect(errors.append)
    if args.model_json:
        wait_until(lambda: window.model_selector.current_model(), args.timeout)
        entry = next(e for e in catalog.entries() if e.json_path.resolve() == args.model_json.resolve())
        window.select_model(entry.name)
    window.open_photo(args.photo.resolve())
    if not wait_until(lambda: results or errors, args.timeout):
        print("timed out waiting for the colorized photo", file=sys.stderr)
        return 1
    if errors:
        print(f"colorizing failed: {errors[0]}", file=sys.stderr)
        return 1
    if args.hint:
        from PySide6.QtGui import QColor

        window.set_hint_tool(True)
        for text in args.hint:
            x, y, color = text.split(",")
            results.clear()
            window.add_hint(float(x), float(y), QColor(color))
        if not wait_until(lambda: results and results[-1].hints, args.timeout):
            print("timed out waiting for the photo with hints", file=sys.stderr)
            return 1
    grid = window.thumbnail_grid
    first, last = grid.visible_rows()
    loader = grid.thumbnails.loader
    wait_until(lambda: all(loader.thumbnail(grid.thumbnails.path_at(r)) is not None
                                or loader.error(grid.thumbnails.path_at(r))
                                for r in range(first, last + 1)), 30)
    window.compare_view.set_divider(0.5)
    if args.crosshair:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        window.set_hint_tool(True)
        window.activateWindow()  # focus is given to widgets of the active window only
        wait_until(window.isActiveWindow, 5)
        window.compare_view.setFocus(Qt.FocusReason.TabFocusReason)
        for _ in range(3):
            QTest.keyClick(window.compare_view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    if args.save_as:
        saved = []
        window.save_finished.connect(saved.append)
        window.client.save_failed.connect(errors.append)
        window.save_to(args.save_as.resolve())
        if not wait_until(lambda: saved or errors, args.timeout):
            print("timed out saving the photo", file=sys.stderr)
            return 1
    wait_until(lambda: False, 0.3)  # let the last paints land

    screen = window.screen()
    if app.platformName() == "xcb" and screen is not None:
        pixmap = screen.grabWindow(window.winId())  # what the window system shows
    else:
        pixmap = window.grab()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(args.out)):
        print(f"could not write {args.out}", file=sys.stderr)
        return 1
    print(f"{args.out}: {pixmap.width()}x{pixmap.height()}, {window.status.model_text}, "
          f"{window.status.device_text}, platform {app.platformName()}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
