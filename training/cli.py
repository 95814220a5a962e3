"""`python -m training train|evaluate|grid|export` (train also under torchrun for several GPUs)."""

import argparse
import sys
from dataclasses import fields
from typing import get_args

from colorizer_app.core.modelfile import GAIN_RULES
from colorizer_app.core.terminal import forgive_unencodable_characters
from training.config import LOSSES, PRESETS, TrainConfig, make_config

# Help for settings whose default is not a value to show.
HELP = {"readout_temperature": "default: the starting model's own, or a new network's default",
        "load_size": "default: 256, or the crop if larger"}


def _add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", choices=sorted(PRESETS), help="named settings; flags override them")
    p.add_argument("--data", required=True, help="folder of color photos (searched recursively)")
    p.add_argument("--name", required=True, help="name of the model to export")
    p.add_argument("--loss", choices=LOSSES)
    defaults = TrainConfig.__dataclass_fields__
    skip = {"data", "name", "loss"}
    for f in fields(TrainConfig):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        if f.type in (bool, "bool"):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None)
        else:
            base = next((t for t in get_args(f.type) if t is not type(None)), f.type)  # float | None: float
            kind = {"int": int, "float": float, "str": str}.get(getattr(base, "__name__", base), str)
            p.add_argument(flag, type=kind, default=None,
                           help=HELP.get(f.name, f"default: {defaults[f.name].default!r}"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a model on a folder of color photos")
    _add_train_args(train)

    ev = sub.add_parser("evaluate", help="colorization metrics of a model on a folder of color photos")
    ev.add_argument("--model", action="append", required=True,
                    help="model name from the catalog or path to NAME.json; repeat to compare")
    ev.add_argument("--data", required=True)
    ev.add_argument("--render-size", type=int, default=None,
                    help="default: the model's own, or the photo's short side if smaller")
    ev.add_argument("--upscale", type=float, default=1.0,
                    help="enlarge each photo this many times first, to stand in for larger scans")
    ev.add_argument("--damage", action="store_true",
                    help="give the models each photo with old-photo damage (fading, blur, grain, dust, JPEG) "
                         "and score their colors against the original")
    ev.add_argument("--hints", type=int, default=0, metavar="N",
                    help="give each photo N color hints of its own true color at random points")
    ev.add_argument("--temperature", type=float, default=None, help="annealed-mean temperature override")
    ev.add_argument("--chroma-gain", type=float, default=None, help="chroma gain override (see export)")
    ev.add_argument("--gain-rule", choices=GAIN_RULES, default=None, help="chroma gain rule override (see export)")
    ev.add_argument("--limit", type=int, default=0, help="at most this many photos")
    ev.add_argument("--gray-baseline", action="store_true", help="also score the gray input itself")
    ev.add_argument("--device", default="auto")

    gr = sub.add_parser("grid", help="a comparison image: gray | each model | original, a photo per row")
    gr.add_argument("--model", action="append", required=True)
    gr.add_argument("--data", required=True, help="a folder of photos (color or black-and-white)")
    gr.add_argument("--out", required=True, help="output image (.jpg or .png)")
    gr.add_argument("--limit", type=int, default=8)
    gr.add_argument("--names", default="", help="comma-separated file names to pick from the folder")
    gr.add_argument("--height", type=int, default=192, help="row height in pixels")
    gr.add_argument("--render-size", type=int, default=None)
    gr.add_argument("--device", default="auto")

    ex = sub.add_parser("export", help="export a run's best model into the models folder")
    ex.add_argument("--run", required=True, help="the run folder (has best.json)")
    ex.add_argument("--name", required=True)
    ex.add_argument("--to", default="", help="folder to export into (default: the user's models folder)")
    ex.add_argument("--temperature", type=float, default=None, help="set the model's readout temperature")
    ex.add_argument("--chroma-gain", type=float, default=None,
                    help="factor on the predicted chroma, to match real photos' colorfulness (measure it with "
                         "evaluate --chroma-gain on validation photos)")
    ex.add_argument("--gain-rule", choices=GAIN_RULES, default=None,
                    help="fixed: every photo gets the chroma gain; per-photo: each photo gets what makes up "
                         "for the network's uncertainty, at most the chroma gain (classification models; "
                         "docs/MODEL.md measures both)")
    return parser


def device_problem(preference: str | None) -> str | None:
    """Why --device cannot be used on this machine (a name torch does not know, CUDA
    without a CUDA GPU), in a line; or None."""
    from colorizer_app.core.device import select_device

    try:
        select_device(preference)
    except RuntimeError as exc:  # torch.device raises it for an unknown name too
        return f"--device {preference}: {str(exc).splitlines()[0] if str(exc) else 'not usable'}"
    return None


def main(argv: list[str] | None = None) -> int:
    forgive_unencodable_characters()
    args = build_parser().parse_args(argv)
    problem = device_problem(args.device) if args.command in ("train", "evaluate", "grid") else None
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.command == "train":
        from training.train import main as train_main

        overrides = {k: v for k, v in vars(args).items() if k not in ("command", "preset")}
        try:
            cfg = make_config(args.preset, **overrides)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        train_main(cfg)
        return 0
    if args.command == "evaluate":
        from training.evaluate import evaluate_cli

        return evaluate_cli(args)
    if args.command == "grid":
        from training.grid import grid_cli

        return grid_cli(args)
    if args.command == "export":
        from training.export import export_cli

        return export_cli(args)
    return 2
