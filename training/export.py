"""Export a run's best model into a models folder, where the app finds it."""

import sys
from pathlib import Path

from colorizer_app.core import paths
from colorizer_app.core.modelfile import ModelFileError, load_model, save_model


def export_model(best_json: Path, name: str, to_dir: Path | None = None, temperature: float | None = None,
                 extra_meta: dict | None = None, chroma_gain: float | None = None,
                 gain_rule: str | None = None) -> Path:
    """Write NAME.safetensors + NAME.json into to_dir (default: the user's models folder)."""
    model = load_model(best_json, device="cpu")
    meta = {k: v for k, v in model.meta.items() if k not in ("format", "format_version", "name", "architecture",
                                                                "config", "weights", "weights_sha256")}
    meta.update(extra_meta or {})
    if chroma_gain is not None:
        meta["chroma_gain"] = chroma_gain
    if gain_rule is not None:
        meta["chroma_gain_rule"] = gain_rule
    if temperature is not None:
        model.net.config.readout_temperature = temperature
    to_dir = Path(to_dir) if to_dir else paths.user_models_dir()
    return save_model(model.net, to_dir / f"{name}.json", meta)


def export_cli(args) -> int:
    best = Path(args.run) / "best.json"
    try:
        path = export_model(best, args.name, Path(args.to) if args.to else None, args.temperature,
                            chroma_gain=args.chroma_gain, gain_rule=args.gain_rule)
    except ModelFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0
