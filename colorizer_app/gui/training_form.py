"""The Training tab's form, checked without widgets: photo folders, model name,
starting model and loss, schedule. The tab shows the messages; Start needs no errors."""

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from colorizer_app.core.modelfile import MAX_NAME_LENGTH, model_name_problem
from colorizer_app.core.paths import folders_overlap
from colorizer_app.gui.training_command import TrainRequest

# What training/data.py's find_photos picks up (it also skips gray and unreadable ones).
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
FEW_PHOTOS = 50  # below this, a warning: a model learns little from so few

# Loss key -> label; the training module's --loss values.
LOSSES = {
    "classification": "Vivid (color classes)",
    "l1": "L1 baseline (regression, muted)",
    "gan": "Adversarial fine-tune (needs a trained model)",
}
# Which losses a model's head can train with (the head decides the loss family).
LOSSES_FOR_HEAD = {
    None: ("classification", "l1"),  # a new network: the loss decides its head
    "classification": ("classification", "gan"),
    "regression": ("l1", "gan"),
}


@dataclass(frozen=True)
class StartingModel:
    """A choice for --init: a new network ("pretrained"/"scratch") or a model file."""

    label: str
    init: str
    head: str | None = None  # a model file's head ("classification"/"regression"); None for a new network
    tooltip: str = ""


@dataclass
class Check:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self) -> str:
        return "\n".join(self.errors + self.warnings)


def starting_models(entries: Iterable, default_name: str | None = None) -> list[StartingModel]:
    """The starting-model choices, the first being the default: fine-tune the default
    model (adapts quickly to a family archive), other usable models, then a new network
    from the pretrained encoder or (for experiments) from scratch. ``entries`` are
    core.catalog ModelEntry objects (name, json_path, usable, meta, description)."""
    usable = sorted((e for e in entries if e.usable), key=lambda e: e.name != default_name)  # stable
    models = []
    for entry in usable:
        head = (entry.meta.get("config") or {}).get("head", "classification")
        kind = "color classes" if head == "classification" else "regression"
        models.append(StartingModel(f"Fine-tune {entry.name} ({kind})", str(entry.json_path), head,
                                    entry.description))
    return models + [
        StartingModel("New model from the pretrained encoder", "pretrained", None,
                      "An ImageNet-trained encoder, a fresh decoder: needs more photos and time"),
        StartingModel("New model from scratch (experiments)", "scratch", None,
                      "Random weights: learns slowly; for quick experiments"),
    ]


def allowed_losses(head: str | None) -> tuple[str, ...]:
    return LOSSES_FOR_HEAD.get(head, LOSSES_FOR_HEAD[None])


def check_name(name: str, models_dir: Path, runs_dir: Path, bundled: Iterable[str] = ()) -> Check:
    """A model name must be a safe file name; an existing model or run is reported."""
    check = Check()
    problem = model_name_problem(name)
    if problem:
        check.errors.append(problem)
        return check
    if (Path(runs_dir) / name).exists():
        check.errors.append(f"A past run is called {name}: resume or delete it in the list, "
                            "or choose another name.")
    if (Path(models_dir) / f"{name}.json").exists():
        check.warnings.append(f"A model called {name} exists: this run replaces it when it finishes.")
    elif name in set(bundled):
        check.warnings.append(f"{name} is a bundled model's name: yours will be used in its place.")
    return check


def check_request(request: TrainRequest, head: str | None, photo_count: int | None,
                  models_dir: Path, runs_dir: Path, bundled: Iterable[str] = ()) -> Check:
    """Everything Start needs. ``photo_count`` None: still counting (no message yet)."""
    check = Check()
    data = Path(request.data) if request.data else None
    if data is None:
        check.errors.append("Choose a folder of color photos to learn from.")
    elif not data.is_dir():
        check.errors.append(f"{request.data} is not a folder.")
    elif photo_count == 0:
        check.errors.append(f"No photos in {data.name or data}: add color photos "
                            f"({', '.join(sorted(PHOTO_SUFFIXES))}).")
    elif photo_count is not None and photo_count < FEW_PHOTOS:
        check.warnings.append(f"Only {photo_count} photos: a model learns little from fewer than {FEW_PHOTOS}.")
    if request.val:
        val = Path(request.val)
        if not val.is_dir():
            check.errors.append(f"The validation folder {request.val} is not a folder.")
        elif data is not None and folders_overlap(val, data):
            check.errors.append("The validation photos must not be among the training photos "
                                "(sub-folders count): choose another folder, or hold out a share of the photos.")
    if request.loss not in allowed_losses(head):
        if request.loss == "gan":
            check.errors.append("Adversarial fine-tuning starts from a trained model: "
                                "choose one as the starting model.")
        elif head == "classification":
            check.errors.append("This starting model predicts color classes: fine-tune it with the "
                                "vivid or adversarial loss, or start a new model for L1.")
        else:
            check.errors.append("This starting model is an L1 (regression) model: fine-tune it with the "
                                "L1 or adversarial loss, or start a new model.")
    if (request.epochs > 0) == (request.time_budget_min > 0):
        check.errors.append("Train for a number of epochs or for a time budget.")
    if request.crop % 16 or request.crop < 32:
        check.errors.append("The crop size must be a multiple of 16, at least 32.")
    if request.batch_size < 1:
        check.errors.append("The batch size must be at least 1.")
    name_check = check_name(request.name, models_dir, runs_dir, bundled)
    check.errors += name_check.errors
    check.warnings += name_check.warnings
    return check


def suggest_name(folder: str, taken: Callable[[str], bool]) -> str:
    """A model name from a photo folder's name ("Family 1950s" -> "family-1950s"),
    numbered when ``taken``."""
    base = re.sub(r"[^\w.-]+", "-", Path(folder).name.strip().lower())
    base = re.sub(r"\.(json|safetensors)$", "", base).strip("-.") or "my-model"  # "scans.json"
    base = base[:MAX_NAME_LENGTH - 10]
    if model_name_problem(base):  # a folder called "con" (Windows keeps that name) or "_x"
        base = f"model-{base}".strip("-.")
    name, n = base, 2
    while taken(name):
        name = f"{base}-{n}"
        n += 1
    return name


def count_photos(folder: str | os.PathLike, cancelled: Callable[[], bool] = lambda: False) -> int | None:
    """Photo files under ``folder``, recursively, by suffix (fast: nothing is opened).
    None when cancelled; 0 when the folder cannot be read."""
    count = 0
    stack = [os.fspath(folder)]
    while stack:
        if cancelled():
            return None
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        elif not entry.name.startswith(".") and \
                                os.path.splitext(entry.name)[1].lower() in PHOTO_SUFFIXES:
                            count += 1
                    except OSError:
                        continue
        except OSError:
            continue
    return count
