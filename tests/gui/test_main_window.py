"""The main window end to end: real photo files, a real model, the inference thread."""

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from colorizer_app.core.imageio import load_photo
from colorizer_app.gui.compare_view import ViewMode
from colorizer_app.gui.main_window import MainWindow
from colorizer_app.gui.settings import RENDER_SIZE_AUTO
from colorizer_app.gui.statusbar import ElidedLabel

pytestmark = pytest.mark.gui

TIMEOUT = 60_000


def do_and_wait_for_result(qtbot, win, action, timeout=TIMEOUT):
    """Run ``action`` and wait for the window to show a result; any worker error fails."""
    with qtbot.assert_not_emitted(win.client.failed), \
            qtbot.wait_signal(win.result_shown, timeout=timeout) as blocker:
        action()
    return blocker.args[0]


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_window_shows_before_torch_is_imported(tmp_path):
    """The window is built and shown without torch; the worker imports it later."""
    script = textwrap.dedent("""
        import sys
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from colorizer_app.gui.main_window import MainWindow
        window = MainWindow()
        window.show()
        app.processEvents()
        print("torch loaded at show:", "torch" in sys.modules)
        window.close()
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", COLORIZER_DATA_DIR=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert out.returncode == 0, out.stderr
    assert "torch loaded at show: False" in out.stdout


def test_open_folder_shows_thumbnails_and_colorizes_the_first_photo(qtbot, window, photo_folder):
    result = do_and_wait_for_result(qtbot, window, lambda: window.open_folder(photo_folder))
    grid = window.thumbnail_grid
    assert grid.thumbnails.rowCount() == 3
    assert result.path == str(photo_folder / "photo1.jpg")
    assert result.colorized.size() == QSize(96, 64) and result.source_size == QSize(96, 64)
    assert result.model == "tiny-test"
    view = window.compare_view
    assert view.has_photo() and view.has_result()
    assert "tiny-test" in window.status.model_text
    qtbot.wait_until(lambda: "starting" not in window.status.device_text, timeout=TIMEOUT)
    assert "CPU" in window.status.device_text or "GPU" in window.status.device_text
    # The colorized photo has color (the tiny model is untrained, but not gray).
    image = result.colorized
    colors = {image.pixelColor(x, y).getRgb()[:3] for x in range(0, 96, 8) for y in range(0, 64, 8)}
    assert any(len(set(rgb)) > 1 for rgb in colors)
    qtbot.wait_until(lambda: all(grid.thumbnails.loader.thumbnail(p) is not None
                                 for p in grid.thumbnails.paths()), timeout=TIMEOUT)


def test_keyboard_moves_to_the_next_photo(qtbot, window, photo_folder):
    do_and_wait_for_result(qtbot, window, lambda: window.open_folder(photo_folder))
    grid = window.thumbnail_grid
    grid.setFocus()
    result = do_and_wait_for_result(qtbot, window, lambda: QTest.keyClick(grid, Qt.Key.Key_Right))
    assert result.path == str(photo_folder / "photo2.png")
    assert result.colorized.size() == QSize(80, 120)
    result = do_and_wait_for_result(qtbot, window, lambda: QTest.keyClick(grid, Qt.Key.Key_End))
    assert window.current_photo == result.path == str(photo_folder / "photo10.jpg")
    QTest.keyPress(grid, Qt.Key.Key_Space)  # hold Space: the original, without leaving the thumbnails
    assert window.compare_view.showing_original
    QTest.keyRelease(grid, Qt.Key.Key_Space)
    assert not window.compare_view.showing_original


def test_letters_typed_into_the_photo_list_find_a_photo_and_h_elsewhere_is_color_hints(
        qtbot, window, tmp_path, photo_factory):
    for seed, name in enumerate(("aunt_may.png", "grandma.png", "harbor.png", "house.png")):
        photo_factory(tmp_path / "album" / name, 48, 32, seed=seed)
    do_and_wait_for_result(qtbot, window, lambda: window.open_folder(tmp_path / "album"))
    grid = window.thumbnail_grid
    grid.setFocus()

    found = do_and_wait_for_result(qtbot, window, lambda: QTest.keyClick(grid, Qt.Key.Key_H))

    assert found.path == str(tmp_path / "album" / "harbor.png")
    assert not window._hint_act.isChecked()
    window.model_selector.setFocus()
    QTest.keyClick(window.model_selector, Qt.Key.Key_H)  # the model list's own search
    assert not window._hint_act.isChecked()
    window.compare_view.setFocus()
    QTest.keyClick(window.compare_view, Qt.Key.Key_H)  # in the photo, H is the shortcut
    assert window._hint_act.isChecked() and window.compare_view.hint_mode


def test_open_a_single_photo(qtbot, window, photo_folder):
    target = photo_folder / "photo10.jpg"
    result = do_and_wait_for_result(qtbot, window, lambda: window.open_photo(target))
    assert result.path == str(target)
    assert window.thumbnail_grid.current_path() == str(target)
    assert window.current_folder == str(photo_folder)
    assert window.windowTitle().startswith("photo10.jpg")


def test_switch_models_recolorizes(qtbot, window, catalog, photo_folder, tiny_regression_model_json):
    first = do_and_wait_for_result(qtbot, window, lambda: window.open_folder(photo_folder))
    # A newly trained model appears, and a broken one, shown but disabled.
    for file in (tiny_regression_model_json, tiny_regression_model_json.with_suffix(".safetensors")):
        shutil.copy(file, catalog.user_dir / file.name)
    (catalog.user_dir / "broken.json").write_text("{ not json")
    with qtbot.wait_signal(window.models_refreshed, timeout=TIMEOUT):
        window.refresh_models()
    selector = window.model_selector
    assert selector.names() == ["tiny-test", "broken", "tiny-regression"]  # bundled, then yours
    assert not selector.is_usable("broken")
    broken_tip = selector.model().item(1).toolTip()
    assert "Cannot be used" in broken_tip and "broken.json" in broken_tip
    assert selector.current_model() == "tiny-test"  # a refresh keeps the choice

    second = do_and_wait_for_result(qtbot, window, lambda: window.select_model("tiny-regression"))
    assert second.model == "tiny-regression" and second.path == first.path
    assert second.colorized != first.colorized
    assert "tiny-regression" in window.status.model_text
    assert window.app_settings.model == "tiny-regression"
    assert not window.select_model("broken")


def test_tuning_recolorizes_with_the_new_values(qtbot, window, photo_folder):
    first = do_and_wait_for_result(qtbot, window, lambda: window.open_folder(photo_folder))

    def tune():
        window.tune_panel.saturation = 0.0
        window.tune_panel.render_size = 256

    result = do_and_wait_for_result(qtbot, window, tune)
    if result.render_size != 256 or result.saturation != 0.0:  # the throttle let the first change through
        result = do_and_wait_for_result(qtbot, window, lambda: None)
    assert (result.render_size, result.saturation) == (256, 0.0)
    assert result.colorized != first.colorized
    image = result.colorized  # saturation 0: gray again
    for x, y in ((5, 5), (50, 30), (90, 60)):
        r, g, b, _ = image.pixelColor(x, y).getRgb()
        assert max(r, g, b) - min(r, g, b) <= 2
    assert (window.app_settings.render_size, window.app_settings.saturation) == (256, 0.0)


def test_auto_render_size_is_the_models_own(qtbot, window, tmp_path, photo_factory):
    """Auto (the default) colorizes at the render size the model's JSON gives (tiny-test: 128)."""
    photo_factory(tmp_path / "big" / "scan.jpg", 320, 240, seed=4)
    auto = do_and_wait_for_result(qtbot, window, lambda: window.open_folder(tmp_path / "big"))
    assert window.tune_panel.render_size == RENDER_SIZE_AUTO == auto.render_size
    assert window.tune_panel.render_spin.text() == "Auto"

    def set_render_size(size):
        return do_and_wait_for_result(qtbot, window, lambda: setattr(window.tune_panel, "render_size", size))

    at_128 = set_render_size(128)
    at_256 = set_render_size(256)
    assert (at_128.render_size, at_256.render_size) == (128, 256)
    assert at_128.colorized == auto.colorized
    assert at_256.colorized != auto.colorized


def test_latest_request_wins(qtbot, window, photo_folder):
    do_and_wait_for_result(qtbot, window, lambda: window.open_folder(photo_folder))
    shown, started = [], []
    window.result_shown.connect(shown.append)
    window.client.busy.connect(lambda text: text and started.append(text))
    client = window.client
    path = window.current_photo
    seqs = [client.colorize(path, "tiny-test", 256, s / 10, 1024) for s in range(6)]
    with qtbot.wait_signal(window.result_shown, timeout=TIMEOUT,
                           check_params_cb=lambda r: r.seq == seqs[-1]):
        pass
    qtbot.wait(100)
    assert [r.seq for r in shown] == [seqs[-1]]
    assert shown[0].saturation == 0.5
    assert len(started) <= 2  # stale requests were skipped, at most the first had begun


def test_an_export_that_stopped_says_why_in_the_status_bar(qtbot, window, tmp_path):
    """Not "disk full" for every stop: an output folder it cannot write stops it too."""
    from colorizer_app.core.batch import BatchReport

    for why in ("the disk holding /x is full: stopped after this photo",
                "cannot write into /x: Permission denied; nothing was exported"):
        window._on_batch_finished(BatchReport(total=3, stopped=why))
        assert window.status.currentMessage().endswith(f"Export stopped: {why}")


def test_saving_as_jpeg_says_what_the_photo_loses_there(qtbot, window, tmp_path):
    """A camera's 70 KB MakerNote has no room in a JPEG: the status bar says so."""
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x927C] = bytes(range(256)) * 274  # MakerNote, in the Exif IFD
    original = tmp_path / "scan.png"
    Image.new("L", (64, 48), 128).save(original, exif=exif.tobytes())
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(original))

    for name, loses in (("scan_color.png", False), ("scan_color.jpg", True)):
        with qtbot.wait_signal(window.save_finished, timeout=TIMEOUT):
            assert window.save_to(tmp_path / name)
        message = window.status.currentMessage()
        assert message.startswith(f"Saved {tmp_path / name}")
        assert ("MakerNote" in message) == loses


