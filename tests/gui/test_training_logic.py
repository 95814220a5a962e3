"""The Training tab's plain classes, without widgets: JSON-line parsing, run history,
command building, form checks, photo counting, the list of past runs, plot ticks."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from colorizer_app.gui import training_pids
from colorizer_app.gui.training_command import TrainRequest, args_from_config, train_args, training_command
from colorizer_app.gui.training_events import JsonLineParser, RunHistory
from colorizer_app.gui.training_form import (
    allowed_losses, check_name, check_request, count_photos, starting_models, suggest_name,
)
from colorizer_app.gui.training_plot import nice_ticks, smoothed, tick_labels
from colorizer_app.gui.training_runs import LaunchRecord, delete_run, list_runs, outcome, read_run, stderr_tail


def line(event: str, **fields) -> bytes:
    return (json.dumps({"event": event, "time": 1000.0, **fields}) + "\n").encode()


# JSON lines -------------------------------------------------------------------
class TestJsonLineParser:
    def test_lines_split_across_chunks_arrive_once_whole(self):
        data = line("step", iter=1, loss=2.5) + line("step", iter=2, loss=2.0)
        parser = JsonLineParser()
        events = []
        for i in range(0, len(data), 7):  # 7-byte chunks cut lines (and a UTF-8 char) anywhere
            events += parser.feed(data[i:i + 7])
        assert [(e["event"], e["iter"]) for e in events] == [("step", 1), ("step", 2)]

    def test_partial_last_line_waits_for_flush(self):
        parser = JsonLineParser()
        assert parser.feed(line("data", train=3)[:-1]) == []
        assert parser.flush()[0]["train"] == 3
        assert parser.flush() == []

    @pytest.mark.parametrize("junk", [b"loading...\n", b"[1, 2]\n", b'{"no_event": 1}\n', b'{"event": "st\n',
                                      b"\xff\xfe\n"])
    def test_junk_is_skipped_and_counted(self, junk):
        parser = JsonLineParser()
        events = parser.feed(junk + line("finished", iter=4) + b"\r\n")
        assert [e["event"] for e in events] == ["finished"]
        assert parser.skipped == 1

    def test_non_ascii_text_survives(self):
        parser = JsonLineParser()
        events = parser.feed(line("error", message="Fotos für Oma: zu wenige"))
        assert events[0]["message"] == "Fotos für Oma: zu wenige"


class TestRunHistory:
    def test_curves_speed_and_end(self):
        h = RunHistory()
        for e in (
            {"event": "data", "time": 5.0, "train": 11, "val": 1},
            {"event": "start", "device": "cpu", "config": {"data": "/p", "export": True}},
            {"event": "step", "iter": 1, "epoch": 0.5, "loss": 3.0, "img_per_s": 20.0, "progress": 0.25, "eta_s": 9},
            {"event": "step", "iter": 2, "epoch": 1.0, "loss": 2.0, "img_per_s": 22.0, "progress": 0.5, "eta_s": 6},
            {"event": "val", "iter": 2, "best": True, "loss": 2.5, "auc": 0.6, "psnr": 20.0,
             "colorfulness_gap": -0.3, "preview": "/r/previews/iter_2.png"},
            {"event": "finished", "iter": 2, "best": {"auc": 0.6, "psnr": 20.0}},
            {"event": "exported", "model": "/m/a.json"},
        ):
            h.add(e)
        assert h.loss == [(1, 3.0), (2, 2.0)]
        assert h.val["auc"] == [(2, 0.6)] and h.val["loss"] == [(2, 2.5)]
        assert (h.iteration, h.img_per_s, h.train_photos, h.device, h.started) == (2, 22.0, 11, "cpu", 5.0)
        assert h.preview == "/r/previews/iter_2.png"
        assert (h.ended, h.exported, h.best["auc"]) == ("exported", "/m/a.json", 0.6)
        assert outcome(h, stop_requested=False) == ("finished", "")

    def test_resume_from_an_older_checkpoint_drops_the_points_after_it(self):
        h = RunHistory()
        for it in range(1, 8):
            h.add({"event": "step", "iter": it, "loss": float(10 - it)})
        h.add({"event": "val", "iter": 6, "loss": 4.0})
        h.add({"event": "data", "train": 3})
        h.add({"event": "resume", "iter": 4})
        h.add({"event": "step", "iter": 5, "loss": 1.0})
        assert h.loss == [(1, 9.0), (2, 8.0), (3, 7.0), (4, 6.0), (5, 1.0)]
        assert h.val["loss"] == [] and h.resumes == 1

    @pytest.mark.parametrize("end", ["finished", "stopped"])
    def test_the_last_iteration_is_the_ends_not_the_last_logged_steps(self, end):
        h = RunHistory().add_all([{"event": "step", "iter": it, "epoch": it / 50, "loss": 1.0} for it in (280, 290)])
        h.add({"event": "val", "iter": 295, "epoch": 5.9, "loss": 1.0})
        h.add({"event": end, "iter": 295})
        assert (h.iteration, h.epoch) == (295, 5.9)  # as the last validation's samples say

    @pytest.mark.parametrize("events, stop_requested, expected", [
        ([{"event": "error", "message": "too few usable photos in /x"}], False, ("failed", "too few usable photos in /x")),
        ([{"event": "step", "iter": 3, "loss": 1.0}], True, ("stopped", "")),
        ([{"event": "step", "iter": 3, "loss": 1.0}], False, ("failed", "the training process ended unexpectedly")),
        ([{"event": "step", "iter": 3, "loss": 1.0}], None, ("stopped", "")),  # started elsewhere
        ([{"event": "finished", "iter": 3}], False, ("failed", "the run ended but its model was not exported")),
        ([{"event": "start", "config": {"export": False}}, {"event": "finished"}], False, ("finished", "")),
        ([{"event": "exported", "model": "a"}, {"event": "data"}, {"event": "error", "message": "m"}], False,
         ("failed", "m")),
    ])
    def test_outcome(self, events, stop_requested, expected):
        assert outcome(RunHistory().add_all(events), stop_requested) == expected


# Commands -----------------------------------------------------------------------
class TestCommand:
    def test_train_args_from_a_request(self):
        request = TrainRequest(data="/photos", name="fam", init="/m/vivid.json", loss="gan", epochs=3,
                               time_budget_min=0, crop=128, batch_size=8, out_dir="/runs/fam", export_dir="/models",
                               device="cuda:1", threads=2, extra_args=("--preset", "tiny"))
        args = train_args(request)
        assert args[:3] == ["train", "--data", "/photos"]
        pairs = dict(zip(args[1::2], args[2::2]))
        assert pairs == {"--data": "/photos", "--name": "fam", "--init": "/m/vivid.json", "--loss": "gan",
                         "--crop": "128", "--batch-size": "8", "--val-fraction": "0.04", "--epochs": "3",
                         "--out-dir": "/runs/fam", "--export-dir": "/models", "--device": "cuda:1",
                         "--threads": "2", "--preset": "tiny"}

    def test_defaults_leave_device_and_threads_to_the_module_and_use_a_time_budget(self):
        args = train_args(TrainRequest(data="/p", name="n", val="/v", time_budget_min=0.5))
        assert "--device" not in args and "--threads" not in args and "--val-fraction" not in args
        assert args[args.index("--time-budget-min") + 1] == "0.5" and args[args.index("--val") + 1] == "/v"

    def test_the_program_is_this_python_through_the_launcher(self):
        program, arguments = training_command(["train", "--name", "x"], "/r/stderr.log")
        assert program == sys.executable
        assert arguments == ["-m", "colorizer_app.gui.training_launch", "/r/stderr.log", "train", "--name", "x"]

    @pytest.mark.skipif(sys.platform == "win32", reason="closes the handles with preexec_fn (POSIX)")
    def test_the_launcher_writes_errors_to_the_file_when_started_without_standard_handles(self, tmp_path):
        """A parent with no console (pythonw on Windows) gives the run no stdin, stdout
        or stderr: the training module's errors still reach stderr.log."""
        log = tmp_path / "stderr.log"
        _, arguments = training_command(["train", "--data", str(tmp_path), "--name", "x"], str(log))

        def without_standard_handles():
            for fd in (0, 1, 2):
                os.close(fd)

        done = subprocess.run([sys.executable, *arguments], preexec_fn=without_standard_handles,
                              cwd=Path(__file__).parents[2], timeout=120)
        assert done.returncode == 2
        assert log.read_text(encoding="utf-8").startswith("error: set --max-iters, --epochs or --time-budget-min")

    def test_args_from_a_start_events_config_parse_back_to_the_same_config(self):
        from training.cli import build_parser
        from training.config import make_config

        cfg = make_config("tiny", data="/p", name="n", init="scratch", out_dir="/r", amp=False, lr=3e-4)
        config = {k: v for k, v in vars(cfg).items()}
        args = args_from_config(config)
        parsed = vars(build_parser().parse_args(args))
        again = make_config(None, **{k: v for k, v in parsed.items() if k not in ("command", "preset")})
        assert vars(again) == config

    def test_the_launcher_appends_stderr_and_runs_the_module(self, tmp_path):
        stderr = tmp_path / "stderr.log"
        stderr.write_text("earlier start\n")
        program, arguments = training_command(["train", "--name", "x"], str(stderr))  # --data missing
        result = subprocess.run([program, *arguments], capture_output=True, cwd=Path(__file__).parents[2])
        assert result.returncode == 2 and result.stdout == b"" and result.stderr == b""
        text = stderr.read_text()
        assert text.startswith("earlier start\n") and "--data" in text
        assert stderr_tail(tmp_path, offset=len("earlier start\n"), lines=1).startswith("python -m training")


