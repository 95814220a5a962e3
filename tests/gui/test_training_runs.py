"""Real training runs from the Settings dialog: a real detached process of the real
training module on a dozen generated color photos (tiny preset, from scratch, one
thread), followed through its log. Waits are generous; nothing asserts durations."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from colorizer_app.core import paths, runlock
from colorizer_app.core.catalog import ModelCatalog
from colorizer_app.core.imageio import load_photo
from colorizer_app.core.pipeline import colorize
from colorizer_app.gui import training_pids
from colorizer_app.gui.settings_dialog import SettingsDialog
from colorizer_app.gui.training_keeper import RunKeeper
from colorizer_app.gui.training_runs import list_runs, read_run
from tests.gui.modal import answer_next_question

TIMEOUT = 60_000
TINY = ("--preset", "tiny", "--threads", "1")
# A longer run to stop halfway: checkpoints every 10 iterations, 80 in all (epochs=40 below).
LONG = TINY + ("--max-iters", "0", "--ckpt-interval", "10", "--eval-interval", "40")


def write_color_photos(folder: Path, count: int = 12, seed: int = 0) -> Path:
    """80x96 photos with a rule to learn: sky above, grass below, a red disc."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:80, 0:96]
    for i in range(count):
        horizon = int(rng.integers(25, 55))
        img = np.where((y < horizon)[..., None], [70, 130, 220], [60, 150, 50]).astype(np.float64)
        cx, cy = rng.integers(12, 84), rng.integers(12, 68)
        img[(x - cx) ** 2 + (y - cy) ** 2 < 64] = [200, 40, 40]
        img += rng.normal(0, 6, img.shape)
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(folder / f"photo{i:02d}.png")
    return folder


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    return write_color_photos(tmp_path_factory.mktemp("color_photos"))


@pytest.fixture
def catalog(tiny_model_json) -> ModelCatalog:
    """The tiny test model as the bundled one; user models in this test's data folder,
    where runs export (the window fixture uses this catalog too)."""
    return ModelCatalog(bundled_dir=Path(tiny_model_json).parent, user_dir=paths.user_models_dir())


@pytest.fixture
def data_catalog(catalog) -> ModelCatalog:
    return catalog


def stop_and_wait(qtbot, process) -> None:
    if process is not None and process.active:
        process.stop()
        qtbot.waitUntil(lambda: not process.active, timeout=TIMEOUT)


@pytest.fixture
def dialogs(qtbot, qsettings, data_catalog):
    """Make Settings dialogs: ``dialogs(parent, training_args)``. Afterwards any run they
    (or a RunKeeper of their window) left going is stopped before they close, so closing
    asks nothing; they are not qtbot's widgets, whose closing comes before this."""
    made = []

    def make(parent=None, training_args=TINY) -> SettingsDialog:
        dialog = SettingsDialog(parent, settings=qsettings, catalog=data_catalog, training_args=training_args)
        made.append(dialog)
        dialog.show()
        dialog.show_training()
        return dialog

    yield make
    for dialog in made:
        stop_and_wait(qtbot, dialog.training_tab.process)
        keeper = RunKeeper.find(dialog.parentWidget())
        stop_and_wait(qtbot, keeper.process if keeper else None)
        dialog.close()
        dialog.deleteLater()
    for info in list_runs(paths.user_runs_dir()):  # belt and braces
        if info.status == "running":
            training_pids.terminate(info.launch.pid)


@pytest.fixture
def main_window(qtbot, catalog, qsettings, thumbnail_loader):
    """The real main window, started; closed after the dialogs' runs were stopped."""
    from colorizer_app.gui.main_window import MainWindow

    win = MainWindow(catalog=catalog, settings=qsettings, thumbnail_loader=thumbnail_loader)
    win.resize(1000, 700)
    with qtbot.wait_signal(win.models_refreshed, timeout=TIMEOUT):
        win.show()
        win.start()
    yield win
    keeper = RunKeeper.find(win)
    stop_and_wait(qtbot, keeper.process if keeper else None)
    win.close()
    win.deleteLater()


def fill_form(qtbot, tab, data, name, epochs=2.0, expect_count=None):
    tab.set_form(data=data, name=name, init="scratch", loss="classification", epochs=epochs, crop=64, batch_size=4)
    qtbot.waitUntil(lambda: tab.photo_count is not None, timeout=TIMEOUT)
    if expect_count is not None:
        assert tab.photo_count == expect_count


def wait_for_step(qtbot, tab, iteration: int) -> None:
    qtbot.waitUntil(lambda: tab.process.history.iteration >= iteration, timeout=TIMEOUT)