def test_save_writes_full_resolution_and_keeps_the_original(qtbot, window, tmp_path, photo_factory):
    folder = tmp_path / "big"
    original = photo_factory(folder / "scan.png", 256, 192)
    before = digest(original)
    window.resize(400, 300)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(original))

    dialog = window.make_save_dialog()
    assert Path(dialog.selectedFiles()[0]) == folder / "scan_color.png"
    assert dialog.selectedNameFilter().startswith("PNG")
    dialog.deleteLater()

    out = folder / "scan_color.png"
    with qtbot.assert_not_emitted(window.client.save_failed), \
            qtbot.wait_signal(window.save_finished, timeout=TIMEOUT) as blocker:
        assert window.save_to(out)
    assert blocker.args == [str(out)]
    saved = load_photo(out)
    assert saved.pixels.shape == (192, 256, 3)
    assert digest(original) == before
    assert not [p for p in folder.iterdir() if p.name not in ("scan.png", "scan_color.png")]

    # Never over the original, nor over an existing file unless the user confirmed.
    assert not window.save_to(original)
    assert "original" in window.status.currentMessage()
    with qtbot.wait_signal(window.client.save_failed, timeout=TIMEOUT) as failed:
        window.save_to(out)
    assert "already exists" in failed.args[0]
    assert digest(original) == before


def hold_the_inference_thread(window):
    """Keep the inference thread busy (as with a large photo) until the event returned is set."""
    import threading

    busy, release = threading.Event(), threading.Event()
    QTimer.singleShot(0, window.client.worker, lambda: (busy.set(), release.wait(30)))
    assert busy.wait(10)
    return release


def test_closing_the_window_just_after_save_waits_for_the_file(qtbot, window, tmp_path, photo_factory):
    """Save, then close at once, while the inference thread is still busy: the save is
    queued behind that job; the window says it is saving and closes once it is written."""
    original = photo_factory(tmp_path / "album" / "scan.png", 96, 64)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(original))
    release = hold_the_inference_thread(window)
    out = tmp_path / "album" / "scan_color.png"
    assert window.save_to(out)
    window.close()
    assert window.isVisible()
    assert window.status.job_text == "Saving, then closing…"
    with qtbot.wait_signal(window.save_finished, timeout=TIMEOUT):
        release.set()
    qtbot.wait_until(lambda: not window.isVisible(), timeout=TIMEOUT)
    assert load_photo(out).pixels.shape == (64, 96, 3)
    assert sorted(p.name for p in out.parent.iterdir()) == ["scan.png", "scan_color.png"]  # no temp file


def test_stopping_the_inference_thread_still_writes_the_saves_queued(qtbot, window, tmp_path, photo_factory):
    """Whatever ends the app (a quit that skips the window's close), the thread does
    not end with a save still queued behind the running job."""
    import threading

    original = photo_factory(tmp_path / "album" / "scan.png", 96, 64)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(original))
    release = hold_the_inference_thread(window)
    out = tmp_path / "album" / "scan_color.png"
    assert window.save_to(out)
    threading.Timer(0.5, release.set).start()  # the job ends while the thread is being stopped
    window.client.stop()
    assert load_photo(out).pixels.shape == (64, 96, 3)


@pytest.mark.parametrize("typed, picked, expected", [
    ("grandma 1952", "PNG", "grandma 1952.png"), ("wedding.1951", "TIFF", "wedding.1951.tif"),
    ("Smith_family.v2", "PNG", "Smith_family.v2.png"), ("scan_color.jpg", "WebP", "scan_color.webp"),
])
def test_another_file_type_keeps_the_name_typed(qtbot, window, photo_folder, typed, picked, expected):
    """Typed in Qt's own Save dialog, then another type picked from its list by keyboard:
    only a photo suffix is swapped, so the name's own dots stay."""
    from PySide6.QtWidgets import QComboBox, QLineEdit

    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo_folder / "photo1.jpg"))
    dialog = window.make_save_dialog()
    dialog.show()
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    types = dialog.findChild(QComboBox, "fileTypeCombo")
    name.setFocus()
    name.selectAll()
    QTest.keyClicks(name, typed)
    types.setFocus()
    for _ in range(types.count()):  # the photo is a JPEG: the list starts there
        if types.currentText().startswith(picked):
            break
        QTest.keyClick(types, Qt.Key.Key_Down)
    assert name.text() == expected
    assert Path(dialog.selectedFiles()[0]).name == expected
    dialog.close()
    dialog.deleteLater()


def test_another_file_type_keeps_the_name_of_a_file_picked_in_the_list(qtbot, window, photo_folder):
    from PySide6.QtWidgets import QComboBox, QLineEdit, QTreeView

    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo_folder / "photo1.jpg"))
    dialog = window.make_save_dialog()
    dialog.show()
    files = dialog.findChild(QTreeView, "treeView")  # the detail view Qt's own dialog shows

    def row_of(name):
        root = files.rootIndex()
        rows = (files.model().index(row, 0, root) for row in range(files.model().rowCount(root)))
        return next((index for index in rows if index.data() == name), None)

    qtbot.wait_until(lambda: row_of("photo10.jpg") is not None)
    QTest.mouseClick(files.viewport(), Qt.MouseButton.LeftButton,
                     pos=files.visualRect(row_of("photo10.jpg")).center())
    qtbot.wait_until(lambda: dialog.findChild(QLineEdit, "fileNameEdit").text() == "photo10.jpg")
    types = dialog.findChild(QComboBox, "fileTypeCombo")
    types.setFocus()
    QTest.keyClick(types, Qt.Key.Key_Down)  # JPEG -> PNG
    assert Path(dialog.selectedFiles()[0]).name == "photo10.png"
    dialog.close()
    dialog.deleteLater()


