"""Batch export from the dialog: real photos, a broken one, the real model, cancel."""

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from colorizer_app.core.imageio import load_photo
from colorizer_app.gui.batch_dialog import BatchDialog, EtaEstimator, format_duration
from tests.gui.modal import answer_next_question

TIMEOUT = 120_000


def test_eta_leaves_skipped_photos_out_of_the_rate():
    eta = EtaEstimator()
    assert eta.seconds_left(10) is None
    eta.update(0.01, skipped=True)
    eta.update(2.01, skipped=False)
    eta.update(4.01, skipped=False)
    assert eta.seconds_left(5) == pytest.approx(10.0)


@pytest.mark.parametrize("seconds, text", [
    (None, ""), (0.2, "about 1 s"), (42, "about 42 s"), (150, "about 2 min"), (3900, "about 1 h 5 min"),
])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.fixture
def dialog(qtbot, catalog):
    widget = BatchDialog(model="tiny-test", render_size=256, catalog=catalog)
    qtbot.add_widget(widget)
    widget.show()
    yield widget
    widget.stop_and_wait()


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def start_held_export(qtbot, dialog, tmp_path, photo_factory, photos: int, hold_after: int) -> Path:
    """Start exporting `photos` photos and hold the worker after `hold_after` of them
    until the export is cancelled, so that a test does not depend on how fast photos
    are colorized. Returns the output folder."""
    source, output = tmp_path / "many", tmp_path / "out"
    for i in range(photos):
        photo_factory(source / f"p{i}.jpg", 128, 96, seed=i)
    dialog.set_options(source=source, output=output, fmt="jpg")
    assert dialog.start()
    worker, reached = dialog.worker, threading.Event()

    def hold(done, total, name, status, elapsed):
        if done == hold_after:
            reached.set()
            deadline = time.monotonic() + 30
            while not worker.cancelled and time.monotonic() < deadline:
                time.sleep(0.01)

    worker.progress.connect(hold, Qt.ConnectionType.DirectConnection)
    qtbot.wait_until(reached.is_set, timeout=TIMEOUT)
    return output


@pytest.mark.gui
def test_export_with_a_broken_file_lists_it_in_the_summary(qtbot, dialog, tmp_path, photo_factory):
    source = tmp_path / "album"
    photo_factory(source / "a.jpg", seed=1)
    photo_factory(source / "b.png", 70, 50, seed=2)
    photo_factory(source / "sub" / "c.jpg", seed=3)
    (source / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a whole jpeg")
    (source / "sub" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 the same name in another box")
    output = tmp_path / "out"
    dialog.set_options(source=source, output=output, fmt="png", recursive=True)
    progress = []
    dialog.progress.connect(lambda done, total: progress.append((done, total)))
    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT) as blocker:
        QTest.mouseClick(dialog._start_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert (report.total, report.done, len(report.failed), report.cancelled) == (5, 3, 2, False)
    assert files_under(output) == ["a.png", "b.png", "sub/c.png"]
    assert load_photo(output / "b.png").pixels.shape == (50, 70, 3)
    assert progress[-1] == (5, 5)
    summary = dialog.summary_text
    assert "2 failed" in summary
    # One reason, said once above the two files, each named by its box.
    assert "\n  2 photos: the file is truncated" in summary
    assert "\n    broken.jpg\n    sub/broken.jpg" in summary
    assert "Colorized 3 photos" in summary

    # A second run skips everything already there.
    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT) as blocker:
        dialog.start()
    assert (blocker.args[0].done, blocker.args[0].skipped) == (0, 3)

    # Unticked, "skip existing" makes a third run replace its own earlier results.
    os.utime(output / "b.png", ns=(0, 0))
    dialog.set_options(skip_existing=False)
    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT) as blocker:
        dialog.start()
    assert (blocker.args[0].done, blocker.args[0].skipped) == (3, 0)
    assert (output / "b.png").stat().st_mtime_ns > 0  # written again
    assert load_photo(output / "b.png").pixels.shape == (50, 70, 3)


