"""What the window remembers between runs (QSettings) and the recent-folders list."""

import math
import os
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from colorizer_app.core.paths import APP_AUTHOR, APP_NAME, data_dir_override


def use_app_settings_location() -> None:
    """Where QSettings() keeps the window's settings: the platform's usual place under
    the app's names, or an INI file in COLORIZER_DATA_DIR when that is set (a portable
    install keeps everything in one folder). Call once, before any QSettings()."""
    from PySide6.QtCore import QCoreApplication

    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(APP_AUTHOR)
    override = data_dir_override()
    if override is not None:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(override / "settings"))

# 0 means Auto: each model's own recommended render size, from its JSON. A model
# colors best near the scale of the photos it was trained on (docs/MODEL.md), so a
# single fixed size would suit one model and not the next.
RENDER_SIZE_AUTO = 0
RENDER_SIZE_DEFAULT = RENDER_SIZE_AUTO
RENDER_SIZE_MIN = 128
RENDER_SIZE_MAX = 1024
RENDER_SIZE_STEP = 32
SATURATION_DEFAULT = 1.0
SATURATION_MIN = 0.0
SATURATION_MAX = 2.0


class RecentFolders:
    """Most-recent-first list of folders, without duplicates, at most ``limit`` long.

    Plain Python so it is tested without a widget; the window rebuilds its
    "Open Recent" menu from ``items``.
    """

    def __init__(self, items: Iterable[str] = (), limit: int = 10) -> None:
        assert limit > 0
        self._limit = limit
        self._items: list[str] = []
        for item in reversed(list(items)):
            self.add(item)

    @property
    def items(self) -> list[str]:
        return list(self._items)

    def add(self, folder: str | os.PathLike) -> None:
        """Put ``folder`` first; an existing entry for the same folder moves up."""
        path = os.path.normpath(os.path.abspath(os.fspath(folder)))
        self._items = [p for p in self._items if p != path]
        self._items.insert(0, path)
        del self._items[self._limit:]

    def existing(self) -> list[str]:
        """The entries whose folder still exists (a USB disk may be gone)."""
        return [p for p in self._items if Path(p).is_dir()]

    def clear(self) -> None:
        self._items = []


class AppSettings:
    """Typed access to the keys the window keeps in QSettings.

    Takes the QSettings to use, so tests pass one backed by an ini file in tmp_path.
    Values are clamped on read: a hand-edited or stale file never breaks the window.
    """

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings if settings is not None else QSettings()

    @property
    def qsettings(self) -> QSettings:
        return self._settings

    def sync(self) -> None:
        self._settings.sync()

    # Window layout ------------------------------------------------------------
    @property
    def geometry(self) -> QByteArray:
        return self._bytes("window/geometry")

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self._settings.setValue("window/geometry", value)

    @property
    def splitter_state(self) -> QByteArray:
        return self._bytes("window/splitter")

    @splitter_state.setter
    def splitter_state(self, value: QByteArray) -> None:
        self._settings.setValue("window/splitter", value)

    @property
    def browser_splitter_state(self) -> QByteArray:
        """The folder tree's share of the browser, above the thumbnails."""
        return self._bytes("window/browser_splitter")

    @browser_splitter_state.setter
    def browser_splitter_state(self, value: QByteArray) -> None:
        self._settings.setValue("window/browser_splitter", value)

    @property
    def view_mode(self) -> str:
        return str(self._settings.value("view/mode", "split"))

    @view_mode.setter
    def view_mode(self, value: str) -> None:
        self._settings.setValue("view/mode", value)

    # Browsing -------------------------------------------------------------
    @property
    def last_folder(self) -> str:
        return str(self._settings.value("browse/last_folder", "") or "")

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._settings.setValue("browse/last_folder", value)

    @property
    def recent_folders(self) -> list[str]:
        value = self._settings.value("browse/recent", [])
        if isinstance(value, str):  # an ini file gives one string for a one-item list
            value = [value] if value else []
        return [str(v) for v in value or []]

    @recent_folders.setter
    def recent_folders(self, value: list[str]) -> None:
        self._settings.setValue("browse/recent", list(value))

    # Colorizing -------------------------------------------------------------
    @property
    def model(self) -> str:
        return str(self._settings.value("colorize/model", "") or "")

    @model.setter
    def model(self, value: str) -> None:
        self._settings.setValue("colorize/model", value)

    @property
    def render_size(self) -> int:
        value = _to_number(self._settings.value("colorize/render_size"), int, RENDER_SIZE_DEFAULT)
        if value == RENDER_SIZE_AUTO:
            return value
        return min(max(value, RENDER_SIZE_MIN), RENDER_SIZE_MAX)

    @render_size.setter
    def render_size(self, value: int) -> None:
        self._settings.setValue("colorize/render_size", int(value))

    @property
    def saturation(self) -> float:
        value = _to_number(self._settings.value("colorize/saturation"), float, SATURATION_DEFAULT)
        return min(max(value, SATURATION_MIN), SATURATION_MAX)

    @saturation.setter
    def saturation(self, value: float) -> None:
        self._settings.setValue("colorize/saturation", float(value))

    @property
    def device(self) -> str:
        """Where colorizing runs: 'auto', 'cpu' or 'cuda:N' (the Settings dialog sets it)."""
        value = str(self._settings.value("general/device", "auto") or "auto")
        return value if value in ("auto", "cpu") or value.startswith("cuda:") else "auto"

    @device.setter
    def device(self, value: str) -> None:
        self._settings.setValue("general/device", value)

    # Batch export ------------------------------------------------------------
    @property
    def export_folder(self) -> str:
        return str(self._settings.value("export/folder", "") or "")

    @export_folder.setter
    def export_folder(self, value: str) -> None:
        self._settings.setValue("export/folder", value)

    @property
    def export_source(self) -> str:
        """The folder the last batch export read from (export_folder is where it wrote)."""
        return str(self._settings.value("export/source", "") or "")

    @export_source.setter
    def export_source(self, value: str) -> None:
        self._settings.setValue("export/source", value)

    @property
    def export_format(self) -> str:
        return str(self._settings.value("export/format", "jpg") or "jpg")

    @export_format.setter
    def export_format(self, value: str) -> None:
        self._settings.setValue("export/format", value)

    @property
    def export_suffix(self) -> str:
        """What the last export added to each name ("" for none)."""
        return str(self._settings.value("export/suffix", "") or "")

    @export_suffix.setter
    def export_suffix(self, value: str) -> None:
        self._settings.setValue("export/suffix", value)

    def _bytes(self, key: str) -> QByteArray:
        value = self._settings.value(key)
        return value if isinstance(value, QByteArray) else QByteArray()


def _to_number(value, kind, default):
    """``value`` as an int or float; ``default`` for anything else, NaN and infinity
    included (a settings file damaged by hand or by a crash must not stop the app)."""
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return number if math.isfinite(number) else default
