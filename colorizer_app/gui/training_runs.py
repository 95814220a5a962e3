"""Training runs on disk: what the app records when it starts one, and the list of past runs.

A run folder (``paths.user_runs_dir() / NAME`` by default) is the training module's:
ckpt.pt, best.json, previews/, log.jsonl. The app adds two files when it starts a
run: launch.json (the command, the process id, where this start's log and stderr
begin, whether the person asked it to stop) and stderr.log (the process's
human-readable output, appended on every start). Runs started from a terminal
have neither; they are listed too, from their log. The training process holds the
folder's run.lock while it trains (core.runlock): that, not a process id, says a
run is running.
"""

import json
import math
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from colorizer_app.core import runlock
from colorizer_app.core.atomicfile import write_text_atomically
from colorizer_app.gui.training_command import args_from_config
from colorizer_app.gui.training_events import RunHistory, read_events
from colorizer_app.gui.training_pids import process_alive

LAUNCH_FILE = "launch.json"
STDERR_FILE = "stderr.log"
LOG_FILE = "log.jsonl"
CKPT_FILE = "ckpt.pt"


@dataclass
class LaunchRecord:
    args: list[str]  # the training module's arguments (after "-m training")
    pid: int = 0
    started: float = 0.0
    log_offset: int = 0  # log.jsonl's size when this start began: its events follow
    stderr_offset: int = 0
    stop_requested: bool = False

    def write(self, run_dir: Path) -> None:
        write_text_atomically(Path(run_dir) / LAUNCH_FILE, json.dumps(asdict(self), indent=1))

    @classmethod
    def read(cls, run_dir: Path) -> "LaunchRecord | None":
        try:
            data = json.loads((Path(run_dir) / LAUNCH_FILE).read_text(encoding="utf-8"))
            record = cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            return None
        # A record with the wrong types (damaged, edited by hand) is no record: the
        # run is then listed from its log alone.
        counts = (record.pid, record.log_offset, record.stderr_offset)
        typed = (isinstance(record.args, list) and all(isinstance(a, str) for a in record.args)
                 and all(type(n) is int and 0 <= n < 2**63 for n in counts)
                 and type(record.started) in (int, float) and math.isfinite(record.started)
                 and isinstance(record.stop_requested, bool))
        return record if typed else None


@dataclass
class RunInfo:
    """One run folder, as the past-runs list shows it."""

    name: str
    folder: Path
    status: str  # "running", "finished", "failed", "stopped"
    started: float = 0.0
    data: str = ""
    photos: int = 0  # the photos it trains on, from its log's data event (0: not loaded yet)
    metrics: dict = field(default_factory=dict)  # the best checkpoint's validation metrics
    model: str = ""  # the exported model's JSON path
    error: str = ""
    has_checkpoint: bool = False
    launch: LaunchRecord | None = None

    @property
    def resumable(self) -> bool:
        """A run that did not finish, and whose command is known, can go on."""
        return self.status in ("stopped", "failed") and bool(self.resume_args())

    def resume_args(self) -> list[str]:
        """The training module's arguments to continue this run (from its checkpoint)."""
        if self.launch and self.launch.args:
            return list(self.launch.args)
        history = RunHistory().add_all(read_events(self.folder / LOG_FILE))
        if not history.config:
            return []
        config = dict(history.config)
        config["out_dir"] = str(self.folder)  # the folder may have moved
        return args_from_config(config)

    def metrics_text(self, short: bool = False) -> str:
        return metrics_text(self.metrics, short)


def metrics_text(metrics: dict, short: bool = False) -> str:
    """"AuC 0.610, PSNR 21.50 dB, colorfulness gap -20%" ("" without metrics); short: the first two."""
    if not all(isinstance(metrics.get(k, 0), (int, float)) for k in ("auc", "psnr", "colorfulness_gap")) \
            or "auc" not in metrics:
        return ""
    text = f"AuC {metrics['auc']:.3f}, PSNR {metrics.get('psnr', 0):.2f} dB"
    return text if short else text + f", colorfulness gap {metrics.get('colorfulness_gap', 0):+.0%}"


def read_run(folder: Path) -> RunInfo:
    folder = Path(folder)
    launch = LaunchRecord.read(folder)
    log = folder / LOG_FILE
    history = RunHistory().add_all(read_events(log))
    started = (launch.started if launch else 0.0) or history.started or _mtime(folder)
    data = history.config.get("data", "") or _arg(launch.args if launch else [], "--data")
    info = RunInfo(folder.name, folder, "", started, data, history.train_photos,
                   history.best or _best_metrics(folder), history.exported, "", (folder / CKPT_FILE).exists(), launch)
    if is_running(folder, launch):
        info.status = "running"
    elif launch:
        latest = RunHistory().add_all(read_events(log, launch.log_offset))
        info.status, info.error = outcome(latest, launch.stop_requested)
    else:
        info.status, info.error = outcome(history, None)
    info.error = explain_failure(info.error)  # the same words as when it failed in front of you
    return info


