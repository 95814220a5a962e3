"""`python -m training train|evaluate|grid|export` (train also under torchrun for several GPUs)."""

import argparse
import sys
from dataclasses import fields
from typing import get_args

from colorizer_app.core.modelfile import GAIN_RULES
from colorizer_app.core.terminal import forgive_unencodable_characters
from training.config import LOSSES, PRESETS, TrainConfig, make_config

# What each setting does; the default is added from TrainConfig where it is a value.
HELP = {
    "val": "folder of validation photos (default: hold out --val-fraction of --data)",
    "val_fraction": "share of --data held out for validation when there is no --val",
    "limit_photos": "use only the first N photos; 0: all",
    "load_size": "photos are loaded with at most this short side (default: 256, or the crop if larger)",
    "balance": "0: every photo as often; 1: every group (sub-folder or file-name prefix) as often",
    "init": "pretrained (ImageNet encoder), scratch, or a model's name or .json to fine-tune",
    "rebalance_lambda": "classification: 1 = no rebalancing toward rare colors, 0 = full (default: the "
                        "starting model's own when fine-tuning, else 0.5)",
    "readout_temperature": "annealed-mean temperature (default: the starting model's own, or a new network's)",
    "readout_l1_weight": "classification: weight of an L1 term on the color shown",
    "crop": "training crop size in px, a multiple of 16",
    "batch_size": "photos per step",
    "max_iters": "stop after N steps; 0: no limit (one of --max-iters, --epochs, --time-budget-min is needed)",
    "epochs": "stop after N passes over the photos; 0: no limit",
    "time_budget_min": "stop after N minutes of training; 0: no limit",
    "lr": "learning rate (default: 3e-4 when fine-tuning a model, else 1e-3)",
    "min_lr_frac": "the learning rate decays to this share of --lr",
    "encoder_lr_scale": "the encoder learns at this share of --lr",
    "weight_decay": "AdamW weight decay",
    "warmup_iters": "steps of linear learning-rate warm-up (at most a tenth of --max-iters)",
    "grad_clip": "gradient norm clip",
    "freeze_encoder_frac": "the encoder stays frozen for this share of training",
    "unfreeze_from_block": "then encoder blocks from this one on train; 0: all",
    "gan_weight": "--loss gan: weight of the adversarial term",
    "eval_interval": "steps between validations; 0: once per epoch",
    "eval_photos": "validate on at most N photos; 0: all",
    "patience": "stop after N validations without improvement; 0: never",
    "ckpt_interval": "steps between checkpoints",
    "log_interval": "steps between JSON log lines (a line in words every 10 of them)",
    "out_dir": "run folder (default: your runs folder / --name)",
    "export": "export the best model when training ends",
    "export_dir": "folder to export into (default: your models folder, where the app looks)",
    "device": "auto, cpu, cuda or cuda:N",
    "threads": "CPU threads for torch; 0: all cores",
    "loader_threads": "threads making batches ahead; 0: one on a CPU, up to 8 beside a GPU",
    "amp": "bf16/fp16 autocast where the hardware has it",
    "seed": "random seed",
}


def _help(setting: str, default) -> str:
    text = HELP.get(setting, "")
    if "(default:" in text or default is None:
        return text
    return f"{text} (default: {default if default != '' else 'none'})".strip()


def _preset_text(values: dict) -> str:
    return ", ".join(f"--{key.replace('_', '-')} {value}" for key, value in values.items())


def _add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", choices=sorted(PRESETS),
                   help="named settings, flags override them: "
                        + "; ".join(f"{name}: {_preset_text(values)}" for name, values in PRESETS.items()))
    p.add_argument("--data", required=True, help="folder of color photos (searched recursively)")
    p.add_argument("--name", required=True, help="name of the model to export")
    p.add_argument("--loss", choices=LOSSES,
                   help="classification: vivid color classes (default); l1 or huber: the regression "
                        "baseline; gan: adversarial fine-tune of a trained model")
    defaults = TrainConfig.__dataclass_fields__
    skip = {"data", "name", "loss"}
    for f in fields(TrainConfig):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        if f.type in (bool, "bool"):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                           help=_help(f.name, "yes" if defaults[f.name].default else "no"))
        else:
            base = next((t for t in get_args(f.type) if t is not type(None)), f.type)  # float | None: float
            kind = {"int": int, "float": float, "str": str}.get(getattr(base, "__name__", base), str)
            p.add_argument(flag, type=kind, default=None, help=_help(f.name, defaults[f.name].default))


class _Parser(argparse.ArgumentParser):
    """A mistyped option gets one line, not the 30 lines of train's usage before it."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (`{self.prog} --help` lists the options)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m training", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a model on a folder of color photos")
    _add_train_args(train)

    ev = sub.add_parser("evaluate", help="colorization metrics of a model on a folder of color photos")
    ev.add_argument("--model", action="append", required=True,
                    help="model name from the catalog or path to NAME.json; repeat to compare")
    ev.add_argument("--data", required=True, help="a folder of color photos (searched recursively)")
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
    ev.add_argument("--limit", type=_count, default=0, help="at most this many photos (default: 0, all)")
    ev.add_argument("--gray-baseline", action="store_true", help="also score the gray input itself")
    ev.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:N")

    gr = sub.add_parser("grid", help="a comparison image: gray | each model | original, a photo per row")
    gr.add_argument("--model", action="append", required=True,
                    help="model name from the catalog or path to NAME.json; repeat for a column each")
    gr.add_argument("--data", required=True, help="a folder of photos (color or black-and-white)")
    gr.add_argument("--out", required=True, help="output image (.jpg or .png)")
    gr.add_argument("--limit", type=_count, default=8, help="at most this many photos, a row each (default: 8)")
    gr.add_argument("--names", default="", help="comma-separated file names to pick from the folder")
    gr.add_argument("--height", type=int, default=192, help="row height in pixels")
    gr.add_argument("--render-size", type=int, default=None, help="default: each model's own")
    gr.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:N")

    ex = sub.add_parser("export", help="export a run's best model into the models folder")
    ex.add_argument("--run", required=True, help="the run's folder (has best.json), or its name in your runs folder")
    ex.add_argument("--name", required=True, help="the model's name: NAME.json and NAME.safetensors")
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


def _count(text: str) -> int:
    """argparse type: a whole number of at least 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


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