# The form ------------------------------------------------------------------------
def entry(name, head="classification", usable=True, path="/m"):
    return SimpleNamespace(name=name, json_path=Path(path) / f"{name}.json", usable=usable,
                           meta={"config": {"head": head}}, description=f"{name} model")


class TestForm:
    def test_starting_models_put_the_default_first_and_new_networks_last(self):
        starts = starting_models([entry("a"), entry("vivid"), entry("broken", usable=False),
                                  entry("base", head="regression")], default_name="vivid")
        assert [s.init for s in starts] == ["/m/vivid.json", "/m/a.json", "/m/base.json", "pretrained", "scratch"]
        assert [s.head for s in starts] == ["classification", "classification", "regression", None, None]

    @pytest.mark.parametrize("head, loss, ok", [
        (None, "classification", True), (None, "l1", True), (None, "gan", False),
        ("classification", "classification", True), ("classification", "gan", True), ("classification", "l1", False),
        ("regression", "l1", True), ("regression", "gan", True), ("regression", "classification", False),
    ])
    def test_the_starting_models_head_decides_the_loss(self, head, loss, ok):
        assert (loss in allowed_losses(head)) == ok

    @pytest.mark.parametrize("name, error", [
        ("family-1950s", ""), ("Müller_v2.1", ""), ("", "Give the new model a name"),
        ("../evil", "Use letters"), ("a b", "Use letters"), ("-x", "Use letters"), ("x.", "Use letters"),
        ("con", "Windows keeps con for a device"), ("NUL.txt", "Windows keeps NUL"), ("x" * 65, "too long"),
        ("mine.json", "Leave out the ending .json"), ("mine.SafeTensors", "Leave out the ending .safetensors"),
    ])
    def test_names_are_safe_file_names(self, tmp_path, name, error):
        check = check_name(name, tmp_path / "models", tmp_path / "runs")
        if error:
            assert error in check.errors[0]
        else:
            assert check.ok

    def test_existing_run_is_an_error_existing_model_a_warning(self, tmp_path):
        (tmp_path / "runs" / "old").mkdir(parents=True)
        (tmp_path / "models").mkdir()
        (tmp_path / "models" / "mine.json").write_text("{}")
        assert "past run is called old" in check_name("old", tmp_path / "models", tmp_path / "runs").errors[0]
        mine = check_name("mine", tmp_path / "models", tmp_path / "runs")
        assert mine.ok and "replaces it" in mine.warnings[0]
        vivid = check_name("vivid", tmp_path / "models", tmp_path / "runs", bundled=["vivid"])
        assert vivid.ok and "bundled" in vivid.warnings[0]

    def check(self, tmp_path, count=200, head=None, **fields):
        data = tmp_path / "photos"
        data.mkdir(exist_ok=True)
        values = dict(data=str(data), name="fresh", time_budget_min=60.0)
        values.update(fields)
        return check_request(TrainRequest(**values), head, count, tmp_path / "models", tmp_path / "runs")

    def test_a_sensible_request_passes(self, tmp_path):
        check = self.check(tmp_path)
        assert check.ok and not check.warnings

    @pytest.mark.parametrize("fields, count, head, message", [
        ({"data": ""}, None, None, "Choose a folder"),
        ({"data": "/no/such/folder"}, None, None, "is not a folder"),
        ({}, 0, None, "No photos in photos"),
        ({"val": "/no/such/val"}, 200, None, "validation folder /no/such/val is not a folder"),
        ({"loss": "gan"}, 200, None, "Adversarial fine-tuning starts from a trained model"),
        ({"loss": "l1"}, 200, "classification", "predicts color classes"),
        ({"loss": "classification"}, 200, "regression", "is an L1 (regression) model"),
        ({"epochs": 2.0}, 200, None, "epochs or for a time budget"),
        ({"time_budget_min": 0.0}, 200, None, "epochs or for a time budget"),
        ({"crop": 100}, 200, None, "multiple of 16"),
    ])
    def test_errors(self, tmp_path, fields, count, head, message):
        check = self.check(tmp_path, count, head, **fields)
        assert not check.ok and message in check.text()

    def test_few_photos_warn_but_do_not_block(self, tmp_path):
        check = self.check(tmp_path, count=12)
        assert check.ok and "Only 12 photos" in check.warnings[0]

    def test_validation_folder_must_differ_from_the_photos(self, tmp_path):
        check = self.check(tmp_path, val=str(tmp_path / "photos" / "." ))
        assert "must not be among the training photos" in check.text()

    def test_validation_photos_inside_the_photo_folder_are_refused_and_the_other_way_round(self, tmp_path):
        (tmp_path / "photos" / "val").mkdir(parents=True)
        inside = self.check(tmp_path, val=str(tmp_path / "photos" / "val"))
        around = self.check(tmp_path, val=str(tmp_path))
        assert "must not be among the training photos" in inside.text()
        assert "must not be among the training photos" in around.text()

    def test_suggested_names_come_from_the_folder_and_are_numbered(self):
        taken = {"family-1950s", "family-1950s-2"}
        assert suggest_name("/x/Family 1950s", taken.__contains__) == "family-1950s-3"
        assert suggest_name("/", taken.__contains__) == "my-model"
        assert suggest_name("/photos/con", taken.__contains__) == "model-con"  # a name the form refuses
        assert suggest_name("/photos/scans.json", taken.__contains__) == "scans"

    def test_count_photos_recursively_by_suffix(self, tmp_path):
        for rel in ("a.jpg", "b.PNG", "sub/c.tiff", "sub/deeper/d.webp", ".hidden.jpg", "notes.txt", "sub/e.gif"):
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_bytes(b"x")
        assert count_photos(tmp_path) == 4
        assert count_photos(tmp_path / "missing") == 0
        assert count_photos(tmp_path, cancelled=lambda: True) is None