@pytest.mark.gui
def test_cancel_halfway_leaves_no_partial_file(qtbot, dialog, tmp_path, photo_factory):
    output = start_held_export(qtbot, dialog, tmp_path, photo_factory, photos=6, hold_after=2)
    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT) as blocker:
        QTest.mouseClick(dialog._cancel_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert report.cancelled and report.done == 2
    assert files_under(output) == ["p0.jpg", "p1.jpg"]  # no temp or partial files
    assert "Cancelled after 2 of 6" in dialog.summary_text
    assert dialog.isVisible()


@pytest.mark.gui
def test_refuses_to_export_into_the_photos_own_folder(dialog, photo_folder):
    dialog.set_options(source=photo_folder, output=photo_folder)
    assert not dialog.start()
    assert "originals are never replaced" in dialog.summary_text


@pytest.mark.gui
def test_with_text_added_to_the_names_results_go_beside_their_photos(qtbot, dialog, photo_folder):
    before = {path: path.read_bytes() for path in photo_folder.rglob("*") if path.is_file()}
    dialog.set_options(source=photo_folder, output=photo_folder, suffix="_color", recursive=False)
    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT) as blocker:
        assert dialog.start()
    assert blocker.args[0].done == 3 and not blocker.args[0].failed
    assert {path: path.read_bytes() for path in before} == before  # the originals as they were
    assert sorted(path.name for path in photo_folder.glob("*_color.jpg")) == [
        "photo10_color.jpg", "photo1_color.jpg", "photo2_color.jpg"]


@pytest.mark.gui
@pytest.mark.parametrize("typed, expected", [
    ("~/exports", "home/exports"),
    ("~", "home"),
    ("exports", "album/exports"),  # like the suggested album/colorized
    ("../Colored", "Colored"),
])
def test_a_typed_output_folder_is_taken_from_the_home_or_the_photos_folder(
        qtbot, dialog, tmp_path, photo_factory, monkeypatch, typed, expected):
    """Not from the app's working folder, which the person never sees: ~ is not a
    folder named "~" there, and a relative path starts at the folder exported."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))  # Windows
    (tmp_path / "home").mkdir()
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    source = tmp_path / "album"
    photo_factory(source / "a.jpg", seed=1)
    dialog.set_options(source=source, output=typed, recursive=False)
    assert dialog.job().output == str(tmp_path / expected)

    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT) as blocker:
        assert dialog.start()
    assert blocker.args[0].done == 1
    assert "a.jpg" in files_under(tmp_path / expected)
    assert files_under(tmp_path / "cwd") == []
    assert dialog.output_folder == str(tmp_path / expected)
    assert f"into {tmp_path / expected}." in dialog.summary_text


@pytest.mark.gui
@pytest.mark.parametrize("typed", [".", "../photos", "./"])
def test_a_typed_output_that_is_the_photos_folder_is_refused_by_its_full_name(
        dialog, photo_folder, tmp_path, monkeypatch, typed):
    monkeypatch.chdir(tmp_path)  # not checked where the app runs
    dialog.set_options(source=photo_folder, output=typed)
    assert not dialog.start()
    assert f"The output folder {photo_folder} is the photos' own folder" in dialog.summary_text


@pytest.mark.gui
def test_a_typed_output_that_is_a_file_is_refused_by_its_full_name(dialog, photo_folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not checked where the app runs
    dialog.set_options(source=photo_folder, output="notes.txt")
    assert not dialog.start()
    assert f"The output folder {photo_folder / 'notes.txt'} is a file" in dialog.summary_text


@pytest.mark.gui
def test_the_summary_says_what_the_export_left_out(qtbot, dialog, photo_folder, photo_factory, monkeypatch):
    """An output folder inside the album, with a photo of the person's own in it,
    and a phone's HEIC: neither is colorized, and the summary says both."""
    monkeypatch.chdir(photo_folder.parent)
    output = photo_folder / "colorized"
    photo_factory(output / "mine.jpg", seed=7)
    (photo_folder / "IMG_0001.heic").write_bytes(b"a phone photo")
    dialog.set_options(source=photo_folder, output="colorized")

    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT) as blocker:
        assert dialog.start()
    assert (blocker.args[0].done, blocker.args[0].failed) == (3, [])
    assert files_under(output) == ["mine.jpg", "photo1.jpg", "photo10.jpg", "photo2.jpg"]
    summary = dialog.summary_text
    assert "\nNote:\n" in summary
    assert "\n  colorized: the output folder, inside the folder exported" in summary
    assert f"\n  {photo_folder.name}: 1 photo in formats Colorizer cannot read (HEIC) was left out" in summary


@pytest.mark.gui
def test_an_export_that_finds_no_photo_it_can_read_says_what_it_left_out(qtbot, dialog, tmp_path):
    source = tmp_path / "phone"
    source.mkdir()
    (source / "IMG_0001.heic").write_bytes(b"a phone photo")
    (source / "IMG_0002.HEIC").write_bytes(b"another")
    dialog.set_options(source=source, output=tmp_path / "out")
    assert dialog.start()
    qtbot.wait_until(lambda: not dialog.running and bool(dialog.summary_text), timeout=TIMEOUT)
    assert dialog.summary_text == (f"no photos found in {source}\n"
                                   "  phone: 2 photos in formats Colorizer cannot read (HEIC) were left out")