@pytest.mark.qt_log_ignore("JPEG", "Corrupt")
def test_unreadable_photo_shows_a_message(qtbot, window, photo_folder):
    broken = photo_folder / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with qtbot.wait_signal(window.client.failed, timeout=TIMEOUT) as blocker:
        window.open_photo(broken)
    assert "broken.jpg" in blocker.args[0]
    assert "broken.jpg" in window.status.currentMessage()
    assert "broken.jpg" in window.compare_view.empty_message  # not "Open a folder, or drop photos here"
    assert window.isVisible()
    # Nothing to save, copy or put a hint on.
    assert not any(act.isEnabled() for act in (window._save_act, window._copy_act, window._hint_act))
    # The next photo still works.
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo_folder / "photo1.jpg"))
    assert all(act.isEnabled() for act in (window._save_act, window._copy_act, window._hint_act))


def test_a_photo_gone_from_disk_and_a_missing_save_folder_are_said_plainly(qtbot, window, tmp_path,
                                                                            photo_factory):
    photo = photo_factory(tmp_path / "album" / "scan.png", 64, 48)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    with qtbot.wait_signal(window.client.save_failed, timeout=TIMEOUT) as blocker:
        window.save_to(tmp_path / "no-such-folder" / "scan_color.jpg")
    assert "does not exist" in blocker.args[0] and ".tmp" not in blocker.args[0]

    photo.unlink()  # moved away in a file manager while shown
    with qtbot.wait_signal(window.client.failed, timeout=TIMEOUT) as blocker:
        window.tune_panel.saturation = 1.3
    assert "no longer there" in blocker.args[0] and "Errno" not in blocker.args[0]


def test_drop_a_folder_or_a_photo(qtbot, window, photo_folder):
    def drop(path):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        # Qt's own types: QDragEnterEvent takes a QPoint, QDropEvent a QPointF
        enter = QDragEnterEvent(QPoint(300, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(window, enter)
        assert enter.isAccepted()
        event = QDropEvent(QPointF(300, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(window, event)

    do_and_wait_for_result(qtbot, window, lambda: drop(photo_folder))
    assert window.current_folder == str(photo_folder)
    result = do_and_wait_for_result(qtbot, window, lambda: drop(photo_folder / "photo2.png"))
    assert result.path == str(photo_folder / "photo2.png")


def test_remembers_folder_model_tuning_and_geometry(qtbot, window, catalog, qsettings,
                                                   thumbnail_loader, photo_folder, tmp_path):
    do_and_wait_for_result(qtbot, window, lambda: window.open_folder(photo_folder))
    other = tmp_path / "other"
    other.mkdir()
    window.open_folder(other)
    window.open_folder(photo_folder)
    window.tune_panel.render_size = 768
    window.tune_panel.saturation = 1.25
    window.compare_view.set_mode(ViewMode.SIDE_BY_SIDE)
    window._set_mode(ViewMode.SIDE_BY_SIDE)
    window.resize(700, 500)
    qtbot.wait(20)  # the splitters take the new size
    window.thumbnail_grid.parentWidget().setSizes([200, 200])  # the folder tree above the thumbnails
    window._main_split.setSizes([560, 140])  # a side panel that leaves the photo too little room
    window.close()

    again = MainWindow(catalog=catalog, settings=qsettings, thumbnail_loader=thumbnail_loader)
    qtbot.add_widget(again)
    with qtbot.wait_signal(again.models_refreshed, timeout=TIMEOUT):
        again.show()
        again.start()
    assert again.current_folder == str(photo_folder)
    assert again.recent_folders.items[:2] == [str(photo_folder), str(other)]
    assert (again.tune_panel.render_size, again.tune_panel.saturation) == (768, 1.25)
    assert again.compare_view.mode == ViewMode.SIDE_BY_SIDE
    assert again.size() == QSize(700, 500)
    tree, grid = again.thumbnail_grid.parentWidget().sizes()
    assert 0.45 < tree / (tree + grid) < 0.55  # not the 1:3 it starts with
    side, photo = again._main_split.sizes()
    assert side <= 0.4 * (side + photo) + 1  # limited, so the photo keeps room
    assert again.model_selector.current_model() == "tiny-test"
    again.close()


def test_copy_puts_the_full_resolution_result_on_the_clipboard(qtbot, window, tmp_path, photo_factory):
    photo = photo_factory(tmp_path / "large" / "wide.png", 2400, 600)  # wider than a preview
    preview = do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    assert not preview.full_resolution and preview.colorized.width() < 2400
    QApplication.clipboard().clear()

    window._grid.setFocus()  # Ctrl+C reaches the window's action, not the list's own copy
    copied = do_and_wait_for_result(
        qtbot, window, lambda: qtbot.keyClick(window._grid, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier))
    assert copied.full_resolution
    image = QApplication.clipboard().image()
    assert image.size() == QSize(2400, 600)
    assert image.convertToFormat(copied.colorized.format()) == copied.colorized
    assert "Copied wide.png" in window.statusBar().currentMessage()


def test_copy_takes_the_full_resolution_result_on_show_without_colorizing_again(
        qtbot, window, tmp_path, photo_factory):
    photo = photo_factory(tmp_path / "large" / "wide.png", 2400, 600)
    window._full_res_act.setChecked(True)
    shown = do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    assert shown.full_resolution
    QApplication.clipboard().clear()
    with qtbot.assert_not_emitted(window.result_shown, wait=300):
        window.copy_colorized()
    assert QApplication.clipboard().image().convertToFormat(shown.colorized.format()) == shown.colorized
    assert "Copied wide.png" in window.statusBar().currentMessage()


def test_a_copy_is_cancelled_when_a_setting_changes_before_it_is_ready(qtbot, window, tmp_path, photo_factory):
    photo = photo_factory(tmp_path / "large" / "wide.png", 2400, 600)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    QApplication.clipboard().clear()
    window.copy_colorized()
    window._tune.saturation = 1.5  # before the full-size result is back
    result = do_and_wait_for_result(qtbot, window, lambda: None)
    while result.full_resolution:  # the copy's own result, if it got through before the change
        result = do_and_wait_for_result(qtbot, window, lambda: None)
    assert result.saturation == 1.5
    assert QApplication.clipboard().image().isNull()


def test_event_loop_keeps_running_during_inference(qtbot, window, tmp_path, photo_factory):
    """Responsiveness probe: a 10 ms timer keeps firing while a photo is colorized.

    Inference runs on the worker's own thread; stall sizes are measured by
    bench/gui_responsiveness.py, not asserted here.
    """
    photo = photo_factory(tmp_path / "large" / "large.png", 1600, 1200)
    window._full_res_act.setChecked(True)
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(window.client.latest))
    busy = []
    window.client.busy.connect(busy.append)
    timer.start()
    result = do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    timer.stop()
    assert result.full_resolution and result.colorized.size() == QSize(1600, 1200)
    assert window.client.worker.thread() is window.client.worker_thread
    assert window.client.worker_thread is not QApplication.instance().thread()
    assert any(text.startswith("Colorizing large.png") for text in busy)
    assert len(ticks) >= 3  # the GUI thread kept handling timer events meanwhile


def test_recent_folders_menu_reopens_a_folder(qtbot, window, photo_folder, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    do_and_wait_for_result(qtbot, window, lambda: window.open_folder(photo_folder))
    window.open_folder(other)
    window._fill_recent_menu()
    actions = [a for a in window._recent_menu.actions() if a.text() == str(photo_folder)]
    assert len(actions) == 1
    do_and_wait_for_result(qtbot, window, actions[0].trigger)
    assert window.current_folder == str(photo_folder)


def test_places_in_the_menu_open_pictures(qtbot, window, photo_folder, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(photo_folder, home / "Pictures")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)  # no user-dirs.dirs: Pictures is ~/Pictures
    monkeypatch.delenv("XDG_PICTURES_DIR", raising=False)
    window._fill_recent_menu()
    places = {a.text(): a for a in window._recent_menu.actions() if a.data()}
    assert list(places) == ["Pictures", "Home"]  # no Desktop folder in this home
    assert places["Pictures"].data() == str(home / "Pictures")
    result = do_and_wait_for_result(qtbot, window, places["Pictures"].trigger)
    assert window.current_folder == str(home / "Pictures")
    assert Path(result.path).parent == home / "Pictures"


def test_save_keeps_exif_and_xmp_and_names_the_source(qtbot, window, tmp_path):
    from PIL import Image

    from colorizer_app.core.imageio import colorized_from, load_photo

    folder = tmp_path / "exif"
    folder.mkdir()
    original = folder / "wedding.jpg"
    exif = Image.Exif()
    exif[0x010F] = "Old Camera Co."  # Make
    exif[0x0132] = "1931:06:14 12:00:00"  # DateTime
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Wedding, 1931</dc:title>'
           b'</rdf:Description></rdf:RDF></x:xmpmeta>')
    Image.new("L", (120, 90), 128).save(original, exif=exif, xmp=xmp)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(original))
    out = folder / "wedding_color.jpg"
    with qtbot.wait_signal(window.save_finished, timeout=TIMEOUT):
        window.save_to(out)
    with Image.open(out) as saved:
        assert saved.size == (120, 90) and saved.mode == "RGB"
        assert saved.getexif().get(0x010F) == "Old Camera Co."
    assert b"<dc:title>Wedding, 1931</dc:title>" in load_photo(out).xmp
    assert colorized_from(out)[:2] == ("wedding.jpg", original.stat().st_size)


def test_main_shows_the_window_and_opens_the_path_given(qtbot, qapp, photo_folder, tmp_path,
                                                        user_data_dir, tiny_model_json):
    import time

    from PySide6.QtCore import QSettings, QStandardPaths

    from colorizer_app.gui import app as gui_app

    models = user_data_dir / "models"  # main() uses the real catalog: give it a model
    models.mkdir(exist_ok=True)
    for file in (tiny_model_json, tiny_model_json.with_suffix(".safetensors")):
        shutil.copy(file, models / file.name)

    # Keep the real user settings out of it; put the default location back after.
    default_config = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))
    seen = {}
    deadline = time.monotonic() + TIMEOUT / 1000

    def check_and_quit():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows and (windows[0].current_result is not None or time.monotonic() > deadline):
            seen["folder"] = windows[0].current_folder
            seen["title"] = windows[0].windowTitle()
            seen["icon"] = windows[0].windowIcon().availableSizes()
            windows[0].close()
        else:
            QTimer.singleShot(50, check_and_quit)

    QTimer.singleShot(0, check_and_quit)
    try:
        assert gui_app.main([str(photo_folder)]) == 0
    finally:
        QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, default_config)
    assert seen["folder"] == str(photo_folder)
    assert seen["title"].startswith("photo1.jpg")
    assert seen["icon"], "the window shows Colorizer's icon, not the platform's blank one"
    assert QApplication.applicationName() == "Colorizer"