# Runs on disk --------------------------------------------------------------------
def write_run(runs: Path, name: str, events: list[dict], launch: LaunchRecord | None = None, ckpt=True) -> Path:
    folder = runs / name
    folder.mkdir(parents=True)
    (folder / "log.jsonl").write_bytes(b"".join(line(**e) for e in events))
    if ckpt:
        (folder / "ckpt.pt").write_bytes(b"x")
    if launch:
        launch.write(folder)
    return folder


def started(data="/photos/family", t=1000.0, **config):
    return [{"event": "data", "train": 10, "val": 1},
            {"event": "start", "device": "cpu", "config": {"data": data, "name": "x", "export": True, **config}}]


class TestRuns:
    def test_list_reads_status_data_and_metrics_newest_first(self, tmp_path):
        val = {"event": "val", "iter": 2, "best": True, "loss": 2.0, "auc": 0.61, "psnr": 21.5,
               "colorfulness_gap": -0.2}
        write_run(tmp_path, "done", started() + [val, {"event": "finished"}, {"event": "exported", "model": "/m/done.json"}],
                  LaunchRecord(["train"], pid=0, started=3000.0))
        write_run(tmp_path, "halted", started() + [{"event": "step", "iter": 1, "loss": 3.0}],
                  LaunchRecord(["train", "--data", "/photos/family"], pid=0, started=2000.0, stop_requested=True))
        write_run(tmp_path, "crashed", started(), LaunchRecord(["train"], pid=0, started=1000.0))
        write_run(tmp_path, "empty", [{"event": "error", "message": "too few usable photos in /e"}],
                  LaunchRecord(["train"], pid=0, started=500.0), ckpt=False)
        (tmp_path / "not-a-run").mkdir()
        runs = list_runs(tmp_path)
        assert [(r.name, r.status) for r in runs] == [("done", "finished"), ("halted", "stopped"),
                                                      ("crashed", "failed"), ("empty", "failed")]
        done = runs[0]
        assert done.data == "/photos/family" and done.model == "/m/done.json" and done.photos == 10
        assert runs[-1].photos == 0  # it failed before loading any
        assert done.metrics_text() == "AuC 0.610, PSNR 21.50 dB, colorfulness gap -20%"
        assert not done.resumable and runs[1].resumable and runs[2].resumable
        assert runs[2].error == "the training process ended unexpectedly"
        assert runs[3].error.startswith("too few usable photos")

    @pytest.mark.parametrize("damage", [
        {"log": [{"event": "step", "iter": "x"}]},
        {"log": [{"event": "step", "iter": None, "loss": 1e999}]},
        {"log": [{"event": "data", "train": "many"}, {"event": "start", "config": [1]}]},
        {"log": [{"event": "val", "iter": 2, "best": True, "auc": "good"}]},
        {"launch": {"args": ["train"], "pid": "abc", "started": "yesterday"}},
        {"launch": {"args": ["train"], "pid": 1e30, "log_offset": "x"}},
        {"best": {"metrics": {"auc": "x"}}},
        {"best": {"metrics": [1, 2]}},
    ], ids=lambda d: str(d)[:40])
    def test_a_run_with_damaged_records_is_listed_and_the_others_too(self, tmp_path, damage):
        """Before, one such folder kept the whole Settings dialog from opening."""
        write_run(tmp_path, "fine", started() + [{"event": "finished"}, {"event": "exported", "model": "/m/f.json"}],
                  LaunchRecord(["train"], started=2.0))
        folder = write_run(tmp_path, "odd", started() + damage.get("log", []))
        if "launch" in damage:
            (folder / "launch.json").write_text(json.dumps(damage["launch"]))
        if "best" in damage:
            (folder / "best.json").write_text(json.dumps(damage["best"]))
        runs = {run.name: run for run in list_runs(tmp_path)}
        assert runs["fine"].status == "finished" and set(runs) == {"fine", "odd"}
        assert runs["odd"].metrics_text() == "" or runs["odd"].metrics_text().startswith("AuC")
        (folder / "log.jsonl").write_bytes(b'{"event": "step", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
        assert {run.name for run in list_runs(tmp_path)} == {"fine", "odd"}

    def test_a_failed_run_in_the_list_says_what_to_do_as_the_live_view_does(self, tmp_path):
        write_run(tmp_path, "gray", [{"event": "error", "message": "too few usable photos in /scans: 0 photos; "
                                      "skipped 0 unreadable, 40 grayscale and 0 too small"}],
                  LaunchRecord(["train"], pid=0, started=1.0), ckpt=False)
        [run] = list_runs(tmp_path)
        assert "Training learns color from color photos" in run.error

    def test_the_latest_start_decides_the_status(self, tmp_path):
        events = started() + [{"event": "finished"}, {"event": "exported", "model": "/m/x.json"}]
        folder = write_run(tmp_path, "again", events)
        offset = (folder / "log.jsonl").stat().st_size
        LaunchRecord(["train"], pid=0, started=1.0, log_offset=offset).write(folder)  # restarted; died silently
        assert read_run(folder).status == "failed"

    def test_a_run_started_elsewhere_resumes_from_its_config(self, tmp_path):
        folder = write_run(tmp_path, "cli", started(max_iters=50, lr=0.001, amp=False, out_dir="/moved/away"))
        info = read_run(folder)
        assert info.status == "stopped" and info.launch is None and info.resumable
        args = info.resume_args()
        assert args[0] == "train" and "--no-amp" in args
        assert args[args.index("--out-dir") + 1] == str(folder) and args[args.index("--max-iters") + 1] == "50"

    def test_a_live_process_means_running_and_cannot_be_deleted(self, tmp_path):
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "training"])
        try:
            folder = write_run(tmp_path, "live", started(), LaunchRecord(["train"], pid=sleeper.pid, started=1.0))
            assert read_run(folder).status == "running"
            with pytest.raises(RuntimeError, match="still running"):
                delete_run(folder, tmp_path)
        finally:
            sleeper.kill()
            sleeper.wait()
        assert read_run(folder).status == "failed"
        delete_run(folder, tmp_path)
        assert not folder.exists()

    def test_a_run_trained_from_a_terminal_is_running_and_cannot_be_resumed_or_deleted(self, tmp_path):
        from colorizer_app.core.runlock import RunLock

        folder = write_run(tmp_path, "cli", started())  # no launch record: not started by the app
        lock = RunLock(folder)
        assert lock.acquire()  # as that training process holds it
        try:
            info = read_run(folder)
            assert info.status == "running" and not info.resumable
            with pytest.raises(RuntimeError, match="still running"):
                delete_run(folder, tmp_path)
        finally:
            lock.release()
        assert read_run(folder).status == "stopped"

    def test_a_recycled_process_id_is_not_taken_for_the_run(self, tmp_path):
        """After a reboot another training process may have the id launch.json recorded."""
        from colorizer_app.core.runlock import RunLock

        folder = write_run(tmp_path, "old", started() + [{"event": "finished"}, {"event": "exported", "model": "/m"}])
        LaunchRecord(["train"], pid=0, started=1000.0).write(folder)
        lock = RunLock(folder)
        assert lock.acquire()  # this start took the lock (after it was launched), and ended
        lock.release()
        stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "training"])
        try:
            LaunchRecord(["train"], pid=stranger.pid, started=1000.0).write(folder)
            assert read_run(folder).status == "finished"
            delete_run(folder, tmp_path)
        finally:
            stranger.kill()
            stranger.wait()
        assert not folder.exists()

    def test_a_run_asked_to_stop_is_shown_stopping_when_found_again(self, qapp, tmp_path):
        """Stop, close Settings, open it again at once: the run is saving its checkpoint."""
        from colorizer_app.gui.training_process import TrainingProcess

        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "training"])
        try:
            folder = write_run(tmp_path, "stopping", started(),
                               LaunchRecord(["train"], pid=sleeper.pid, started=1.0, stop_requested=True))
            process = TrainingProcess(folder)
            assert process.attach()
            assert process.state == "stopping"
            process.detach()
        finally:
            sleeper.kill()
            sleeper.wait()

    def test_delete_refuses_folders_outside_the_runs_folder(self, tmp_path):
        outside = tmp_path / "elsewhere"
        outside.mkdir()
        with pytest.raises(ValueError):
            delete_run(outside, tmp_path / "runs")
        assert outside.exists()


