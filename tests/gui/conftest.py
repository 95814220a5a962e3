"""Fixtures for the GUI tests: small real photo files, a real model catalog, the window."""

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The offscreen platform cannot pass a window's minimum size on to a window
# system and says so on every layout change; that is no fault of the app.
_OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"


def pytest_collection_modifyitems(config, items):
    """Add the offscreen-platform noise to each GUI test's ignored Qt messages
    (pytest-qt reads only the closest qt_log_ignore mark, so extend that one)."""
    here = Path(__file__).parent
    for item in items:
        if here not in Path(str(item.fspath)).parents:
            continue
        mark = item.get_closest_marker("qt_log_ignore")
        patterns = (*mark.args, _OFFSCREEN_NOISE) if mark else (_OFFSCREEN_NOISE,)
        item.add_marker(pytest.mark.qt_log_ignore(*patterns), append=False)


def make_photo(path: Path, width: int = 96, height: int = 64, mode: str = "L", seed: int = 0) -> Path:
    """Write a small gray (or RGB) photo-like image: gradients, a disc, some texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = 0.5 + 0.3 * np.sin(x / width * 6.0 + seed) * np.cos(y / height * 4.0)
    img += 0.25 * (((x - width / 2) ** 2 + (y - height / 2) ** 2) < (min(height, width) / 4) ** 2)
    img += rng.normal(0, 0.02, img.shape)
    gray = (np.clip(img, 0, 1) * 255).round().astype(np.uint8)
    image = Image.fromarray(gray, "L")
    if mode != "L":
        image = image.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


@pytest.fixture
def photo_factory():
    """``make_photo`` as a fixture, for tests that need photos of their own."""
    return make_photo


@pytest.fixture
def photo_folder(tmp_path) -> Path:
    """Three small photos (two JPEG, one PNG) and a text file that is not a photo."""
    folder = tmp_path / "photos"
    make_photo(folder / "photo1.jpg", seed=1)
    make_photo(folder / "photo2.png", 80, 120, seed=2)
    make_photo(folder / "photo10.jpg", seed=3)
    (folder / "notes.txt").write_text("not a photo")
    return folder


@pytest.fixture
def qsettings(tmp_path):
    """QSettings in an ini file of its own, so tests never touch the real ones."""
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield settings
    settings.sync()


@pytest.fixture
def catalog(tiny_model_json, tmp_path):
    """The real catalog over the real tiny model file (bundled) and an empty user folder."""
    from colorizer_app.core.catalog import ModelCatalog

    user_dir = tmp_path / "user_models"
    user_dir.mkdir()
    return ModelCatalog(bundled_dir=Path(tiny_model_json).parent, user_dir=user_dir)


@pytest.fixture
def thumbnail_loader(qapp, tmp_path):
    from colorizer_app.gui.thumbnails import ThumbnailLoader, ThumbnailStore

    loader = ThumbnailLoader(store=ThumbnailStore(tmp_path / "thumbs"))
    yield loader
    loader.shutdown()


@pytest.fixture
def window(qtbot, catalog, qsettings, thumbnail_loader):
    """The real main window, shown and started, with the inference thread running.

    Waits until the model list has arrived, so tests start from a ready window.
    """
    win = start_window(qtbot, catalog, qsettings, thumbnail_loader)
    yield win
    win.close()  # stops and waits for the inference thread


@pytest.fixture
def later_window(qtbot, catalog, qsettings, tmp_path):
    """Opens another real main window, as the next session would (the same settings and
    user data, a thumbnail cache of its own), shown and started; closed at the end."""
    from colorizer_app.gui.thumbnails import ThumbnailLoader, ThumbnailStore

    opened = []

    def open_later():
        loader = ThumbnailLoader(store=ThumbnailStore(tmp_path / f"thumbs-later-{len(opened)}"))
        opened.append((start_window(qtbot, catalog, qsettings, loader), loader))
        return opened[-1][0]

    yield open_later
    for win, loader in opened:
        win.close()
        loader.shutdown()


def start_window(qtbot, catalog, qsettings, thumbnail_loader):
    from colorizer_app.gui.main_window import MainWindow

    win = MainWindow(catalog=catalog, settings=qsettings, thumbnail_loader=thumbnail_loader)
    qtbot.add_widget(win)
    win.resize(1000, 700)
    with qtbot.wait_signal(win.models_refreshed, timeout=30000):
        win.show()
        win.start()
    return win


def wait_for_result(qtbot, win, timeout=60000):
    """Wait for the window to show a colorized result, failing on any worker error."""
    with qtbot.assert_not_emitted(win.client.failed), \
            qtbot.wait_signal(win.result_shown, timeout=timeout) as blocker:
        pass
    return blocker.args[0]