def outcome(history: RunHistory, stop_requested: bool | None) -> tuple[str, str]:
    """(status, why) of an ended start of a run, from its events: "finished", "failed"
    or "stopped". ``stop_requested`` None: started elsewhere, so an end without a last
    word is taken for a stop."""
    exports = history.config.get("export", True)
    if history.ended == "exported" or (history.ended == "finished" and not exports):
        return "finished", ""
    if history.ended == "error":
        return "failed", history.error
    if history.ended == "finished":
        return "failed", "the run ended but its model was not exported"
    if stop_requested or stop_requested is None:
        return "stopped", ""
    return "failed", "the training process ended unexpectedly"


def explain_failure(message: str) -> str:
    """The message, with a hint when the person can fix the cause."""
    gray = re.search(r"(\d+) grayscale", message)
    if "too few usable photos" in message and gray and int(gray.group(1)) > 0:
        return (message + "\nTraining learns color from color photos: black-and-white ones are left out. "
                "Choose a folder of color photos like the ones you want to colorize.")
    return message


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """Every run folder under ``runs_dir``, newest first."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    runs = [_read_run_or_say_why(p) for p in runs_dir.iterdir()
            if p.is_dir() and not p.name.startswith(".") and _looks_like_run(p)]
    return sorted(runs, key=lambda r: r.started, reverse=True)


def _read_run_or_say_why(folder: Path) -> RunInfo:
    """One run; a folder whose records cannot be made sense of is listed as failed,
    with the reason, rather than keeping the Settings dialog from opening."""
    try:
        return read_run(folder)
    except Exception as exc:  # noqa: BLE001 - one damaged folder must not hide the others
        launch = LaunchRecord.read(folder)  # itself checked: whatever else is damaged, a live run stays stoppable
        running = is_running(folder, launch)
        return RunInfo(folder.name, folder, "running" if running else "failed", _mtime(folder),
                       error="" if running else f"its records in {folder} are damaged ({type(exc).__name__}: {exc})",
                       has_checkpoint=(folder / CKPT_FILE).exists(), launch=launch)


def delete_run(folder: Path, runs_dir: Path) -> None:
    """Remove a run folder (never an exported model, which lives elsewhere).
    Refuses a running run and anything outside ``runs_dir``."""
    folder, runs_dir = Path(folder).resolve(), Path(runs_dir).resolve()
    if folder.parent != runs_dir:
        raise ValueError(f"{folder} is not a run folder in {runs_dir}")
    if is_running(folder, LaunchRecord.read(folder)):
        raise RuntimeError(f"{folder.name} is still running: stop it first")
    shutil.rmtree(folder)


def is_running(folder: Path, launch: LaunchRecord | None) -> bool:
    """Whether a process trains the run now: one holds its lock (core.runlock; also a
    run started from a terminal), or the app started it a moment ago and it has not
    taken the lock yet. A recycled process id is not taken for the run: once this
    start took the lock, only the lock counts."""
    if runlock.holder(folder) is not None:
        return True
    if launch is None or not process_alive(launch.pid, marker="training"):
        return False
    try:
        taken = (Path(folder) / runlock.LOCK_FILE).stat().st_mtime
    except OSError:
        return True  # not taken yet (or a run from before locks)
    return taken < launch.started  # the lock file is an earlier start's


def stderr_tail(run_dir: Path, offset: int = 0, lines: int = 12) -> str:
    """The last ``lines`` lines the process wrote to stderr since ``offset``."""
    try:
        with open(Path(run_dir) / STDERR_FILE, "rb") as f:
            f.seek(max(0, offset))
            f.seek(max(f.tell(), os.fstat(f.fileno()).st_size - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def file_size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def format_when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else ""


def _looks_like_run(folder: Path) -> bool:
    return any((folder / name).exists() for name in (LOG_FILE, LAUNCH_FILE, CKPT_FILE))


def _best_metrics(folder: Path) -> dict:
    try:
        metrics = json.loads((folder / "best.json").read_text(encoding="utf-8")).get("metrics")
    except (OSError, ValueError, AttributeError, RecursionError):
        return {}
    return metrics if isinstance(metrics, dict) else {}


def _arg(args: list[str], flag: str) -> str:
    try:
        return args[args.index(flag) + 1]
    except (ValueError, IndexError):
        return ""


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