@pytest.mark.skipif(not training_pids.CAN_PAUSE, reason="POSIX signals")
def test_pause_resume_and_terminate_a_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert training_pids.process_alive(child.pid)
        assert not training_pids.process_alive(child.pid, marker="no-such-marker")
        training_pids.pause(child.pid)
        deadline = time.monotonic() + 10
        while not training_pids.process_paused(child.pid):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        if shutil.which("ps"):  # what macOS, without /proc, asks instead
            assert training_pids.ps_state(child.pid).startswith("T")
        training_pids.resume(child.pid)
        training_pids.terminate(child.pid)
        assert child.wait(timeout=30) != 0
        assert not training_pids.process_alive(child.pid)
    finally:
        child.kill()


# The plot ---------------------------------------------------------------------------
@pytest.mark.parametrize("lo, hi, expected", [
    (0, 4, [0, 1, 2, 3, 4]), (4.81, 5.7, [5.0, 5.2, 5.4, 5.6]), (0, 1500, [0, 500, 1000, 1500]),
    (2.0, 2.0, [2.0]),
])
def test_nice_ticks(lo, hi, expected):
    assert nice_ticks(lo, hi, 5) == pytest.approx(expected)


def test_ticks_of_values_equal_but_for_float_noise_are_one_tick():
    assert nice_ticks(0.5636657310637417, 0.5636657310637418) == [0.5636657310637417]
    assert len(nice_ticks(1e9, 1e9 + 1e-3, 5)) <= 21


def test_tick_labels_tell_close_ticks_apart():
    assert tick_labels([0.564, 0.565, 0.566]) == ["0.564", "0.565", "0.566"]
    assert tick_labels([0.0, 0.25, 0.5]) == ["0.00", "0.25", "0.50"]
    assert tick_labels([-0.3, -0.2], percent=True) == ["-30%", "-20%"]


def test_smoothing_starts_at_the_first_value_and_follows_a_constant():
    xs, ys = zip(*smoothed([(1, 4.0), (2, 4.0), (3, 4.0)]))
    assert xs == (1, 2, 3) and ys == pytest.approx([4.0, 4.0, 4.0])
    assert smoothed([(1, 2.0), (2, 0.0)])[1][1] == pytest.approx(2.0 * 0.9 / 1.9)
