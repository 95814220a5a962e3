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
    assert tab.count_text == "3 photos found" and "Only 3 photos" in tab.check_text
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