@pytest.mark.gui
def test_window_opens_the_dialog_and_shows_progress(qtbot, window, photo_folder, tmp_path):
    window.open_folder(photo_folder)
    dialog = window.open_batch_dialog()
    assert dialog.job().source == str(photo_folder)
    assert dialog.job().model == "tiny-test"
    dialog.set_options(output=tmp_path / "exported")
    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT):
        assert dialog.start()
    assert "Export finished: 3 colorized" in window.status.currentMessage()
    assert window.open_batch_dialog() is dialog


@pytest.mark.gui
def test_the_open_dialog_exports_with_what_the_window_shows_now(qtbot, window, catalog, photo_folder,
                                                               tiny_regression_model_json):
    """Left open while one browses, it follows the window's model, render size and
    saturation: the export is what the preview showed when Export was pressed."""
    for file in (tiny_regression_model_json, tiny_regression_model_json.with_suffix(".safetensors")):
        shutil.copy(file, catalog.user_dir / file.name)
    with qtbot.wait_signal(window.models_refreshed, timeout=TIMEOUT):
        window.refresh_models()
    window.open_folder(photo_folder)
    dialog = window.open_batch_dialog()
    assert window.select_model("tiny-regression")
    window.tune_panel.saturation = 1.8
    window.tune_panel.render_size = 320
    job = dialog.job()
    assert (job.model, job.saturation, job.render_size) == ("tiny-regression", 1.8, 320)
    assert "Model <b>tiny-regression</b>, render size 320 px, saturation 1.80" in dialog._settings_label.text()


@pytest.mark.gui
def test_an_export_that_fails_to_start_clears_its_progress_from_the_window(qtbot, window, photo_folder, tmp_path):
    window.open_folder(photo_folder)
    dialog = window.open_batch_dialog()
    dialog.set_colorize_settings("no-such-model", 256, 1.0, "cpu")  # its files went away
    dialog.set_options(output=tmp_path / "exported")
    with qtbot.wait_signal(dialog.batch_failed, timeout=TIMEOUT):
        assert dialog.start()
    assert "no-such-model" in dialog.summary_text
    assert window.status.job_text == ""
    assert "The export did not start" in window.status.currentMessage()


@pytest.mark.gui
def test_the_exports_progress_shows_again_when_the_window_is_done_colorizing(
        qtbot, window, tmp_path, photo_factory, photo_folder):
    dialog = window.open_batch_dialog()
    start_held_export(qtbot, dialog, tmp_path, photo_factory, photos=4, hold_after=2)
    try:
        qtbot.wait_until(lambda: window.status.job_text == "Exporting 2 / 4", timeout=TIMEOUT)
        with qtbot.wait_signal(window.result_shown, timeout=TIMEOUT):
            window.open_photo(photo_folder / "photo1.jpg")  # "Colorizing photo1.jpg…" shows, then goes
        qtbot.wait_until(lambda: window.status.job_text == "Exporting 2 / 4", timeout=10_000)
    finally:  # closing the window would ask before it stops a running export
        dialog.cancel()
        qtbot.wait_until(lambda: not dialog.running, timeout=TIMEOUT)


@pytest.mark.gui
def test_quitting_during_an_export_asks_before_it_stops_the_export(qtbot, window, tmp_path, photo_factory):
    dialog = window.open_batch_dialog()
    output = start_held_export(qtbot, dialog, tmp_path, photo_factory, photos=4, hold_after=1)

    answer_next_question("Keep Exporting")
    window.close()
    assert window.isVisible() and dialog.running

    answer_next_question("Stop and Quit")
    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT) as blocker:
        window.close()
    assert not window.isVisible()
    assert blocker.args[0].cancelled
    assert files_under(output) == ["p0.jpg"]  # what was done is kept, nothing half-written


