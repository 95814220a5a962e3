"""The training module's JSON lines, parsed as bytes arrive, and what a run's log says so far.

``python -m training train`` writes one JSON object per line (``{"event": "step",
...}``) to stdout and to its run folder's log.jsonl. ``JsonLineParser`` turns byte
chunks of either into events; ``RunHistory`` folds events into the curves, the
latest preview, the speed and how the run ended. Plain Python, no Qt.
"""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

# Validation metrics worth a curve: key -> (label, higher is better).
VAL_METRICS = {
    "auc": ("Color accuracy (AuC)", True),
    "psnr": ("PSNR (dB)", True),
    "colorfulness_gap": ("Colorfulness gap", None),  # 0 is best: as colorful as the truth
    "loss": ("Validation loss", False),
}


class JsonLineParser:
    """Bytes in, events out.

    A line is parsed once its newline has arrived; a partial last line waits for
    the next chunk (or ``flush``). Lines that are not a JSON object with an
    ``"event"`` (stray output, a line cut by a kill) are skipped and counted.
    """

    def __init__(self) -> None:
        self._pending = b""
        self.skipped = 0

    def feed(self, chunk: bytes) -> list[dict]:
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        return [event for line in lines if (event := self._parse(line)) is not None]

    def flush(self) -> list[dict]:
        """Parse what is left (the writer ended without a final newline)."""
        line, self._pending = self._pending, b""
        event = self._parse(line)
        return [event] if event is not None else []

    def _parse(self, line: bytes) -> dict | None:
        line = line.strip()
        if not line:
            return None
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, a nest too deep
            self.skipped += 1
            return None
        if not isinstance(obj, dict) or not isinstance(obj.get("event"), str):
            self.skipped += 1
            return None
        return obj


def read_events(path: Path, offset: int = 0) -> list[dict]:
    """The events of a log.jsonl from byte ``offset`` on; [] if it cannot be read."""
    parser = JsonLineParser()
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return []
    return parser.feed(data) + parser.flush()


@dataclass
class RunHistory:
    """A run's curves and state, from its events in order.

    Curves are lists of (iteration, value). When a run resumes from a checkpoint
    older than its last logged step, the points past the checkpoint are dropped,
    so a curve never doubles back.
    """

    loss: list[tuple[int, float]] = field(default_factory=list)
    val: dict[str, list[tuple[int, float]]] = field(default_factory=lambda: {k: [] for k in VAL_METRICS})
    preview: str = ""
    iteration: int = 0
    epoch: float = 0.0
    progress: float = 0.0
    img_per_s: float = 0.0
    eta_s: float | None = None
    elapsed_s: float = 0.0
    device: str = ""
    train_photos: int = 0
    val_photos: int = 0
    config: dict = field(default_factory=dict)
    best: dict = field(default_factory=dict)  # validation metrics of the best checkpoint
    started: float = 0.0  # time of the first event
    resumes: int = 0
    ended: str = ""  # "", "finished", "exported" or "error": the latest segment's last word
    exported: str = ""  # the exported model's JSON path
    error: str = ""
    skipped: int = 0  # events passed over for their wrong types

    def add(self, event: dict) -> None:
        """Take one event in; one with the wrong types (a damaged or hand-edited log)
        is passed over, as a line that is not JSON is, instead of failing the run's
        listing and with it the whole Settings dialog."""
        try:
            self._add(event)
        except (TypeError, ValueError, OverflowError, AttributeError):
            self.skipped += 1

    def _add(self, event: dict) -> None:
        kind = event.get("event")
        if not self.started and isinstance(event.get("time"), (int, float)):
            self.started = float(event["time"])
        if kind == "data":  # every (re)start of the process begins here
            self.ended, self.exported, self.error = "", "", ""
            self.train_photos, self.val_photos = int(event.get("train", 0)), int(event.get("val", 0))
            self.eta_s = None
        elif kind == "start":
            self.ended, self.error = "", ""
            self.device = str(event.get("device", ""))
            config = event.get("config") or {}
            self.config = config if isinstance(config, dict) else {}
        elif kind == "resume":
            self.resumes += 1
            self._rewind(int(event.get("iter", 0)))
        elif kind == "step":
            it = int(event.get("iter", 0))
            _append(self.loss, it, event.get("loss"))
            self.iteration = it
            self.epoch = float(event.get("epoch", self.epoch))
            self.progress = float(event.get("progress", self.progress))
            self.img_per_s = float(event.get("img_per_s", self.img_per_s))
            self.elapsed_s = float(event.get("elapsed_s", self.elapsed_s))
            eta = event.get("eta_s")
            self.eta_s = float(eta) if isinstance(eta, (int, float)) else None
        elif kind == "val":
            it = int(event.get("iter", 0))
            self.epoch = float(event.get("epoch", self.epoch))
            for key, points in self.val.items():
                _append(points, it, event.get(key))
            if event.get("preview"):
                self.preview = str(event["preview"])
            if event.get("best"):
                self.best = {k: v for k, v in event.items() if k not in ("event", "time", "iter", "epoch", "best",
                                                                         "preview") and _is_number(v)}
        elif kind == "stopped":
            self.iteration = int(event.get("iter", self.iteration))  # steps are logged every few iterations
        elif kind == "finished":
            self.iteration = int(event.get("iter", self.iteration))  # the last one, as the last samples say
            self.ended = "finished"
            self.progress = 1.0
            self.eta_s = 0.0
            if isinstance(event.get("best"), dict) and event["best"]:
                self.best = {k: v for k, v in event["best"].items() if _is_number(v)}
        elif kind == "exported":
            self.ended = "exported"
            self.exported = str(event.get("model", ""))
        elif kind == "error":
            self.ended = "error"
            self.exported = ""
            self.error = str(event.get("message", "")) or "the training module reported an error"

    def add_all(self, events: list[dict]) -> "RunHistory":
        for event in events:
            self.add(event)
        return self

    def point_count(self) -> int:
        return len(self.loss) + sum(len(p) for p in self.val.values())

    def _rewind(self, iteration: int) -> None:
        for points in (self.loss, *self.val.values()):
            while points and points[-1][0] > iteration:
                points.pop()


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _append(points: list[tuple[int, float]], x: int, y) -> None:
    if not isinstance(y, (int, float)) or y != y:  # missing or NaN
        return
    while points and points[-1][0] >= x:  # the run went back (resumed from an older checkpoint)
        points.pop()
    points.append((x, float(y)))