def test_a_photo_handed_over_by_macos_opens_in_the_window(qtbot, window, photo_folder):
    """Finder's Open With and the Dock send a QFileOpenEvent to the app, not arguments."""
    from PySide6.QtGui import QFileOpenEvent

    from colorizer_app.gui.app import FileOpenForwarder

    app = QApplication.instance()
    forwarder = FileOpenForwarder(window)
    app.installEventFilter(forwarder)
    target = photo_folder / "photo10.jpg"
    try:
        result = do_and_wait_for_result(qtbot, window, lambda: app.sendEvent(app, QFileOpenEvent(str(target))))
    finally:
        app.removeEventFilter(forwarder)
    assert result.path == str(target)
    assert window.current_folder == str(photo_folder)


def test_the_open_folder_is_selected_and_visible_in_the_tree(qtbot, window, tmp_path, photo_factory):
    deep = tmp_path / "archive" / "1950s" / "family"
    photo_factory(deep / "picnic.jpg")
    for n in range(40):  # siblings listed after the scroll must not push it out of view
        (tmp_path / "archive" / f"box{n:02d}").mkdir()
    do_and_wait_for_result(qtbot, window, lambda: window.open_folder(deep))
    tree = window.folder_tree
    index = tree.model().index(str(deep))

    def shown():
        rect = tree.visualRect(index)
        return not rect.isEmpty() and tree.viewport().rect().contains(rect.center())

    qtbot.wait_until(shown, timeout=TIMEOUT)
    assert tree.current_folder() == str(deep)


def test_clicking_a_folder_in_the_tree_opens_it(qtbot, window, photo_folder, tmp_path, photo_factory):
    other = tmp_path / "other"
    photo_factory(other / "only.jpg")
    do_and_wait_for_result(qtbot, window, lambda: window.open_folder(photo_folder))
    tree = window.folder_tree
    index = tree.model().index(str(other))
    tree.scrollTo(index)
    qtbot.wait_until(lambda: not tree.visualRect(index).isEmpty(), timeout=TIMEOUT)
    click = lambda: QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                                     Qt.KeyboardModifier.NoModifier, tree.visualRect(index).center())
    result = do_and_wait_for_result(qtbot, window, click)
    assert window.current_folder == str(other) and result.path == str(other / "only.jpg")


def _tree_children(tree, folder) -> set[str]:
    model = tree.model()
    parent = model.index(str(folder))
    return {model.index(row, 0, parent).data() for row in range(model.rowCount(parent))}


def test_a_folder_made_in_the_open_folder_shows_in_the_tree(qtbot, window, tmp_path, photo_factory):
    """The tree does not watch folders (a busy folder of thousands of photos would
    stall the window); the window has it list the open folder again when its
    subfolders change, as when an export makes its output folder there."""
    album = tmp_path / "album"
    photo_factory(album / "scan.jpg")
    (album / "old").mkdir()
    do_and_wait_for_result(qtbot, window, lambda: window.open_folder(album))
    tree = window.folder_tree
    qtbot.wait_until(lambda: _tree_children(tree, album) == {"old"}, timeout=TIMEOUT)

    (album / "colorized").mkdir()
    qtbot.wait_until(lambda: _tree_children(tree, album) == {"old", "colorized"}, timeout=TIMEOUT)
    (album / "old").rmdir()
    qtbot.wait_until(lambda: _tree_children(tree, album) == {"colorized"}, timeout=TIMEOUT)
    assert tree.current_folder() == str(album)


def _open_album(qtbot, window, tmp_path, photo_factory) -> Path:
    """archive/album open, and the tree showing archive's one subfolder."""
    album = tmp_path / "archive" / "album"
    photo_factory(album / "scan.jpg")
    do_and_wait_for_result(qtbot, window, lambda: window.open_folder(album))
    qtbot.wait_until(lambda: _tree_children(window.folder_tree, album.parent) == {"album"}, timeout=TIMEOUT)
    return album


def test_a_folder_made_next_to_the_open_one_shows_in_the_tree(qtbot, window, tmp_path, photo_factory):
    album, tree = _open_album(qtbot, window, tmp_path, photo_factory), window.folder_tree
    (album.parent / "album 2").mkdir()
    qtbot.wait_until(lambda: _tree_children(tree, album.parent) == {"album", "album 2"}, timeout=TIMEOUT)


def test_expanding_a_folder_lists_it_again(qtbot, window, tmp_path, photo_factory):
    """The tree does not watch the folders it lists; a folder the person opens in it
    shows what is in it now."""
    album, tree = _open_album(qtbot, window, tmp_path, photo_factory), window.folder_tree
    box = tmp_path / "archive" / "box"
    (box / "old").mkdir(parents=True)
    index = tree.model().index(str(box))
    tree.expand(index)
    qtbot.wait_until(lambda: _tree_children(tree, box) == {"old"}, timeout=TIMEOUT)
    tree.collapse(index)
    (box / "new").mkdir()  # nothing watches box: neither the tree nor the window
    qtbot.wait(300)
    assert _tree_children(tree, box) == {"old"}
    tree.expand(index)
    qtbot.wait_until(lambda: _tree_children(tree, box) == {"old", "new"}, timeout=TIMEOUT)
    assert window.current_folder == str(album)


