"""Training settings, and named presets: each names the settings it sets, defaults
included where the choice matters to that preset."""

from dataclasses import dataclass, fields
from pathlib import Path

from colorizer_app.core.modelfile import TEMPERATURE_RANGE, model_name_problem
from colorizer_app.core.paths import folders_overlap

LOSSES = ("classification", "l1", "huber", "gan")
MIN_PHOTO_SIDE = 64  # photos with a shorter side are left out of training (data.load_photos)
DEFAULT_LOAD_SIZE = 256


def absolute_folder(folder: str) -> str:
    """A photo folder as an absolute path ("" stays ""): a run remembers which photos it
    learns from, and a relative path names other photos from another working folder."""
    return str(Path(folder).resolve()) if folder else ""


# A new network learns at NEW_LR with some rebalancing toward rare colors. A model
# fine-tuned with those (or with rebalancing other than its own) drifts from what
# its chroma gain was measured on: after one minute on 200 photos the bundled model
# scored 21.6 dB with colorfulness +56% and 16% false color on 30 val photos (24.7 dB,
# +5.5%, 3.7% before), red blotches on old photos. So a fine-tune goes on gently, at
# FINE_TUNE_LR and with the rebalancing its model was trained with (24.5 dB, +7.0%, 3.7%).
NEW_LR = 1e-3
FINE_TUNE_LR = 3e-4
NEW_REBALANCE_LAMBDA = 0.5


