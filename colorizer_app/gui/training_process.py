"""A training run in a process of its own, started detached and followed through its log.

Decision: runs are started *detached* (``QProcess.startDetached``), never as a
child whose pipes the app holds. Training takes an hour or more; a person who
closes Settings, or quits the app, and says "leave it running" expects it to go on
and to find it again later. A child process cannot outlive its QProcess (Qt kills
it, and its stdout pipe would break), so every run is detached from the start:

- its stdout (JSON lines) goes nowhere, because the training module writes the same
  lines to RUNDIR/log.jsonl, which this class reads every ``poll_ms`` from where it
  left off (``JsonLineParser`` takes the new bytes);
- its stderr (human-readable progress, tracebacks) is appended to RUNDIR/stderr.log
  (by training_launch: PySide6's static startDetached, the one that reports the
  process id, cannot redirect), whose tail explains a failure;
- RUNDIR/launch.json records the command and the process id, so a later dialog (or
  a later session of the app) re-attaches to a run that is still going, and Resume
  repeats the same command;
- the process id drives Pause/Continue (SIGSTOP/SIGCONT) and Stop (SIGTERM, and
  a stop request file the run looks for every step: on Windows there is no signal
  to catch); the end is noticed when the id is gone, and how it ended is read from
  the log (an "exported" or "error" event) and from whether Stop was asked for.

On Stop the run saves a checkpoint at the step it is on and ends; Resume starts the
same command again and the module continues from ckpt.pt. Only a run that has not
ended a minute after Stop is killed, and loses the steps since its last checkpoint.
"""

import sys
import time
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QTimer, Signal, Slot

from colorizer_app.core import runlock
from colorizer_app.gui import training_pids as pids
from colorizer_app.gui.training_command import project_root, training_command
from colorizer_app.gui.training_events import JsonLineParser, RunHistory
from colorizer_app.gui.training_runs import (
    LOG_FILE, STDERR_FILE, LaunchRecord, explain_failure, file_size, is_running, outcome, stderr_tail,
)

PROCESS_MARKER = "training"  # in the command line of every run we start
# Stop escalates to a kill when the run has not ended by then: long enough for a
# validation pass on a CPU to finish (the run acts on Stop between steps).
_KILL_AFTER_S = 60.0
_READ_LIMIT = 4 << 20  # bytes of log read per poll, so a huge backlog never stalls the GUI

# States: "idle" (nothing followed yet), "starting" (launched, no progress yet),
# "running", "paused", "stopping", then one of the ends: "finished", "failed", "stopped".
ENDS = ("finished", "failed", "stopped")