def test_the_open_folder_renamed_elsewhere_is_closed_and_the_tree_follows(qtbot, window, tmp_path, photo_factory):
    """A folder's own watch does not see it renamed, moved or put in the trash."""
    album, tree = _open_album(qtbot, window, tmp_path, photo_factory), window.folder_tree
    album.rename(album.parent / "album 1931")
    qtbot.wait_until(lambda: window.current_folder == "", timeout=TIMEOUT)
    assert "no longer there" in window.status.currentMessage()
    assert window.thumbnail_grid.thumbnails.rowCount() == 0
    qtbot.wait_until(lambda: _tree_children(tree, album.parent) == {"album 1931"}, timeout=TIMEOUT)


def test_arrowing_through_the_tree_opens_only_the_folder_it_rests_on(qtbot, window, tmp_path, photo_factory):
    for name in ("a", "b", "c", "d"):
        photo_factory(tmp_path / "albums" / name / "scan.jpg")
    do_and_wait_for_result(qtbot, window, lambda: window.open_folder(tmp_path / "albums" / "a"))
    tree = window.folder_tree
    qtbot.wait_until(lambda: tree.model().rowCount(tree.model().index(str(tmp_path / "albums"))) == 4,
                     timeout=TIMEOUT)
    opened = []
    tree.folder_selected.connect(opened.append)
    tree.setFocus()

    def arrow_down_three_times():
        for _ in range(3):
            QTest.keyClick(tree, Qt.Key.Key_Down)

    result = do_and_wait_for_result(qtbot, window, arrow_down_three_times)
    assert opened == [str(tmp_path / "albums" / "d")]  # not b and c on the way
    assert result.path == str(tmp_path / "albums" / "d" / "scan.jpg")
    assert not {str(tmp_path / "albums" / n) for n in "bc"} & set(window.recent_folders.items)
    QTest.keyClick(tree, Qt.Key.Key_Up)
    QTest.keyClick(tree, Qt.Key.Key_Return)  # Enter opens at once
    assert window.current_folder == str(tmp_path / "albums" / "c")


def test_photo_with_a_wide_gamut_profile_is_shown_in_srgb(qtbot, window, tmp_path):
    from PIL import Image
    from PySide6.QtGui import QColorSpace

    folder = tmp_path / "icc"
    folder.mkdir()
    adobe = bytes(QColorSpace(QColorSpace.NamedColorSpace.AdobeRgb).iccProfile())
    Image.new("RGB", (64, 48), (40, 160, 40)).save(folder / "scan.png", icc_profile=adobe)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(folder / "scan.png"))
    shown = window.compare_view.original_pixmap().toImage().pixelColor(10, 10)
    assert shown.getRgb()[:3] != (40, 160, 40)  # converted from Adobe RGB for the screen


def lab_ab(image, x, y):
    import cv2
    import numpy as np

    r, g, b, _ = image.pixelColor(x, y).getRgb()
    return cv2.cvtColor(np.array([[[r, g, b]]], np.float32) / 255.0, cv2.COLOR_RGB2Lab)[0, 0, 1:]


def test_color_hint_tool_colors_the_clicked_area_and_is_saved(qtbot, window, tmp_path, photo_factory):
    import numpy as np
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QColorDialog

    photo = photo_factory(tmp_path / "hint" / "scan.png", 96, 64)
    before = do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    red = QColor(210, 30, 30)

    def pick_red():  # the real color dialog, as a person would use it
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QColorDialog):
            QTimer.singleShot(20, pick_red)
            return
        dialog.setCurrentColor(red)
        dialog.accept()

    window._hint_act.trigger()
    view = window.compare_view
    view.set_mode(ViewMode.SINGLE)
    assert view.hint_mode
    x, y = view.transform.map_from_image(24, 32)  # photo pixel (24, 32)
    QTimer.singleShot(0, pick_red)
    with qtbot.wait_signal(window.result_shown, timeout=TIMEOUT) as blocker:
        QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(round(x), round(y)))
    hinted = blocker.args[0]
    assert [(round(h.x, 2), round(h.y, 2)) for h in hinted.hints] == [(0.25, 0.5)]
    red_ab = np.array([hinted.hints[0].a, hinted.hints[0].b])
    assert np.abs(lab_ab(hinted.colorized, 24, 32) - red_ab).max() < 15
    assert np.abs(lab_ab(before.colorized, 24, 32) - red_ab).max() > 30
    assert window._clear_hints_act.isEnabled()
    assert window.thumbnail_grid.badge(str(photo)) == red  # the photo's tile is marked

    out = tmp_path / "hint" / "scan_color.png"
    with qtbot.wait_signal(window.save_finished, timeout=TIMEOUT):
        assert window.save_to(out)
    saved = load_photo(out).pixels
    r, g, b = (int(v) for v in saved[32, 24])
    assert r > g + 40 and r > b + 40  # the saved photo has the hint too

    cleared = do_and_wait_for_result(qtbot, window, window.clear_hints)
    assert cleared.hints == () and not window._clear_hints_act.isEnabled()
    assert window.thumbnail_grid.badge(str(photo)) is None
    assert np.abs(lab_ab(cleared.colorized, 24, 32) - red_ab).max() > 30


def test_opening_a_photo_in_another_folder_shows_that_photo(qtbot, window, tmp_path, photo_factory):
    """Open Photo and drag-and-drop, while another folder's photo is shown."""
    first = photo_factory(tmp_path / "album1" / "a.png", 96, 64, seed=1)
    photo_factory(tmp_path / "album2" / "a_first.png", 64, 64, seed=2)
    wanted = photo_factory(tmp_path / "album2" / "b.png", 80, 48, seed=3)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(first))

    result = do_and_wait_for_result(qtbot, window, lambda: window.open_photo(wanted))

    assert result.path == window.current_photo == str(wanted)
    assert window.thumbnail_grid.current_path() == str(wanted)
    assert window.windowTitle().startswith("b.png")
    assert (result.colorized.width(), result.colorized.height()) == (80, 48)


def test_color_hints_are_kept_for_the_next_session(qtbot, window, later_window, tmp_path, photo_factory):
    from PySide6.QtGui import QColor

    photo = photo_factory(tmp_path / "kept" / "scan.png", 96, 64)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    hinted = do_and_wait_for_result(qtbot, window, lambda: window.add_hint(0.25, 0.5, QColor(210, 30, 30)))
    window.close()

    later = later_window()
    later.open_folder(tmp_path)  # somewhere else first, so opening the photo shows it anew
    result = do_and_wait_for_result(qtbot, later, lambda: later.open_photo(photo))
    assert result.hints == hinted.hints
    red_ab = lab_ab(hinted.colorized, 24, 32)
    assert abs(lab_ab(result.colorized, 24, 32) - red_ab).max() < 3
    assert later._clear_hints_act.isEnabled()


def test_color_hints_follow_a_photo_moved_between_sessions(qtbot, window, later_window, tmp_path, photo_factory):
    from PySide6.QtGui import QColor

    photo = photo_factory(tmp_path / "inbox" / "scan.png", 96, 64)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    hinted = do_and_wait_for_result(qtbot, window, lambda: window.add_hint(0.25, 0.5, QColor(210, 30, 30)))
    window.close()
    moved = tmp_path / "archive" / "grandma.png"
    moved.parent.mkdir()
    photo.rename(moved)

    later = later_window()
    result = do_and_wait_for_result(qtbot, later, lambda: later.open_photo(moved))
    assert result.hints == hinted.hints
    assert "came with it" in later.statusBar().currentMessage()
    assert later._clear_hints_act.isEnabled()


