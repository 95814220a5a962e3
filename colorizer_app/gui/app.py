"""Start the desktop app: ``colorizer-gui``, ``python -m colorizer_app.gui``."""

import argparse
import os
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QColor, QFileOpenEvent, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle

from colorizer_app.core.paths import resources_dir
from colorizer_app.gui.settings import APP_NAME, use_app_settings_location


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="colorizer-gui", description="Colorizer desktop app")
    parser.add_argument("path", nargs="?", help="a folder or a photo to open")
    # Qt's own options (-platform, -style, ...) are taken out by QApplication first.
    return parser.parse_args(argv)


class DarkFusionStyle(QProxyStyle):
    """Fusion, with the toolbars' overflow button (») drawn light: Fusion's own is
    dark gray, next to invisible on a dark toolbar, and in a narrow window it is the
    way to the buttons that no longer fit."""

    _EXTENSION = (QStyle.StandardPixmap.SP_ToolBarHorizontalExtensionButton,
                  QStyle.StandardPixmap.SP_ToolBarVerticalExtensionButton)

    def standardIcon(self, standard_icon, option=None, widget=None) -> QIcon:  # noqa: N802 (Qt's name)
        if standard_icon in self._EXTENSION:
            color = (widget.palette() if widget is not None else QApplication.palette()).color(
                QPalette.ColorRole.ButtonText)
            return _chevron_icon(color, vertical=standard_icon == self._EXTENSION[1])
        return super().standardIcon(standard_icon, option, widget)


def _chevron_icon(color: QColor, vertical: bool) -> QIcon:
    """Two chevrons pointing right (down when vertical), as "»", at 1x and 2x."""
    icon = QIcon()
    for ratio in (1, 2):
        pixmap = QPixmap(12 * ratio, 12 * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        if vertical:
            painter.translate(12, 0)
            painter.rotate(90)
        for x in (2.5, 6.5):
            painter.drawPolyline([QPointF(x, 2.5), QPointF(x + 3.5, 6), QPointF(x, 9.5)])
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def apply_style(app: QApplication) -> None:
    """Fusion with a dark, neutral palette: photos are judged best on gray, and it
    looks the same on every platform."""
    app.setStyle(DarkFusionStyle("Fusion"))
    palette = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(32, 32, 34), QColor(225, 225, 225)
    accent = QColor(64, 128, 200)
    palette.setColor(QPalette.ColorRole.Window, window)
    palette.setColor(QPalette.ColorRole.WindowText, text)
    palette.setColor(QPalette.ColorRole.Base, base)
    palette.setColor(QPalette.ColorRole.AlternateBase, window)
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor(60, 60, 64))
    palette.setColor(QPalette.ColorRole.ToolTipText, text)
    palette.setColor(QPalette.ColorRole.Text, text)
    palette.setColor(QPalette.ColorRole.Button, window)
    palette.setColor(QPalette.ColorRole.ButtonText, text)
    palette.setColor(QPalette.ColorRole.BrightText, QColor(255, 80, 80))
    palette.setColor(QPalette.ColorRole.Link, accent.lighter(130))
    palette.setColor(QPalette.ColorRole.Highlight, accent)
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor(140, 140, 140))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    app.setPalette(palette)


def apply_identity(app: QApplication) -> None:
    """The name and icon every window, the taskbar and the Dock show."""
    app.setApplicationDisplayName(APP_NAME)
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "colorizer.png")))


def open_path(window, path: str | os.PathLike) -> None:
    """Open a folder, or a photo in its folder, as the command line's PATH does."""
    (window.open_folder if Path(path).is_dir() else window.open_photo)(path)


class FileOpenForwarder(QObject):
    """macOS hands "Open With Colorizer" and photos dropped on the Dock icon to the
    running app as a QFileOpenEvent, not as arguments: they open in the window."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            path = event.file()
            if path:
                # After the window's own start (queued first when the app starts).
                QTimer.singleShot(0, lambda: open_path(self._window, path))
            return True
        return False


def display_problem(argv: list[str]) -> str:
    """Why no window can open here (Linux with no display: a server, an ssh login),
    or "". Qt would abort instead, blaming a missing xcb library."""
    if not sys.platform.startswith("linux") or "-platform" in argv:
        return ""
    if any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return ""
    return ("There is no graphical display here (neither DISPLAY nor WAYLAND_DISPLAY is set), "
            "so the app cannot open its window.\nThe command line works without one: "
            "colorizer colorize PHOTOS -o OUTPUT (see colorizer --help).")


def give_children_the_system_libraries() -> None:
    """In the bundle, PyInstaller points LD_LIBRARY_PATH at the bundle's own libraries
    and keeps the user's in LD_LIBRARY_PATH_ORIG. Programs the app starts (the file
    manager behind Open Folder, via xdg-open) must get the system's, or they may load
    the bundle's older glib or readline and fail. This process read the variable when
    it started, so putting it back changes nothing here. (The training process is the
    bundle itself, and its start sets the variable again.)"""
    if not getattr(sys, "frozen", False) or not sys.platform.startswith("linux"):
        return
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)


def main(argv: list[str] | None = None) -> int:
    """Show the window first, then start the inference thread (which imports torch)."""
    argv = list(sys.argv if argv is None else [sys.argv[0], *argv])
    app = QApplication.instance()
    if app is None:
        problem = display_problem(argv)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        give_children_the_system_libraries()
        app = QApplication(argv)
        argv = app.arguments()  # Qt has taken out its own options (-platform, ...)
    use_app_settings_location()
    apply_identity(app)
    args = _parse(argv[1:])
    apply_style(app)

    from colorizer_app.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    if sys.platform == "darwin":  # the only system that sends them; a filter sees every event
        app.installEventFilter(FileOpenForwarder(window))

    def start() -> None:
        window.start()
        if args.path:
            open_path(window, args.path)

    QTimer.singleShot(0, start)  # after the first paint
    return app.exec()
