"""The command line that runs the training module, built from what the Training tab says."""

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TrainRequest:
    """One training run as the form describes it. Exactly one of ``epochs`` and
    ``time_budget_min`` is set; empty strings mean the training module's default."""

    data: str
    name: str
    init: str = "pretrained"  # "pretrained", "scratch" or the path of a model's .json
    loss: str = "classification"  # "classification", "l1" or "gan"
    val: str = ""  # a validation folder; empty: hold out val_fraction of the photos
    val_fraction: float = 0.04
    epochs: float = 0.0
    time_budget_min: float = 60.0
    crop: int = 176
    batch_size: int = 16
    out_dir: str = ""  # the run folder
    export_dir: str = ""  # where the finished model goes
    device: str = "auto"
    threads: int = 0
    extra_args: tuple[str, ...] = ()  # more flags, last so they win (tests pass --preset tiny)


def training_command(args: list[str], stderr_file: str) -> tuple[str, list[str]]:
    """(program, arguments) that run ``python -m training`` with ``args``, its stderr
    appended to ``stderr_file`` (through the small training_launch module).

    The one place that knows how to start the training module. From source or an
    installed package, the interpreter running the app runs it. In the PyInstaller
    bundle ``sys.executable`` is the app itself, whose entry point (colorizer_app
    /__main__.py) takes exactly this ``-m`` and runs the bundled training module.
    """
    return sys.executable, ["-m", "colorizer_app.gui.training_launch", stderr_file, *args]


def project_root() -> Path:
    """The folder holding the ``training`` package when running from a checkout
    (the process's working directory, so ``-m training`` finds it uninstalled)."""
    return Path(__file__).resolve().parents[2]


def train_args(request: TrainRequest) -> list[str]:
    """The ``train`` subcommand's arguments for ``request``."""
    assert bool(request.epochs) != bool(request.time_budget_min), "set epochs or a time budget, not both"
    args = ["train", "--data", request.data, "--name", request.name, "--init", request.init,
            "--loss", request.loss, "--crop", str(request.crop), "--batch-size", str(request.batch_size)]
    if request.val:
        args += ["--val", request.val]
    else:
        args += ["--val-fraction", _number(request.val_fraction)]
    if request.epochs:
        args += ["--epochs", _number(request.epochs)]
    else:
        args += ["--time-budget-min", _number(request.time_budget_min)]
    if request.out_dir:
        args += ["--out-dir", request.out_dir]
    if request.export_dir:
        args += ["--export-dir", request.export_dir]
    if request.device and request.device != "auto":
        args += ["--device", request.device]
    if request.threads:
        args += ["--threads", str(request.threads)]
    return args + list(request.extra_args)


def args_from_config(config: dict) -> list[str]:
    """``train`` arguments that repeat a run from the ``config`` of its "start" event
    (for runs started outside the app, which left no launch record). Every setting
    becomes its flag, so the resumed run has the same schedule."""
    args = ["train"]
    for key, value in config.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + key.replace("_", "-"))
        elif value is None:
            continue
        else:
            args += [flag, _number(value) if isinstance(value, float) else str(value)]
    return args


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else repr(float(value))
