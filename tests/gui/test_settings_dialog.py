"""The Settings dialog's widgets without a training process: General settings, the
Training form's checks, the runs list, the plot, and how the main window opens it."""

import json
import os

import pytest
from PySide6.QtGui import QAction

from colorizer_app.gui.settings import AppSettings
from colorizer_app.gui.settings_dialog import GeneralSettings, SettingsDialog
from colorizer_app.gui.training_plot import CurvePlot, Series
from colorizer_app.gui.training_runs import LaunchRecord

TIMEOUT = 60_000


@pytest.fixture
def dialog(qtbot, qsettings, catalog, tmp_path):
    widget = SettingsDialog(settings=qsettings, catalog=catalog, runs_dir=tmp_path / "runs")
    qtbot.add_widget(widget)
    widget.show()
    yield widget
    widget.close()


@pytest.mark.gui
def test_general_settings_are_stored_and_shown_again(qtbot, dialog, qsettings, catalog, tmp_path):
    general = dialog.general_tab
    qtbot.waitUntil(lambda: general.device_note != "Looking for GPUs…", timeout=TIMEOUT)
    assert general.device_note == "No CUDA GPU found"  # the CPU build of torch
    assert [general.device_combo.itemData(i) for i in range(general.device_combo.count())] == ["auto", "cpu"]
    with qtbot.wait_signal(dialog.device_changed) as blocker:
        general.set_values(device="cpu", threads=1, render_size=768, saturation=1.25, output_format="png")
    assert blocker.args == ["cpu"]

    stored = GeneralSettings(qsettings)
    app = AppSettings(qsettings)
    assert (stored.device, stored.threads) == ("cpu", 1)
    assert (app.render_size, app.saturation, app.export_format) == (768, 1.25, "png")

    again = SettingsDialog(settings=qsettings, catalog=catalog, runs_dir=tmp_path / "runs")
    qtbot.add_widget(again)
    assert again.general_tab.device_combo.currentData() == "cpu"
    again.close()


@pytest.mark.gui
def test_a_saved_gpu_is_offered_even_before_the_probe_names_it(qtbot, qsettings, catalog, tmp_path):
    GeneralSettings(qsettings).device = "cuda:1"
    widget = SettingsDialog(settings=qsettings, catalog=catalog, runs_dir=tmp_path / "runs")
    qtbot.add_widget(widget)
    assert widget.general_tab.device_combo.currentData() == "cuda:1"
    widget.close()


@pytest.mark.gui
def test_the_form_checks_as_it_is_filled(qtbot, dialog, tmp_path, photo_factory, catalog):
    tab = dialog.training_tab
    # Sensible defaults: fine-tune the default model with the vivid loss for an hour.
    request = tab.request()
    assert (request.init, request.loss, request.time_budget_min, request.crop, request.batch_size) == (
        str(catalog.default().json_path), "classification", 60.0, 176, 16)
    assert not tab.start_button.isEnabled() and "Choose a folder" in tab.check_text

    album = tmp_path / "Family Album"
    for i in range(3):
        photo_factory(album / f"p{i}.jpg", seed=i, mode="RGB")
    tab.set_form(data=album)
    qtbot.waitUntil(lambda: tab.photo_count == 3, timeout=TIMEOUT)
    assert tab.request().name == "family-album"  # suggested from the folder
    assert tab.count_text == "3 photo files found" and "Only 3 photos" in tab.check_text
    assert tab.start_button.isEnabled()

    tab.set_form(loss="l1")  # disabled for a classification model; still refused if forced
    assert "predicts color classes" in tab.check_text and not tab.start_button.isEnabled()
    tab.set_form(init="pretrained")  # a new network: L1 is fine, adversarial is not
    assert tab.request().loss == "l1" and tab.start_button.isEnabled()
    tab.set_form(loss="gan")
    assert "starts from a trained model" in tab.check_text
    tab.set_form(init=str(catalog.default().json_path), name="bad/name")
    assert tab.request().loss == "gan" and "Use letters" in tab.check_text
    tab.set_form(name="family-album", val=str(album))
    assert "must not be among the training photos" in tab.check_text
    tab.set_form(val="")
    tab._val_combo.setCurrentIndex(tab._val_combo.findData("folder"))  # a folder of its own, not chosen yet
    assert "Choose the folder of validation photos" in tab.check_text and not tab.start_button.isEnabled()
    tab.set_form(val="", epochs=3)
    tab._data_edit.setText(os.path.relpath(album))  # typed relative to where the app was started
    assert tab.request().data == str(album)  # the run starts elsewhere: it gets the absolute path
    request = tab.request()
    assert (request.epochs, request.time_budget_min, request.val) == (3.0, 0.0, "")
    assert tab.start_button.isEnabled()