@pytest.mark.gui
def test_auto_render_size_exports_at_the_models_own_size(qtbot, catalog, tmp_path, photo_factory):
    from colorizer_app.core.pipeline import colorize

    widget = BatchDialog(model="tiny-test", catalog=catalog)  # render size Auto: tiny-test says 128
    qtbot.add_widget(widget)
    photo_factory(tmp_path / "album" / "scan.png", 320, 240, seed=5)
    widget.set_options(source=tmp_path / "album", output=tmp_path / "out", fmt="png", recursive=False)
    with qtbot.wait_signal(widget.batch_finished, timeout=TIMEOUT) as blocker:
        widget.start()
    widget.stop_and_wait()
    assert (blocker.args[0].done, len(blocker.args[0].failed)) == (1, 0)
    exported = load_photo(tmp_path / "out" / "scan.png").pixels
    original = load_photo(tmp_path / "album" / "scan.png").pixels
    model = catalog.load("tiny-test", device="cpu")
    assert (exported == colorize(original, model, render_size=128)).all()
    assert not (exported == colorize(original, model, render_size=256)).all()


@pytest.mark.gui
def test_export_uses_the_color_hints_set_in_the_window(qtbot, window, tmp_path, photo_factory):
    from PySide6.QtGui import QColor

    source = tmp_path / "album"
    hinted = photo_factory(source / "hinted.png", 96, 64, seed=7)
    photo_factory(source / "plain.png", 96, 64, seed=7)  # the same photo, without hints
    window.open_folder(source)
    with qtbot.wait_signal(window.result_shown, timeout=TIMEOUT):
        window.open_photo(hinted)
    dialog = window.open_batch_dialog()  # opened before the hint is set: it stays open as one works
    assert not any("color hints" in label.text() for label in dialog.findChildren(QLabel))
    with qtbot.wait_signal(window.result_shown, timeout=TIMEOUT):
        window.add_hint(0.25, 0.5, QColor(210, 30, 30))

    assert any("color hints set on 1 photo" in label.text() for label in dialog.findChildren(QLabel))
    dialog.set_options(output=tmp_path / "out", fmt="png")
    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT) as blocker:
        assert dialog.start()
    assert (blocker.args[0].done, len(blocker.args[0].failed)) == (2, 0)
    r, g, b = (int(v) for v in load_photo(tmp_path / "out" / "hinted.png").pixels[32, 24])
    assert r > g + 40 and r > b + 40  # the hint's red
    r, g, b = (int(v) for v in load_photo(tmp_path / "out" / "plain.png").pixels[32, 24])
    assert not (r > g + 40 and r > b + 40)  # the other photo is not touched by it


def test_the_folders_an_export_makes_show_in_the_tree(qtbot, window, tmp_path, photo_factory):
    photo_factory(tmp_path / "album" / "box 1" / "scan.png", 64, 48)
    window.open_folder(tmp_path / "album")
    tree, model = window.folder_tree, window.folder_tree.model()
    children = lambda folder: {model.index(r, 0, model.index(str(folder))).data()
                               for r in range(model.rowCount(model.index(str(folder))))}
    tree.reveal(str(tmp_path / "album"))
    qtbot.wait_until(lambda: "album" in children(tmp_path), timeout=TIMEOUT)
    assert "exported" not in children(tmp_path)
    dialog = window.open_batch_dialog()
    dialog.set_options(output=tmp_path / "exported", fmt="png", recursive=True)
    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT):
        assert dialog.start()
    qtbot.wait_until(lambda: "exported" in children(tmp_path), timeout=TIMEOUT)


@pytest.mark.gui
def test_export_finds_the_hints_of_a_photo_moved_since_they_were_set(qtbot, later_window, tmp_path, photo_factory):
    from colorizer_app.core import paths
    from colorizer_app.core.hints import Hint
    from colorizer_app.core.hintstore import HintStore

    inbox = tmp_path / "inbox"
    photo_factory(inbox / "scan.png", 96, 64, seed=7)
    red = (210, 30, 30)
    HintStore(paths.user_hints_file()).save({str(inbox / "scan.png"): [(Hint.from_rgb(0.25, 0.5, red), red)]})
    album = tmp_path / "album"
    inbox.rename(album)  # moved, and never opened in the app since

    window = later_window()
    dialog = window.open_batch_dialog()
    assert any("color hints set on 1 photo" in label.text() for label in dialog.findChildren(QLabel))
    dialog.set_options(source=album, output=tmp_path / "out", fmt="png")
    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT) as blocker:
        assert dialog.start()
    assert (blocker.args[0].done, len(blocker.args[0].failed)) == (1, 0)
    r, g, b = (int(v) for v in load_photo(tmp_path / "out" / "scan.png").pixels[32, 24])
    assert r > g + 40 and r > b + 40  # the hint's red, found by the photo's fingerprint


