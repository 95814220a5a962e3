"""Every control a screen reader can reach has a name to read out: its own text, a
label pointing at it (QLabel.setBuddy), or an accessible name."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QTabBar, QTabWidget, QWidget

from colorizer_app.gui.batch_dialog import BatchDialog
from colorizer_app.gui.settings_dialog import SettingsDialog


def unnamed_controls(top: QWidget) -> list[str]:
    """Widgets that take keyboard focus but have nothing to be called by."""
    labelled = {label.buddy() for label in top.findChildren(QLabel) if label.buddy() is not None}
    unnamed = []
    for widget in top.findChildren(QWidget):
        if (widget.focusPolicy() == Qt.FocusPolicy.NoFocus
                or widget.window() is not top  # a combo box's list, in a popup of its own
                or isinstance(widget, (QLabel, QTabBar, QTabWidget))  # read as text; named by their tabs
                or widget.objectName() == "qt_spinbox_lineedit"):  # the spin box's own part
            continue
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if not (text or widget.accessibleName() or widget in labelled):
            unnamed.append(f"{type(widget).__name__} (tip: {widget.toolTip()[:50]!r})")
    return unnamed


@pytest.mark.gui
def test_the_window_names_its_controls(window, photo_folder):
    window.open_folder(photo_folder)
    assert unnamed_controls(window) == []


@pytest.mark.gui
def test_the_batch_dialog_names_its_controls(qtbot, catalog):
    dialog = BatchDialog(model="tiny-test", render_size=256, catalog=catalog)
    qtbot.add_widget(dialog)
    assert unnamed_controls(dialog) == []


@pytest.mark.gui
def test_the_settings_dialog_names_its_controls(qtbot, qsettings, catalog, tmp_path):
    dialog = SettingsDialog(settings=qsettings, catalog=catalog, runs_dir=tmp_path / "runs")
    qtbot.add_widget(dialog)
    assert unnamed_controls(dialog) == []