@pytest.mark.gui
def test_the_count_says_photo_files_as_a_broken_and_a_gray_one_count_too(qtbot, dialog, tmp_path, photo_factory):
    """Training leaves out what it cannot read or is gray; knowing which means decoding each file."""
    from PIL import Image

    folder = tmp_path / "mixed"
    photo_factory(folder / "gray.png", seed=1)
    folder.mkdir(exist_ok=True)
    Image.new("RGB", (96, 64), (200, 40, 40)).save(folder / "red.jpg")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    tab = dialog.training_tab
    tab.set_form(data=folder)
    qtbot.waitUntil(lambda: tab.photo_count is not None, timeout=TIMEOUT)
    assert tab.count_text == "3 photo files found"


def write_log(folder, events) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "log.jsonl").write_text("".join(json.dumps({"time": 1700000000.0, **e}) + "\n" for e in events))


@pytest.mark.gui
def test_the_runs_list_shows_whole_names_and_the_photos_each_run_trained_on(qtbot, qsettings, catalog, tmp_path):
    runs = tmp_path / "runs"
    val = {"event": "val", "iter": 20, "best": True, "loss": 3.6, "auc": 0.886, "psnr": 22.18, "colorfulness_gap": -0.1}
    for name in ("tk-photos", "family-album-fine-tune-2"):  # 24 characters
        write_log(runs / name, [{"event": "data", "train": 9934, "val": 400},
                                {"event": "start", "device": "cpu", "config": {"data": "/photos/tk", "export": True}},
                                val, {"event": "finished", "iter": 20}, {"event": "exported", "model": "/m/x.json"}])
    write_log(runs / "no-photos", [{"event": "error", "message": "too few usable photos in /e"}])  # none loaded

    widget = SettingsDialog(settings=qsettings, catalog=catalog, runs_dir=runs)
    qtbot.add_widget(widget)
    widget.resize(1180, 760)  # the default on a desktop screen (the offscreen one is smaller)
    widget.show()
    widget.show_training()
    tree = widget.training_tab._runs_tree
    assert tree.headerItem().text(4) == "Photos"
    texts = {tree.topLevelItem(r).text(0): tree.topLevelItem(r).text(4) for r in range(tree.topLevelItemCount())}
    assert texts == {"tk-photos": "9,934", "family-album-fine-tune-2": "9,934", "no-photos": ""}
    for column in range(tree.columnCount()):  # each whole, none scrolled out of sight
        assert tree.columnWidth(column) >= tree.sizeHintForColumn(column), tree.headerItem().text(column)
    assert sum(tree.columnWidth(c) for c in range(tree.columnCount())) <= tree.viewport().width()
    widget.close()


@pytest.mark.gui
def test_a_finished_runs_header_says_its_last_iteration_as_its_samples_do(qtbot, qsettings, catalog, tmp_path,
                                                                          photo_factory):
    """Steps are logged every 10 iterations; the run ends at 295 with its last validation."""
    folder = tmp_path / "runs" / "odd-end"
    preview = photo_factory(folder / "previews" / "iter_0000295.png", mode="RGB")
    steps = [{"event": "step", "iter": it, "epoch": it / 50, "loss": 3.0} for it in range(10, 300, 10)]
    write_log(folder, [{"event": "data", "train": 800, "val": 30},
                       {"event": "start", "device": "cpu", "config": {"data": "/photos", "export": True}},
                       *steps,
                       {"event": "val", "iter": 295, "epoch": 5.9, "best": True, "loss": 2.0, "auc": 0.9, "psnr": 22.0,
                        "colorfulness_gap": -0.1, "preview": str(preview)},
                       {"event": "finished", "iter": 295}, {"event": "exported", "model": "/m/odd-end.json"}])

    widget = SettingsDialog(settings=qsettings, catalog=catalog, runs_dir=tmp_path / "runs")
    qtbot.add_widget(widget)
    view = widget.training_tab.view
    assert widget.training_tab.select_run("odd-end")
    assert view.stats_text.startswith("Iteration 295 · epoch 5.9")
    assert "at iteration 295:" in view.preview_caption
    widget.close()