@pytest.mark.gui
def test_a_second_album_is_exported_into_a_folder_of_its_own(qtbot, catalog, qsettings, tmp_path, photo_factory):
    """Album B's p01.jpg must not be skipped because album A's p01.jpg was exported."""
    from colorizer_app.gui.settings import AppSettings

    settings = AppSettings(qsettings)
    for album in ("A", "B"):
        for i in (1, 2):
            photo_factory(tmp_path / album / f"p0{i}.jpg", seed=i + (album == "B") * 10)

    def export(source):
        dialog = BatchDialog(source=str(source), model="tiny-test", render_size=256, catalog=catalog,
                             settings=settings)
        qtbot.add_widget(dialog)
        with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT) as blocker:
            assert dialog.start()
        dialog.stop_and_wait()
        return dialog.job().output, blocker.args[0]

    output, report = export(tmp_path / "A")
    assert (output, report.done) == (str(tmp_path / "A" / "colorized"), 2)
    output, report = export(tmp_path / "B")
    assert (output, report.done, report.skipped) == (str(tmp_path / "B" / "colorized"), 2, 0)

    # Exported elsewhere last time: the next album gets a folder of its own there.
    dialog = BatchDialog(source=str(tmp_path / "A"), model="tiny-test", catalog=catalog, settings=settings)
    qtbot.add_widget(dialog)
    settings.export_source, settings.export_folder = str(tmp_path / "A"), str(tmp_path / "Exports")
    dialog._source_edit.setText(str(tmp_path / "B"))  # as typing or Browse… does
    assert dialog.job().output == str(tmp_path / "Exports" / "B")
    dialog._output_edit.setText(str(tmp_path / "mine"))
    dialog._source_edit.setText(str(tmp_path / "A"))
    assert dialog.job().output == str(tmp_path / "mine")  # what the person typed stays


@pytest.mark.gui
def test_an_export_adds_the_text_typed_to_each_name_and_the_next_export_offers_it(
        qtbot, catalog, qsettings, photo_folder, tmp_path):
    from colorizer_app.gui.settings import AppSettings

    settings = AppSettings(qsettings)
    dialog = BatchDialog(source=str(photo_folder), model="tiny-test", render_size=64, catalog=catalog,
                         settings=settings)
    qtbot.add_widget(dialog)
    output = tmp_path / "out"
    dialog.set_options(output=output, fmt="png")
    dialog.show()
    dialog.activateWindow()
    qtbot.wait_until(lambda: dialog.isActiveWindow())
    QTest.keyClick(dialog, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # "Add to &names:"
    assert dialog.focusWidget() is dialog._suffix_edit
    QTest.keyClicks(dialog._suffix_edit, "_color")
    with qtbot.wait_signal(dialog.batch_finished, timeout=TIMEOUT):
        assert dialog.start()
    dialog.stop_and_wait()
    assert files_under(output) == ["photo10_color.png", "photo1_color.png", "photo2_color.png"]
    assert sorted(p.name for p in photo_folder.iterdir()) == ["notes.txt", "photo1.jpg", "photo10.jpg", "photo2.png"]

    again = BatchDialog(source=str(photo_folder), model="tiny-test", catalog=catalog, settings=settings)
    qtbot.add_widget(again)
    assert again.job().suffix == "_color"


@pytest.mark.gui
def test_text_no_file_name_can_hold_is_refused_before_the_export_starts(dialog, photo_folder, tmp_path):
    dialog.set_options(source=photo_folder, output=tmp_path / "out", suffix="/../escaped")
    assert not dialog.start() and not dialog.running
    assert "holds /, which a file name cannot hold" in dialog.summary_text
    assert not (tmp_path / "out").exists() and not list(tmp_path.rglob("*escaped*"))


@pytest.mark.gui
def test_the_form_is_reachable_from_the_keyboard_in_order(qtbot, dialog):
    from PySide6.QtWidgets import QToolButton

    dialog.show()
    dialog.activateWindow()
    qtbot.wait_until(lambda: dialog.isActiveWindow())
    QTest.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)  # "&Save into:"
    assert dialog.focusWidget() is dialog._output_edit
    QTest.keyClick(dialog, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)  # "&Photos from:"
    assert dialog.focusWidget() is dialog._source_edit
    order = []
    for _ in range(5):
        QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        order.append(dialog.focusWidget())
    assert isinstance(order[0], QToolButton) and order[0].text() == "Browse…"
    assert order[1] is dialog._output_edit
    assert isinstance(order[2], QToolButton) and order[2] is not order[0]
    assert order[3] is dialog._format_combo
    assert order[4] is dialog._suffix_edit