def test_a_moved_folder_shows_its_hinted_photos_before_they_are_opened(
        qtbot, window, later_window, tmp_path, photo_factory):
    from PySide6.QtGui import QColor

    photo_factory(tmp_path / "inbox" / "a.png", 96, 64)
    hinted = photo_factory(tmp_path / "inbox" / "b.png", 80, 64)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(hinted))
    do_and_wait_for_result(qtbot, window, lambda: window.add_hint(0.5, 0.5, QColor(30, 60, 200)))
    window.close()
    (tmp_path / "inbox").rename(tmp_path / "album")

    later = later_window()
    later.open_folder(tmp_path / "album")  # opens a.png, not b.png
    assert later._grid.current_path() == str(tmp_path / "album" / "a.png")
    qtbot.waitUntil(lambda: later._grid.badge(str(tmp_path / "album" / "b.png")) is not None)
    assert later._grid.badge(str(tmp_path / "album" / "b.png")) == QColor(30, 60, 200)
    assert "The color hints of 1 photo here" in later.statusBar().currentMessage()
    # a.png's own "colorized" message, if it comes later, must not hide the news
    qtbot.waitUntil(lambda: later._result is not None and later._result.full_resolution, timeout=TIMEOUT)
    assert "the color hints of 1 photo here" in later.statusBar().currentMessage().lower()


def test_a_photo_retouched_between_sessions_is_fingerprinted_again(
        qtbot, window, later_window, tmp_path, photo_factory):
    from PySide6.QtGui import QColor

    from colorizer_app.core.hintstore import HintStore, fingerprint
    from colorizer_app.core.paths import user_hints_file

    photo = photo_factory(tmp_path / "inbox" / "scan.png", 96, 64)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    do_and_wait_for_result(qtbot, window, lambda: window.add_hint(0.5, 0.5, QColor(30, 60, 200)))
    window.close()
    photo_factory(photo, 100, 64)  # retouched (here: cropped differently) in another program

    later_window()  # reads the hints, sees the photo changed, writes its new fingerprint
    photo.rename(tmp_path / "scan.png")
    store = HintStore(user_hints_file())
    store.load()
    assert store.moved.match(tmp_path / "scan.png") == fingerprint(tmp_path / "scan.png")


def test_an_unreadable_hints_file_is_reported_and_set_aside(qtbot, later_window):
    from colorizer_app.core.paths import user_hints_file

    user_hints_file().parent.mkdir(parents=True, exist_ok=True)
    user_hints_file().write_text("{not json")
    later = later_window()
    assert "Could not read the saved color hints" in later.statusBar().currentMessage()
    assert user_hints_file().with_name("hints.json.bad").read_text() == "{not json"


def test_undo_removes_the_last_hint_only(qtbot, window, tmp_path, photo_factory):
    from PySide6.QtGui import QColor

    photo = photo_factory(tmp_path / "undo" / "scan.png", 96, 64)
    plain = do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    assert not window._undo_hint_act.isEnabled()
    do_and_wait_for_result(qtbot, window, lambda: window.add_hint(0.25, 0.5, QColor(210, 30, 30)))
    both = do_and_wait_for_result(qtbot, window, lambda: window.add_hint(0.75, 0.5, QColor(30, 60, 220)))
    assert len(both.hints) == 2

    undone = do_and_wait_for_result(qtbot, window, window._undo_hint_act.trigger)
    assert undone.hints == both.hints[:1]
    assert abs(lab_ab(undone.colorized, 24, 32) - lab_ab(both.colorized, 24, 32)).max() < 3  # the red stays
    assert abs(lab_ab(undone.colorized, 72, 32) - lab_ab(both.colorized, 72, 32)).max() > 20  # the blue went

    none_left = do_and_wait_for_result(qtbot, window, window._undo_hint_act.trigger)
    assert none_left.hints == () and not window._undo_hint_act.isEnabled()
    assert abs(lab_ab(none_left.colorized, 24, 32) - lab_ab(plain.colorized, 24, 32)).max() < 3


def test_the_device_chosen_in_settings_is_used_from_the_next_start(qtbot, later_window, qsettings, tmp_path,
                                                                    photo_factory):
    import torch

    from colorizer_app.gui.settings_dialog import GeneralSettings

    if torch.cuda.is_available():
        pytest.skip("needs a machine without a CUDA GPU")
    GeneralSettings(qsettings).device = "cuda:0"  # chosen on a machine that had one
    later = later_window()
    photo = photo_factory(tmp_path / "album" / "scan.png", 64, 48)
    with qtbot.wait_signal(later.client.failed, timeout=TIMEOUT) as blocker:
        later.open_photo(photo)
    assert "CUDA was asked for" in blocker.args[0]  # it tried the device chosen, and says why not
    assert later.status.device_text == "Device: cuda:0 (not available)"


def test_zooming_in_past_the_preview_brings_the_full_resolution_detail(qtbot, window, tmp_path, photo_factory):
    photo = photo_factory(tmp_path / "large" / "wide.png", 4000, 1000)  # larger than any preview
    preview = do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    assert not preview.full_resolution
    view = window.compare_view
    assert view.original_pixmap().width() < 4000

    detail = do_and_wait_for_result(qtbot, window, view.zoom_actual)  # 100%: one photo pixel per screen pixel

    assert detail.full_resolution and detail.colorized.width() == 4000
    assert view.original_pixmap().width() == 4000  # the original's detail too
    assert view.zoom == pytest.approx(1.0)  # where the user zoomed to
    assert not window._full_res_act.isChecked()  # the next photo is a quick preview again
    with qtbot.assert_not_emitted(window.result_shown, wait=600):
        view.zoom_in()  # already there: not colorized again


def test_the_zoom_read_out_follows_the_view(qtbot, window, tmp_path, photo_factory):
    photo = photo_factory(tmp_path / "album" / "scan.png", 400, 300)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))

    def read_out_matches():
        assert window._zoom_label.text() == f"Zoom {window.compare_view.zoom * 100:.0f}%"

    read_out_matches()
    window.resize(window.width() + 300, window.height() + 200)  # Fit: the zoom changes with the window
    qtbot.wait_until(read_out_matches)
    (tmp_path / "empty").mkdir()
    window.open_folder(tmp_path / "empty")
    assert window._zoom_label.text() == ""


def test_reload_lists_what_changed_in_the_folder_and_keeps_the_photo(qtbot, window, tmp_path, photo_factory):
    folder = tmp_path / "album"
    photo_factory(folder / "a.png", 64, 48, seed=1)
    shown = photo_factory(folder / "b.png", 64, 48, seed=2)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(shown))
    photo_factory(folder / "c.png", 64, 48, seed=3)  # copied in with a file manager
    (folder / "a.png").rename(folder / "a-1931.png")

    window._reload_act.trigger()  # F5

    assert window.thumbnail_grid.thumbnails.paths() == [str(folder / n) for n in ("a-1931.png", "b.png", "c.png")]
    assert window.current_photo == str(shown) and window.thumbnail_grid.current_path() == str(shown)
    shutil.rmtree(folder)
    assert not window.reload_folder()
    assert "no longer there" in window.status.currentMessage()


def test_photos_added_renamed_or_deleted_elsewhere_show_without_reloading(qtbot, window, tmp_path, photo_factory):
    folder = tmp_path / "album"
    photo_factory(folder / "a.png", 64, 48, seed=1)
    shown = photo_factory(folder / "b.png", 64, 48, seed=2)
    photo_factory(folder / "d.png", 64, 48, seed=4)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(shown))
    grid = window.thumbnail_grid

    with qtbot.assert_not_emitted(window.result_shown, wait=500):  # nothing to colorize again
        photo_factory(folder / "c.png", 64, 48, seed=3)  # copied in with a file manager
        (folder / "a.png").rename(folder / "a-1931.png")
        qtbot.wait_until(lambda: grid.thumbnails.paths() == [
            str(folder / n) for n in ("a-1931.png", "b.png", "c.png", "d.png")], timeout=TIMEOUT)
    assert window.current_photo == str(shown) and grid.current_path() == str(shown)

    # The photo on show deleted elsewhere: its neighbour in the list takes its place.
    do_and_wait_for_result(qtbot, window, lambda: shown.unlink())
    assert window.current_photo == str(folder / "c.png") == grid.current_path()
    assert "b.png is no longer there" in window.status.currentMessage()