@pytest.mark.gui
def test_past_runs_are_listed_and_shown(qtbot, qsettings, catalog, tmp_path):
    runs = tmp_path / "runs"
    folder = runs / "summer"
    (folder / "previews").mkdir(parents=True)
    events = [
        {"event": "data", "time": 1700000000.0, "train": 40, "val": 2},
        {"event": "start", "device": "cpu", "config": {"data": "/photos/summer", "export": True}},
        {"event": "step", "iter": 10, "epoch": 1.0, "loss": 4.0, "img_per_s": 12.0},
        {"event": "step", "iter": 20, "epoch": 2.0, "loss": 3.5, "img_per_s": 12.0},
        {"event": "val", "iter": 20, "best": True, "loss": 3.6, "auc": 0.7, "psnr": 22.0, "colorfulness_gap": -0.1},
    ]
    (folder / "log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (folder / "ckpt.pt").write_bytes(b"x")
    LaunchRecord(["train", "--data", "/photos/summer"], pid=0, started=1700000000.0, stop_requested=True).write(folder)

    widget = SettingsDialog(settings=qsettings, catalog=catalog, runs_dir=runs)
    qtbot.add_widget(widget)
    tab = widget.training_tab
    [info] = tab.runs
    assert (info.name, info.status, info.resumable) == ("summer", "stopped", True)
    assert tab.select_run("summer")
    assert tab.resume_button.isEnabled() and tab.delete_button.isEnabled()
    assert tab.view.loss_plot.point_count() == 2 + 2 + 1 and tab.view.val_plot.point_count() == 1
    assert tab.view.state_text.startswith("Stopped")
    assert not tab.view.pause_button.isVisible()  # nothing to pause in a past run
    tab.set_form(name="summer")
    assert "A past run is called summer" in tab.check_text
    widget.close()


@pytest.mark.gui
def test_the_plot_draws_flat_and_noisy_series(qtbot):
    plot = CurvePlot("AuC")
    qtbot.add_widget(plot)
    plot.resize(400, 200)
    for points in ([], [(1, 0.5)], [(1, 0.5636657310637417), (2, 0.5636657310637418)],
                   [(i, 1.0 / i) for i in range(1, 500)], [(1, float("nan")), (2, 1.0)]):
        plot.set_series([Series("a", points, markers=True)])
        assert not plot.grab().isNull()
    plot.set_percent(True)
    plot.set_series([Series("gap", [(1, -0.3), (2, -0.1)])])
    assert not plot.grab().isNull() and plot.point_count() == 2


@pytest.mark.gui
def test_the_x_axis_is_named_under_its_ticks(qtbot):
    from PySide6.QtGui import QFontMetrics, QPalette

    plot = CurvePlot("Loss")
    qtbot.add_widget(plot)
    plot.resize(400, 220)
    plot.set_series([Series("training", [(i, 1.0 / i) for i in range(1, 300)])])
    image = plot.grab().toImage()
    metrics = QFontMetrics(plot.font())
    background = plot.palette().color(QPalette.ColorRole.Base).rgb()

    def inked_columns(top: int, bottom: int) -> list[int]:
        return [x for x in range(image.width()) if any(image.pixel(x, y) != background for y in range(top, bottom))]

    line_h, bottom = metrics.height(), image.height() - 4  # the lowest line: the axis's name
    ticks = inked_columns(bottom - 2 * line_h + 2, bottom - line_h - 2)
    name = inked_columns(bottom - line_h + 2, bottom)
    assert ticks and max(ticks) - min(ticks) > image.width() / 2  # "0" to "250", across the plot
    assert name and max(name) - min(name) <= metrics.horizontalAdvance("iteration") + 2  # one word, not the ticks


@pytest.mark.gui
def test_a_narrow_plot_puts_its_legend_under_the_title_not_over_it(qtbot):
    """The Settings dialog's splitter dragged to read the runs list leaves the loss
    plot a third of its width: "Loss" and the legend must not print over each other."""
    from PySide6.QtGui import QFontMetrics, QPalette

    plot = CurvePlot("Loss")
    qtbot.add_widget(plot)
    plot.set_series([Series("training (smoothed)", [(1, 3.9), (2, 3.8)]),
                     Series("validation", [(1, 1.3), (2, 1.29)], markers=True)])
    metrics = QFontMetrics(plot.font())
    background = plot.palette().color(QPalette.ColorRole.Base).rgb()

    def drawn_on_line(image, line: int, x0: int) -> bool:
        top = 4 + line * metrics.height()
        return any(image.pixel(x, y) != background
                   for y in range(top + 2, top + metrics.height() - 2) for x in range(x0, image.width() - 8))

    title_end = 8 + metrics.horizontalAdvance("Loss") + 4
    labelled, values = ["training (smoothed) 3.80", "validation 1.29"], ["3.80", "1.29"]
    room = lambda texts: 16 + sum(metrics.horizontalAdvance(t) + 30 for t in texts)  # a line of its own
    for width, legend_line in ((room(labelled) + 200, 0), (room(labelled) + 2, 1)):
        plot.resize(width, 220)
        image = plot.grab().toImage()
        assert plot.legend_layout() == (legend_line, labelled)
        assert drawn_on_line(image, legend_line, title_end)  # the legend is there
        if legend_line == 1:
            assert not drawn_on_line(image, 0, title_end)  # and not over the title's line
    plot.resize(room(values) + 2, 220)  # narrower still: the values, the colors tell which is which
    assert plot.legend_layout() == (1, values)


@pytest.mark.gui
def test_the_windows_settings_action_opens_it_wired_to_the_window(qtbot, window):
    action = next(a for a in window.findChildren(QAction) if a.text() == "S&ettings…")
    assert action.isEnabled()
    action.trigger()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.isVisible()
    with qtbot.wait_signal(window.models_refreshed, timeout=TIMEOUT):
        dialog.models_changed.emit()  # what a run's export does
    dialog.general_tab.set_values(render_size=640, saturation=0.5)
    assert (window.tune_panel.render_size, window.tune_panel.saturation) == (640, 0.5)
    with qtbot.wait_signal(window.client.device_ready, timeout=TIMEOUT):
        dialog.general_tab.set_values(device="cpu")
    dialog.close()


@pytest.mark.gui
def test_a_validation_folder_gets_room_for_its_path(qtbot, dialog, tmp_path):
    dialog.resize(1280, 800)
    dialog.show_training()
    tab = dialog.training_tab
    tab.set_form(val=str(tmp_path / "photos of the family kept apart for validation"))
    qtbot.waitUntil(lambda: tab._val_edit.isVisible())
    # A line of its own, as wide as the photo folder's, not a dozen characters beside the choice.
    assert tab._val_edit.width() >= tab._data_edit.width() - 10
    tab.set_form(val="")
    assert not tab._val_edit.isVisible() and tab._val_percent.isVisible()


@pytest.mark.gui
def test_the_dialog_opens_no_larger_than_the_screen(dialog):
    """1180×760 suits the training plots on a desktop; on a small screen (the offscreen
    one is 800×600) the dialog opens no larger than the screen, or its own minimum."""
    free = dialog.screen().availableGeometry()
    minimum = dialog.minimumSizeHint()
    assert dialog.width() <= max(free.width(), minimum.width())
    assert dialog.height() <= max(free.height(), minimum.height())


@pytest.mark.gui
def test_the_dialog_fits_a_netbook_screen_with_its_taskbar(dialog):
    """1024×600 less a 40 px taskbar and a 30 px title bar leaves 530 px: the form
    and the runs list scroll rather than push Close off the screen."""
    minimum = dialog.minimumSizeHint()
    assert minimum.height() <= 530 and minimum.width() <= 1024


@pytest.mark.gui
def test_each_alt_letter_is_used_once_per_page(dialog):
    """Alt+letter on a page: its labels and buttons (the run's Pause and Stop too,
    shown only during a run) and the tab names; two with one letter only trade focus."""
    from PySide6.QtWidgets import QAbstractButton, QLabel, QTabWidget

    tabs = dialog.findChild(QTabWidget)
    tab_names = [tabs.tabText(i) for i in range(tabs.count())]
    for page in (dialog.general_tab, dialog.training_tab):
        texts = [w.text() for w in page.findChildren(QAbstractButton)]
        texts += [w.text() for w in page.findChildren(QLabel) if w.buddy() is not None]
        letters = {}
        for text in texts + tab_names:
            plain = text.replace("&&", "")
            at = plain.find("&")
            if 0 <= at < len(plain) - 1:
                letters.setdefault(plain[at + 1].lower(), []).append(text)
        assert {k: v for k, v in letters.items() if len(v) > 1} == {}