@pytest.mark.gui
def test_a_run_started_in_settings_updates_its_curves_and_its_model_appears_in_the_window(
        qtbot, main_window, dialogs, photos, data_catalog, tmp_path):
    window = main_window
    # 12 iterations (6 epochs of 2), a validation every 2.
    dialog = dialogs(window, TINY + ("--max-iters", "0", "--ckpt-interval", "100"))
    dialog.models_changed.connect(window.refresh_models)  # as the window's Settings action does
    tab = dialog.training_tab
    fill_form(qtbot, tab, photos, "family", epochs=6.0, expect_count=12)
    assert tab.start_button.isEnabled() and "Only 12 photos" in tab.check_text

    counts = []
    with qtbot.wait_signal(window.models_refreshed, timeout=TIMEOUT,
                           check_params_cb=lambda entries: "family" in [e.name for e in entries]):
        qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
        assert tab.active and not tab.start_button.isEnabled()
        tab.process.events_arrived.connect(lambda events: counts.append(tab.view.loss_plot.point_count()))
    qtbot.waitUntil(lambda: tab.process.state == "finished", timeout=TIMEOUT)

    # The curves grew while it ran; the samples of the last validation are shown.
    history = tab.process.history
    assert history.iteration == 12 and len(history.loss) == 12 and len(history.val["auc"]) == 6
    assert counts == sorted(counts) and len(set(counts)) >= 2
    assert counts[-1] == tab.view.loss_plot.point_count() == 12 + 12 + 6  # steps, smoothed, validations
    assert tab.view.val_plot.point_count() == 6
    assert not tab.view.preview.isNull()
    assert tab.view.state_text == "Finished: model family is in your models folder"

    # The window's model selector lists it, with its validation metrics in the tooltip.
    selector = window.model_selector
    row = selector.names().index("family")
    assert "Validation: " in selector.itemData(row, Qt.ItemDataRole.ToolTipRole)
    entry = ModelCatalog(bundled_dir=tmp_path / "none", user_dir=paths.user_models_dir()).find("family")
    assert entry.usable and entry.origin == "user" and "val AuC" in entry.description

    # And it colorizes a photo.
    gray = load_photo(next(photos.glob("*.png"))).pixels.mean(axis=2).round().astype(np.uint8)
    out = colorize(gray, data_catalog.load("family", device="cpu"), render_size=64)
    assert out.shape == (*gray.shape, 3) and out.dtype == np.uint8

    # The list of runs shows it; deleting the run keeps the model.
    [info] = tab.runs
    assert (info.name, info.status, info.data) == ("family", "finished", str(photos))
    assert info.metrics_text().startswith("AuC ")
    assert tab.delete_button.isEnabled() and not tab.resume_button.isEnabled()
    answer_next_question("Yes")
    qtbot.mouseClick(tab.delete_button, Qt.MouseButton.LeftButton)
    assert tab.runs == [] and not (paths.user_runs_dir() / "family").exists()
    assert tab.view.loss_plot.point_count() == 0 and tab.view.state_text == ""
    assert (paths.user_models_dir() / "family.json").is_file()
    dialog.close()


@pytest.mark.gui
def test_pause_stop_and_resume_a_run_from_its_checkpoint(qtbot, dialogs, photos):
    dialog = dialogs(None, LONG)
    tab = dialog.training_tab
    fill_form(qtbot, tab, photos, "halfway", epochs=40.0)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    wait_for_step(qtbot, tab, 11)  # past the checkpoint at iteration 10

    process = tab.process
    row = tab._runs_tree.currentItem()  # while it runs, its row shows the photos it loaded
    assert row.text(0) == "halfway" and process.history.train_photos > 0
    assert row.text(4) == f"{process.history.train_photos:,}"
    qtbot.mouseClick(tab.view.pause_button, Qt.MouseButton.LeftButton)
    assert process.state == "paused" and tab.view.pause_button.text() == "Contin&ue"
    if Path("/proc").is_dir():
        qtbot.waitUntil(lambda: training_pids.process_paused(process.pid), timeout=TIMEOUT)
    with qtbot.wait_signal(process.ended, timeout=TIMEOUT) as ended:
        qtbot.mouseClick(tab.view.stop_button, Qt.MouseButton.LeftButton)  # stops a paused run too
    assert ended.args == ["stopped", ""]
    assert tab.view.state_text.startswith("Stopped")
    stopped_at = process.history.iteration
    assert (paths.user_runs_dir() / "halfway" / "ckpt.pt").is_file()
    assert not (paths.user_models_dir() / "halfway.json").exists()

    info = next(r for r in tab.runs if r.name == "halfway")
    assert info.status == "stopped" and info.resumable and tab.resume_button.isEnabled()
    run_dir = paths.user_runs_dir() / "halfway"
    assert not runlock.stop_requested(run_dir)  # the run acted on the request and removed it
    runlock.request_stop(run_dir)  # as a run killed before it could act would leave it: not the next start's
    with qtbot.wait_signal(tab.model_exported, timeout=TIMEOUT):
        qtbot.mouseClick(tab.resume_button, Qt.MouseButton.LeftButton)
        resumed = tab.process
        assert resumed is not process
        # While the resumed process still loads its photos, the curves so far stay on show.
        assert tab.view.loss_plot.point_count() >= stopped_at
    qtbot.waitUntil(lambda: resumed.state == "finished", timeout=TIMEOUT)

    history = resumed.history
    assert history.resumes == 1 and history.iteration == 80
    iterations = [it for it, _ in history.loss]
    assert iterations == sorted(set(iterations)) and iterations[-1] == 80  # rewound to the checkpoint, no doubles
    assert len(iterations) >= stopped_at  # the first start's points are kept up to its checkpoint
    assert read_run(paths.user_runs_dir() / "halfway").status == "finished"
    assert (paths.user_models_dir() / "halfway.json").is_file()
    dialog.close()