def test_a_photo_retouched_elsewhere_is_colorized_again(qtbot, window, tmp_path, photo_factory):
    folder = tmp_path / "album"
    shown = photo_factory(folder / "scan.png", 64, 48, seed=1)
    before = do_and_wait_for_result(qtbot, window, lambda: window.open_photo(shown))

    def retouch():  # as editors save: a new file put in its place
        photo_factory(folder / "scan.tmp.png", 80, 60, seed=7).replace(shown)

    after = do_and_wait_for_result(qtbot, window, retouch)
    assert window.current_photo == str(shown)
    assert after.source_size == QSize(80, 60) != before.source_size


def test_a_photo_written_over_in_place_is_colorized_again(qtbot, window, tmp_path, photo_factory):
    """Some editors write the file itself rather than a new one renamed over it; the
    folder's watch does not see that, the photo's own does."""
    shown = photo_factory(tmp_path / "album" / "scan.png", 64, 48, seed=1)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(shown))
    retouched = photo_factory(tmp_path / "elsewhere" / "scan.png", 80, 60, seed=7).read_bytes()

    def write_over():
        with open(shown, "r+b") as f:  # the same file, not a new one
            f.write(retouched)
            f.truncate()

    after = do_and_wait_for_result(qtbot, window, write_over)
    assert after.source_size == QSize(80, 60)


# Qt's JPEG reader says what is wrong with the half-copied file; that is expected here.
@pytest.mark.qt_log_ignore("JPEG", "Corrupt", "Premature")
def test_a_photo_still_being_copied_in_gets_its_thumbnail_once_whole(qtbot, window, tmp_path, photo_factory):
    folder = tmp_path / "album"
    photo_factory(folder / "a.png", 64, 48)
    do_and_wait_for_result(qtbot, window, lambda: window.open_folder(folder))
    from colorizer_app.gui.thumbnails import make_thumbnail

    source = photo_factory(tmp_path / "elsewhere" / "b.jpg", 64, 48, mode="RGB", seed=5)
    whole = source.read_bytes()
    arriving = folder / "b.jpg"
    arriving.write_bytes(whole[: len(whole) // 3])  # a copy under way: its thumbnail is made half gray
    grid = window.thumbnail_grid.thumbnails
    qtbot.wait_until(lambda: str(arriving) in grid.paths(), timeout=TIMEOUT)
    qtbot.wait_until(lambda: grid.loader.thumbnail(str(arriving)) is not None
                     or grid.loader.error(str(arriving)) is not None, timeout=TIMEOUT)
    with open(arriving, "r+b") as f:  # the copy ends: written in place, unseen by the folder's watch
        f.seek(0, os.SEEK_END)
        f.write(whole[len(whole) // 3:])
    expected = make_thumbnail(source)

    def whole_thumbnail():
        pixmap = grid.loader.thumbnail(str(arriving))
        if pixmap is None:
            return False
        got = pixmap.toImage().pixelColor(5, expected.height() - 4)
        want = expected.pixelColor(5, expected.height() - 4)
        return abs(got.red() - want.red()) + abs(got.green() - want.green()) < 12

    qtbot.wait_until(whole_thumbnail, timeout=TIMEOUT)


def test_a_hidden_photo_opened_by_name_stays_on_show_when_the_folder_changes(qtbot, window, tmp_path, photo_factory):
    folder = tmp_path / "album"
    photo_factory(folder / "a.png", 64, 48)
    hidden = photo_factory(folder / ".draft.png", 64, 48, seed=2)  # not listed, but opened by name
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(hidden))
    photo_factory(folder / "c.png", 64, 48, seed=3)
    qtbot.wait_until(lambda: len(window.thumbnail_grid.thumbnails.paths()) == 2, timeout=TIMEOUT)
    qtbot.wait(300)
    assert window.current_photo == str(hidden)


def test_a_folder_deleted_while_listed_is_reported_not_swapped_for_its_neighbour(
        qtbot, window, qsettings, tmp_path, photo_factory):
    photo = photo_factory(tmp_path / "albums" / "1931" / "scan.png", 64, 48)
    photo_factory(tmp_path / "albums" / "1932" / "other.png", 64, 48)
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))

    shutil.rmtree(tmp_path / "albums" / "1931")  # in a file manager, with the app open

    qtbot.wait_until(lambda: "no longer there" in window.status.currentMessage(), timeout=TIMEOUT)
    assert window.current_folder == "" and window.current_photo == ""
    assert window.thumbnail_grid.thumbnails.rowCount() == 0
    assert "1932" not in window.app_settings.last_folder


def test_long_photo_and_model_names_do_not_widen_the_window_past_a_small_screen(qtbot, window):
    name = "grandparents_wedding_" * 12 + ".jpg"
    window.status.set_job(f"Colorizing {name}…")
    window.status.set_model("a-model-fine-tuned-on-the-family-albums-of-the-nineteen-fifties")
    qtbot.wait(50)  # the layouts take the new texts in
    assert window.layout().minimumSize().width() <= 1024  # a netbook's screen, or a window snapped to half of one
    assert window.status.model_text.endswith("nineteen-fifties")  # the full name is kept


def mnemonic(text: str) -> str:
    """The Alt/menu letter of a label: the one after a single "&"."""
    plain = text.replace("&&", "")
    at = plain.find("&")
    return plain[at + 1].lower() if 0 <= at < len(plain) - 1 else ""


def test_each_menu_letter_is_used_once_per_menu(window):
    """Two items with one letter: pressing it only moves between them."""
    from PySide6.QtWidgets import QMenu

    menus = [window.menuBar()] + window.menuBar().findChildren(QMenu)
    clashes = {}
    for menu in menus:
        letters = {}
        for act in menu.actions():
            if mnemonic(act.text()):
                letters.setdefault(mnemonic(act.text()), []).append(act.text())
        clashes.update({f"{menu.title() or 'menu bar'} {k}": v for k, v in letters.items() if len(v) > 1})
    assert clashes == {}


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="file names there are always Unicode")
def test_photos_named_in_latin_1_are_reported_not_listed_broken(qtbot, window, tmp_path, photo_factory):
    """Qt cannot carry a name that is not UTF-8 (a Latin-1 name from an old disk):
    listed, it would be a thumbnail that never loads and a photo "no longer there"."""
    folder = tmp_path / "album"
    good = photo_factory(folder / "wedding.jpg")
    shutil.copy(good, os.path.join(os.fsencode(folder), b"caf\xe9.jpg"))

    result = do_and_wait_for_result(qtbot, window, lambda: window.open_folder(folder))

    assert window.thumbnail_grid.thumbnails.paths() == [str(good)] and result.path == str(good)
    message = window.status.currentMessage()
    assert "colorized" in message and "1 photo here cannot be shown" in message and "caf\ufffd.jpg" in message


def test_a_multi_page_tiff_says_only_its_first_page_is_colorized(qtbot, window, tmp_path, photo_factory):
    import numpy as np
    from PIL import Image

    first = photo_factory(tmp_path / "cards" / "front.png", 64, 48)
    pages = [Image.open(first), Image.open(first).transpose(Image.Transpose.FLIP_TOP_BOTTOM)]
    pages[0].save(tmp_path / "cards" / "card.tif", save_all=True, append_images=pages[1:])
    do_and_wait_for_result(qtbot, window, lambda: window.open_photo(tmp_path / "cards" / "card.tif"))
    assert "only the first of its 2 pages is colorized" in window.status.currentMessage()

    # Saved as a TIFF, the back follows the colorized front as it is.
    out = tmp_path / "cards" / "card_color.tif"
    with qtbot.wait_signal(window.save_finished, timeout=TIMEOUT):
        window.save_to(out)
    with Image.open(out) as saved:
        assert saved.n_frames == 2
        saved.seek(1)
        assert np.asarray(saved).tobytes() == np.asarray(pages[1].convert(saved.mode)).tobytes()