@dataclass
class TrainConfig:
    # data
    data: str = ""
    val: str = ""  # empty: hold out val_fraction of data
    val_fraction: float = 0.04
    limit_photos: int = 0  # 0 = all
    # photos are loaded with at most this short side; None: 256, or the crop if larger
    load_size: int | None = None
    balance: float = 0.5  # 0 = uniform over photos, 1 = uniform over groups (folders/prefixes)
    # model
    name: str = "my-model"
    init: str = "pretrained"  # pretrained | scratch | a model's name or .json to start from
    loss: str = "classification"
    # classification: mix of the data's color prior and uniform (Zhang et al.; 1 = no
    # rebalancing). None: the starting model's own, or NEW_REBALANCE_LAMBDA
    rebalance_lambda: float | None = None
    # None: the starting model's own, or UNetConfig's default for a new network
    readout_temperature: float | None = None
    # classification: weight of an L1 term on the annealed-mean readout. Rebalancing
    # biases the predicted distribution toward rare colors; this term pulls the color
    # the app actually shows toward the truth (fewer blotches, higher AuC/PSNR).
    readout_l1_weight: float = 0.0
    # schedule: training ends at whichever of max_iters / epochs / time_budget_min comes first
    crop: int = 176
    batch_size: int = 16
    max_iters: int = 0
    epochs: float = 0.0
    time_budget_min: float = 0.0
    lr: float | None = None  # None: FINE_TUNE_LR to fine-tune a model, NEW_LR for a new network
    min_lr_frac: float = 0.05
    encoder_lr_scale: float = 0.1
    weight_decay: float = 1e-4
    warmup_iters: int = 100
    grad_clip: float = 1.0
    freeze_encoder_frac: float = 0.6  # encoder frozen for this fraction of training
    unfreeze_from_block: int = 8  # then blocks >= this one train (the 1/16 and 1/32 stages)
    gan_weight: float = 0.02
    # evaluation, checkpoints, logs
    eval_interval: int = 0  # iterations between validations; 0 = once per epoch
    eval_photos: int = 0  # 0 = the whole validation set
    patience: int = 0  # stop after this many validations without improvement; 0 = never
    ckpt_interval: int = 200
    log_interval: int = 10
    out_dir: str = ""  # run folder; empty: the user's runs folder / name
    export: bool = True
    export_dir: str = ""  # empty: the user's models folder
    # runtime
    device: str = "auto"
    threads: int = 0
    # threads making batches ahead; 0: one on a CPU (its cores train), up to 8 beside a GPU
    loader_threads: int = 0
    amp: bool = True  # bf16/fp16 autocast where the hardware has it
    seed: int = 1337

    def __post_init__(self):
        self.data, self.val = absolute_folder(self.data), absolute_folder(self.val)
        if self.load_size is None:  # small enough to keep 12,000 photos in memory, never below the crop
            self.load_size = max(DEFAULT_LOAD_SIZE, self.crop)
        problem = self.problem()
        if problem:
            raise ValueError(problem)

    def problem(self) -> str | None:
        """What makes these settings unusable, in the words of the command line; or None."""
        name_problem = model_name_problem(self.name)
        if name_problem:
            return f"--name {self.name!r}: {name_problem}"
        if self.loss not in LOSSES:
            return f"--loss must be one of {', '.join(LOSSES)}"
        if self.crop < 32 or self.crop % 16:
            return "--crop must be a multiple of 16, at least 32"
        at_least = {"batch_size": 1, "log_interval": 1, "ckpt_interval": 1, "load_size": MIN_PHOTO_SIDE,
                    "max_iters": 0, "epochs": 0, "time_budget_min": 0, "eval_interval": 0,
                    "eval_photos": 0, "patience": 0, "warmup_iters": 0, "limit_photos": 0, "threads": 0,
                    "loader_threads": 0}
        for setting, least in at_least.items():
            if getattr(self, setting) < least:
                return f"--{setting.replace('_', '-')} must be at least {least}"
        if self.crop > self.load_size:
            return (f"--crop {self.crop} is larger than --load-size {self.load_size}: every photo would be "
                    "enlarged to fit the crop; choose a smaller --crop or a larger --load-size")
        if self.lr is not None and not self.lr > 0:
            return "--lr must be more than 0"
        if not 0 < self.val_fraction < 1:
            return "--val-fraction must be more than 0 and less than 1"
        if self.rebalance_lambda is not None and not 0 <= self.rebalance_lambda <= 1:
            return "--rebalance-lambda must be from 0 to 1"
        if not 0 <= self.balance <= 1:
            return "--balance must be from 0 (every photo alike) to 1 (every group alike)"
        low, high = TEMPERATURE_RANGE  # what a model file may hold: outside it the export would be refused
        if self.readout_temperature is not None and not low <= self.readout_temperature <= high:
            return f"--readout-temperature must be from {low} to {high}"
        if not (self.max_iters or self.epochs or self.time_budget_min):
            return "set --max-iters, --epochs or --time-budget-min"
        if self.val and folders_overlap(self.val, self.data):
            return ("--val must be other photos than --data, and neither folder inside the other "
                    "(sub-folders are searched): a model is judged on photos it did not learn from")
        return None


PRESETS = {
    # Stage 1 of the bundled default model on a 2-core CPU (80 minutes: frozen encoder,
    # then the last stages); docs/MODEL.md has the two fine-tuning stages that follow.
    "cpu-default": dict(crop=176, batch_size=16, time_budget_min=80, freeze_encoder_frac=0.6, eval_photos=256),
    # The L1 regression baseline, same budget.
    "cpu-baseline": dict(loss="l1", crop=176, batch_size=16, time_budget_min=80, freeze_encoder_frac=0.6, eval_photos=256),
    # A GPU run: bigger crops and batches, the encoder unfrozen earlier.
    "gpu": dict(crop=224, batch_size=64, epochs=30, freeze_encoder_frac=0.2, unfreeze_from_block=0, lr=2e-3),
    # For tests and quick looks.
    "tiny": dict(crop=64, batch_size=4, max_iters=4, eval_interval=2, ckpt_interval=2, log_interval=1, warmup_iters=1),
}


def make_config(preset: str | None = None, **overrides) -> TrainConfig:
    known = {f.name for f in fields(TrainConfig)}
    values = dict(PRESETS[preset]) if preset else {}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**values)
