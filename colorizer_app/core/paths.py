"""Where things live: bundled resources (frozen or not) and the user's own folders.

User data goes only to the platformdirs folders, never next to the program,
so a bundled app in a read-only place works and an upgrade keeps the models.
"""

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Colorizer"
APP_AUTHOR = "Colorizer"


def resources_dir() -> Path:
    """resources/: inside a PyInstaller bundle, inside the installed package
    (``pip install .`` puts it there), or at the top of the source tree (a clone,
    or ``pip install -e .``)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    package = Path(__file__).resolve().parents[1]
    installed = package / "resources"
    return installed if installed.is_dir() else package.parent / "resources"


def bundled_models_dir() -> Path:
    return resources_dir() / "models"


def data_dir_override() -> Path | None:
    """COLORIZER_DATA_DIR, if set: tests and portable installs keep everything there
    (models, runs, hints, the thumbnail cache, and the app's settings: gui/app.py)."""
    override = os.environ.get("COLORIZER_DATA_DIR")
    return Path(override) if override else None


def _user_data_dir() -> Path:
    return data_dir_override() or Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def user_models_dir() -> Path:
    return _user_data_dir() / "models"


def user_runs_dir() -> Path:
    return _user_data_dir() / "runs"


def user_hints_file() -> Path:
    """The color hints a person set on their photos, kept between sessions."""
    return _user_data_dir() / "hints.json"


def user_cache_dir() -> Path:
    override = data_dir_override()
    return override / "cache" if override else Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR))


def folders_overlap(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether one folder is the other or inside it (photos are found in sub-folders
    too, so then some photos are in both)."""
    a, b = Path(a).resolve(), Path(b).resolve()
    return a == b or a in b.parents or b in a.parents