class TrainingProcess(QObject):
    """Start (or re-attach to) one run and follow it until it ends.

    ``history`` holds the whole run's curves (earlier starts included, read from the
    log); ``message`` says why a run failed, with the tail of its stderr.

    Signals:
        events_arrived(list): new events from the log (dicts), once per poll.
        state_changed(str): the state above changed.
        model_exported(str): the run exported its model (the NAME.json path).
        ended(str, str): the process is gone: "finished", "failed" or "stopped",
            and the message (empty unless it failed).
    """

    events_arrived = Signal(list)
    state_changed = Signal(str)
    model_exported = Signal(str)
    ended = Signal(str, str)

    def __init__(self, run_dir: str | Path, parent: QObject | None = None, poll_ms: int = 250) -> None:
        super().__init__(parent)
        self._run_dir = Path(run_dir)
        self._launch: LaunchRecord | None = None
        self._parser = JsonLineParser()
        self._history = RunHistory()
        self._latest = RunHistory()  # this start's events only: how it ended
        self._offset = 0
        self._state = "idle"
        self._message = ""
        self._stop_sent_at = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._poll)

    # Public API --------------------------------------------------------------
    @property
    def run_dir(self) -> Path:
        return self._run_dir

    @property
    def name(self) -> str:
        return self._run_dir.name

    @property
    def history(self) -> RunHistory:
        return self._history

    @property
    def state(self) -> str:
        return self._state

    @property
    def message(self) -> str:
        return self._message

    @property
    def pid(self) -> int:
        return self._launch.pid if self._launch else 0

    @property
    def active(self) -> bool:
        """The process is (as far as we know) still there."""
        return self._state in ("starting", "running", "paused", "stopping")

    def start(self, args: list[str]) -> bool:
        """Start ``python -m training`` with ``args`` (which must write to this run
        folder) detached, and follow it. False, with ``message``, if it did not start."""
        assert self._state == "idle" or self._state in ENDS, f"already following ({self._state})"
        self._run_dir.mkdir(parents=True, exist_ok=True)
        previous = LaunchRecord.read(self._run_dir)
        if is_running(self._run_dir, previous):
            pid = runlock.holder(self._run_dir) or (previous.pid if previous else 0)
            return self._refuse(f"{self.name} is already running (process {pid}).")
        log_offset = file_size(self._run_dir / LOG_FILE)
        stderr_offset = file_size(self._run_dir / STDERR_FILE)

        runlock.clear_stop_request(self._run_dir)  # left by a run killed before it acted on it
        program, arguments = training_command(args, str(self._run_dir / STDERR_FILE))
        # The static startDetached: in PySide6 only it reports the process id.
        ok, pid = QProcess.startDetached(program, arguments, str(project_root()))
        if not ok:
            return self._refuse(f"Could not start the training process ({program}).")
        self._launch = LaunchRecord(list(args), int(pid), time.time(), log_offset, stderr_offset)
        self._launch.write(self._run_dir)
        self._follow("starting")
        return True

    def attach(self) -> bool:
        """Follow a run started earlier (from another dialog or session) that is still
        going. False if the run folder has no live process."""
        launch = LaunchRecord.read(self._run_dir)
        if launch is None or not is_running(self._run_dir, launch):
            return False
        holder = runlock.holder(self._run_dir)
        # A Windows venv's python.exe is a stub that runs the real interpreter as its
        # child: the lock holder is then not the process the app started, which lives on.
        ours = holder in (None, launch.pid) or (sys.platform == "win32" and pids.process_alive(launch.pid))
        if not ours:
            return False  # trained by a process this app did not start (a terminal): not ours to steer
        self._launch = launch
        if launch.stop_requested:  # Stop was pressed, in a dialog since closed: it is still saving
            self._stop_sent_at = time.monotonic()
            self._follow("stopping")
        else:
            self._follow("paused" if pids.process_paused(launch.pid) else "running")
        return True

    def pause(self) -> bool:
        """Suspend the process (POSIX). Paused time does not count toward a time
        budget: the training module takes it off its clock when it is continued."""
        if not pids.CAN_PAUSE or self._state not in ("starting", "running"):
            return False
        try:
            pids.pause(self.pid)
        except OSError:
            return False
        self._set_state("paused")
        return True

    def resume(self) -> bool:
        """Let a paused process go on."""
        if self._state != "paused":
            return False
        try:
            pids.resume(self.pid)
        except OSError:
            return False
        self._set_state("running")
        return True

    def stop(self) -> None:
        """Ask the process to end; its checkpoint stays, so the run can be resumed.
        ``ended("stopped", "")`` follows once it is gone."""
        if not self.active or self._launch is None:
            return
        self._launch.stop_requested = True
        self._launch.write(self._run_dir)
        self._stop_sent_at = time.monotonic()
        runlock.request_stop(self._run_dir)
        pids.terminate(self.pid)
        self._set_state("stopping")

    def detach(self) -> None:
        """Stop following (the process goes on by itself)."""
        self._timer.stop()

    # Following -----------------------------------------------------------------
    def _follow(self, state: str) -> None:
        self._parser = JsonLineParser()
        self._history = RunHistory()
        self._latest = RunHistory()
        self._message = ""
        # Earlier starts of this run make the history; this start's events decide how it ends.
        self._offset = 0
        self._read_until(self._launch.log_offset, latest=False)
        self._set_state(state)
        self._timer.start()
        self._poll()

    def _read_until(self, end: int | None, latest: bool) -> list[dict]:
        """Feed the log's bytes from the last offset (up to ``end``) to the parser."""
        try:
            with open(self._run_dir / LOG_FILE, "rb") as f:
                f.seek(self._offset)
                want = _READ_LIMIT if end is None else max(0, end - self._offset)
                data = f.read(want)
        except OSError:
            return []
        self._offset += len(data)
        events = self._parser.feed(data)
        if end is not None and not latest:
            events += self._parser.flush()  # an earlier start may have been killed mid-line
        self._history.add_all(events)
        if latest:
            self._latest.add_all(events)
        return events

    @Slot()
    def _poll(self) -> None:
        alive = pids.process_alive(self.pid, PROCESS_MARKER)  # first: then the log read below is complete
        events = self._read_until(None, latest=True)
        if not alive:
            before = -1
            while before != self._offset:  # a backlog larger than one read
                before = self._offset
                events += self._read_until(None, latest=True)
            tail = self._parser.flush()
            self._history.add_all(tail)
            self._latest.add_all(tail)
            events += tail
        if events:
            self.events_arrived.emit(events)
            if self._state == "starting" and any(e["event"] in ("data", "start", "step") for e in events):
                self._set_state("running")
            for event in events:
                if event["event"] == "exported" and event.get("model"):
                    self.model_exported.emit(str(event["model"]))
        if not alive:
            self._end()
        elif self._state == "stopping" and time.monotonic() - self._stop_sent_at > _KILL_AFTER_S:
            pids.kill(self.pid)

    def _end(self) -> None:
        self._timer.stop()
        status, why = outcome(self._latest, self._launch.stop_requested if self._launch else False)
        if status == "failed":
            why = explain_failure(why)
            tail = stderr_tail(self._run_dir, self._launch.stderr_offset if self._launch else 0)
            self._message = why + (f"\n\n{tail}" if tail and tail.strip() not in why else "")
        self._set_state(status)
        self.ended.emit(status, self._message)

    def _refuse(self, message: str) -> bool:
        self._message = message
        self._set_state("failed")
        self.ended.emit("failed", message)
        return False

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)