@pytest.mark.gui
def test_runs_on_folders_without_usable_photos_fail_clearly_and_leave_no_model(
        qtbot, dialogs, tmp_path, photo_factory):
    tab = dialogs().training_tab
    empty = tmp_path / "empty"
    empty.mkdir()
    fill_form(qtbot, tab, empty, "nothing", expect_count=0)
    assert not tab.start_button.isEnabled() and "No photos in empty" in tab.check_text

    # Started anyway (the form is the caller's business): the training module says why.
    with qtbot.wait_signal(tab.active_changed, timeout=TIMEOUT, check_params_cb=lambda active: not active):
        assert tab.start(tab.request())
    assert tab.process.state == "failed"
    assert "too few usable photos in " + str(empty) in tab.view.message
    assert tab.view.state_text == "Failed"

    # Black-and-white photos count as photo files, but training leaves them out.
    gray = tmp_path / "old_album"
    for i in range(3):
        photo_factory(gray / f"scan{i}.png", 96, 80, seed=i)
    fill_form(qtbot, tab, gray, "old-album", expect_count=3)
    assert tab.start_button.isEnabled() and "Only 3 photos" in tab.check_text
    with qtbot.wait_signal(tab.active_changed, timeout=TIMEOUT, check_params_cb=lambda active: not active):
        qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    assert "3 grayscale" in tab.view.message and "color photos" in tab.view.message

    runs = {r.name: r for r in tab.runs}
    assert runs["nothing"].status == runs["old-album"].status == "failed"
    assert not runs["nothing"].has_checkpoint
    tab.refresh_runs(select="nothing")  # Resume would start it over: the button says so
    assert "no checkpoint to continue from" in tab.resume_button.toolTip()
    assert not (paths.user_models_dir() / "nothing.json").exists()
    assert not (paths.user_models_dir() / "old-album.json").exists()


@pytest.mark.gui
def test_closing_settings_can_leave_a_run_going_and_closing_the_window_can_stop_it(
        qtbot, main_window, dialogs, photos):
    window = main_window
    dialog = dialogs(window, LONG)
    tab = dialog.training_tab
    fill_form(qtbot, tab, photos, "background", epochs=40.0)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    wait_for_step(qtbot, tab, 1)
    process = tab.process
    process.pause()  # keeps the run from finishing while the test looks

    answer_next_question("Cancel")
    dialog.close()
    assert dialog.isVisible() and tab.process is process

    answer_next_question("Leave Running")
    dialog.close()
    assert not dialog.isVisible()
    keeper = RunKeeper.find(window)
    assert keeper is not None and keeper.process is process
    assert process.state == "running" and training_pids.process_alive(process.pid)  # left running, not paused

    # A new Settings dialog shows the same run again.
    again = dialogs(window, LONG)
    assert again.training_tab.process is process and RunKeeper.find(window) is None
    assert again.training_tab.view.loss_plot.point_count() > 0
    process.pause()
    answer_next_question("Leave Running")
    again.close()

    # Closing the window asks too; Stop Training ends the run, which can be resumed later.
    pid = RunKeeper.find(window).process.pid
    answer_next_question("Stop Training")
    window.close()
    qtbot.waitUntil(lambda: not training_pids.process_alive(pid), timeout=TIMEOUT)
    assert read_run(paths.user_runs_dir() / "background").status == "stopped"
