"""Export a run's best model into a models folder, where the app finds it."""

import json
import sys
import time
from pathlib import Path

from colorizer_app.core import paths, runlock
from colorizer_app.core.modelfile import (
    CHROMA_GAIN_RANGE, TEMPERATURE_RANGE, ModelFileError, load_model, model_name_problem, save_model,
)


def export_model(best_json: Path, name: str, to_dir: Path | None = None, temperature: float | None = None,
                 extra_meta: dict | None = None, chroma_gain: float | None = None,
                 gain_rule: str | None = None) -> Path:
    """Write NAME.safetensors + NAME.json into to_dir (default: the user's models folder)."""
    model = load_model(best_json, device="cpu")
    meta = {k: v for k, v in model.meta.items() if k not in ("format", "format_version", "name", "architecture",
                                                                "config", "weights", "weights_sha256")}
    meta.update(extra_meta or {})
    meta["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    if chroma_gain is not None:
        meta["chroma_gain"] = chroma_gain
    if gain_rule is not None:
        meta["chroma_gain_rule"] = gain_rule
    if temperature is not None:
        model.net.config.readout_temperature = temperature
    to_dir = Path(to_dir) if to_dir else paths.user_models_dir()
    return save_model(model.net, to_dir / f"{name}.json", meta)


def replacing(name: str, to_dir: Path | None = None) -> str | None:
    """What exporting `name` into `to_dir` (default: the user's models folder) replaces,
    as words that follow "it" or "this export"; None when it replaces nothing. The app's
    training form warns of the same."""
    from colorizer_app.core.catalog import ModelCatalog

    to_dir = Path(to_dir) if to_dir else paths.user_models_dir()
    if (to_dir / f"{name}.json").exists():
        return f"replaces the model {name} in {to_dir}"
    if to_dir.resolve() == paths.user_models_dir().resolve() and any(
            entry.name == name and entry.origin == "bundled" for entry in ModelCatalog().entries()):
        return f"stands in for the bundled model {name} in the app and the CLI (yours comes first by that name)"
    return None


def find_run(run: str) -> Path | None:
    """A run folder given by its path, or by its name in the user's runs folder."""
    for folder in (Path(run), paths.user_runs_dir() / run):
        if folder.is_dir():
            return folder
    return None


def export_cli(args) -> int:
    run = find_run(args.run)
    if run is None:
        print(f"error: --run {args.run}: no such folder, and no run of that name in {paths.user_runs_dir()}",
              file=sys.stderr)
        return 1
    problem = model_name_problem(args.name)
    if problem:
        print(f"error: --name {args.name!r}: {problem}", file=sys.stderr)
        return 2
    # The ranges a model file may hold: outside them the app would list it unusable.
    for flag, value, (low, high) in (("--chroma-gain", args.chroma_gain, CHROMA_GAIN_RANGE),
                                     ("--temperature", args.temperature, TEMPERATURE_RANGE)):
        if value is not None and not low <= value <= high:
            print(f"error: {flag} must be from {low} to {high}, not {value}", file=sys.stderr)
            return 2
    if not (run / "best.json").is_file():
        print(f"error: {run} holds no trained model (best.json): is it a training run's folder, "
              "and did the run get to its first validation?", file=sys.stderr)
        return 1
    to_dir = Path(args.to) if args.to else None
    if to_dir is not None and to_dir.exists() and not to_dir.is_dir():
        print(f"error: --to {to_dir} is a file, not a folder", file=sys.stderr)
        return 2
    note = replacing(args.name, to_dir)
    try:
        path = export_model(run / "best.json", args.name, to_dir, args.temperature,
                            extra_meta=recorded_run_meta(run), chroma_gain=args.chroma_gain, gain_rule=args.gain_rule)
    except ModelFileError as exc:
        training = runlock.holder(run) is not None
        print(f"error: {exc}" + (" (the run is training now and may have been saving a better model: "
                                 "run this export again)" if training else ""), file=sys.stderr)
        return 1
    except OSError as exc:  # --to names a file, or a folder that cannot be made or written
        print(f"error: the model cannot be written into {to_dir or paths.user_models_dir()}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 1
    if note:
        print(f"note: this export {note}", file=sys.stderr)
    print(path)
    return 0


def recorded_run_meta(run: Path) -> dict:
    """How the run was made, as its own export would have said (training.train.RUN_META)."""
    from training.train import RUN_META

    try:
        meta = json.loads((run / RUN_META).read_text(encoding="utf-8"))
        best = json.loads((run / "best.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a run from before run.json: the model's own JSON is all there is
    if isinstance(best.get("iter"), int):
        meta.setdefault("training", {})["iterations"] = best["iter"]  # of the best model
    return meta