def test_every_shortcut_belongs_to_one_action(window):
    """Qt fires neither of two actions that share a shortcut ("Ambiguous shortcut overload")."""
    from PySide6.QtGui import QAction

    owners = {}
    for act in window.findChildren(QAction):
        for shortcut in act.shortcuts():
            owners.setdefault(shortcut.toString(), []).append(act.text())
    assert {key: names for key, names in owners.items() if len(names) > 1} == {}


def test_a_model_retrained_under_its_name_while_the_app_runs_colors_the_photo_again(
        qtbot, window, catalog, tmp_path, photo_factory):
    """Training exports into the models folder (a run left going, or from a terminal);
    the window notices without F5 and neither the view nor Save keeps the old colors."""
    import torch

    from colorizer_app.core.modelfile import save_model
    from colorizer_app.models import UNetConfig, build_model

    photo = photo_factory(tmp_path / "album" / "scan.png", 64, 48)
    before = do_and_wait_for_result(qtbot, window, lambda: window.open_photo(photo))
    with qtbot.wait_signal(window.save_finished, timeout=TIMEOUT):
        window.save_to(tmp_path / "before.png")
    assert window.current_result.model == "tiny-test"

    torch.manual_seed(5)
    net = build_model(UNetConfig(head="classification", decoder_chs=(32, 24, 16)))
    with torch.no_grad():
        net.head[-1].weight.mul_(20.0)

    with qtbot.wait_signal(window.result_shown, timeout=TIMEOUT) as blocker:
        save_model(net, catalog.user_dir / "tiny-test.json", {"render_size": 128})  # yours replaces the bundled
    after = blocker.args[0]
    assert after.model == "tiny-test" and after.colorized != before.colorized
    with qtbot.wait_signal(window.save_finished, timeout=TIMEOUT):
        window.save_to(tmp_path / "after.png")
    assert digest(tmp_path / "after.png") != digest(tmp_path / "before.png")

    save_model(net, catalog.user_dir / "family-1950s.json", {"render_size": 128})  # another run finished
    qtbot.wait_until(lambda: "family-1950s" in window.model_selector.names(), timeout=TIMEOUT)
    assert "New model: family-1950s" in window.status.currentMessage()


def test_save_never_reuses_a_result_of_the_model_file_it_replaced(qapp, catalog, tmp_path, photo_factory):
    """The worker keeps the last full-size result for Save; a model retrained under the
    same name since must not be served from it (the window may not have colored again yet)."""
    import torch

    from colorizer_app.core.modelfile import save_model
    from colorizer_app.gui.workers import ColorizeRequest, ColorizeWorker, SaveRequest
    from colorizer_app.models import UNetConfig, build_model

    worker = ColorizeWorker(catalog)  # used on this thread, as the inference thread uses it
    photo = photo_factory(tmp_path / "scan.png", 64, 48)
    shown, saved = [], []
    worker.finished.connect(shown.append)
    worker.saved.connect(lambda path, left_out: saved.append(path))
    worker.colorize(ColorizeRequest(seq=worker.sequencer.next(), path=str(photo), model="tiny-test"))
    assert shown and shown[0].full_resolution
    worker.save(SaveRequest(path=str(photo), out_path=str(tmp_path / "before.png"), model="tiny-test"))

    torch.manual_seed(5)
    net = build_model(UNetConfig(head="classification", decoder_chs=(32, 24, 16)))
    with torch.no_grad():
        net.head[-1].weight.mul_(20.0)
    save_model(net, catalog.user_dir / "tiny-test.json", {"render_size": 128})
    worker.save(SaveRequest(path=str(photo), out_path=str(tmp_path / "after.png"), model="tiny-test"))

    assert len(saved) == 2
    assert digest(tmp_path / "after.png") != digest(tmp_path / "before.png")


def test_a_long_status_message_gives_way_in_the_middle_and_keeps_its_end(qtbot, window):
    """A window snapped to half a small screen: the notice at the end of a long
    message ("only the first of its 3 pages…") is what must not be cut off."""
    window.resize(683, 700)
    message = ("Saved Grandma and Grandpa wedding day 1948 (scan 1, 600 dpi)_color.tif (full resolution) "
               "in 0.1 s; only the first of its 3 pages is colorized")
    window.status.show_info(message)
    label = window.status.findChild(ElidedLabel, "message")
    # once laid out at the narrow width
    qtbot.wait_until(lambda: "…" in label.text() and label.text().endswith("is colorized"), timeout=TIMEOUT)
    assert label.text().startswith("Saved Grandma")
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()
    assert message in label.toolTip() and window.status.currentMessage() == message
    assert window.layout().minimumSize().width() <= 683


def test_the_browser_panes_cannot_be_dragged_out_of_reach(qtbot, window):
    """A pane dragged (or restored) to nothing would leave a 4 px strip that few
    people find again, and no menu brings it back."""
    from PySide6.QtWidgets import QSplitter

    for split in window.findChildren(QSplitter):
        total = sum(split.sizes())
        split.setSizes([0, total])
        assert min(split.sizes()) > 20
        split.setSizes([total, 0])
        assert min(split.sizes()) > 20


def test_the_toolbar_overflow_button_is_drawn_in_the_toolbar_text_color(qtbot):
    """In a narrow window the buttons that no longer fit are behind », which Fusion
    draws dark gray: next to invisible on the app's dark toolbars."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QStyle, QToolBar

    from colorizer_app.gui.app import DarkFusionStyle

    bar = QToolBar()
    qtbot.add_widget(bar)
    palette = bar.palette()
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(225, 225, 225))
    bar.setPalette(palette)
    style = DarkFusionStyle("Fusion")
    for which in (QStyle.StandardPixmap.SP_ToolBarHorizontalExtensionButton,
                  QStyle.StandardPixmap.SP_ToolBarVerticalExtensionButton):
        image = style.standardIcon(which, None, bar).pixmap(24, 24).toImage()
        drawn = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())
                 if image.pixelColor(x, y).alpha() > 200]
        assert len(drawn) > 10
        assert min(c.lightness() for c in drawn) > 180


def test_a_status_message_stays_one_line_of_plain_text(qtbot, window):
    """An error's text can hold line breaks (CUDA's do) and a file name can hold <b>."""
    label = window.status.findChild(ElidedLabel, "message")
    height = window.status.sizeHint().height()
    window.status.show_error("Could not colorize <b>scan</b>.jpg:\nCUDA error: out of memory\nCompile with TORCH_USE_CUDA_DSA")
    qtbot.wait(50)
    assert "\n" not in label.text() and window.status.sizeHint().height() == height
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert "<b>scan</b>.jpg: CUDA error" in window.status.currentMessage()


def test_the_hint_color_dialog_opens_beside_the_spot_not_over_it(qtbot):
    """Picking a hint's color, a person wants to see the spot it is for."""
    from PySide6.QtWidgets import QColorDialog

    from colorizer_app.gui.screenfit import place_beside

    dialog = QColorDialog()
    qtbot.add_widget(dialog)
    free = dialog.screen().availableGeometry()
    for fx in (0.15, 0.85):
        spot = QPoint(free.left() + int(fx * free.width()), free.center().y())
        place_beside(dialog, spot)
        dialog.show()
        qtbot.wait_exposed(dialog)
        assert not dialog.frameGeometry().contains(spot)
        assert free.contains(dialog.frameGeometry().topLeft())
        dialog.hide()
