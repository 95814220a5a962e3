"""`python -m training evaluate`: the app's own pipeline, scored on color photos.

Each photo is reduced to its luminance, colorized by core.pipeline.colorize
exactly as the app does it, and compared with the original colors.
"""

import sys
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from colorizer_app.core.catalog import ModelCatalog
from colorizer_app.core.color import fit_to_gamut, lab_to_rgb, luminance
from colorizer_app.core.device import select_device
from colorizer_app.core.hints import Hint
from colorizer_app.core.modelfile import ModelFileError, load_model
from colorizer_app.core.pipeline import colorize, to_integer
from training.data import find_photos, is_grayscale, rgb_to_lab
from training.degrade import degrade
from training.imagefiles import read_rgb
from training.metrics import MetricAccumulator, format_table


def resolve_model(name_or_path: str, device):
    """A model file, or a model of the catalog by name. Raises ModelFileError."""
    path = Path(name_or_path)
    if path.suffix in (".json", ".safetensors") or path.exists():
        return load_model(path, device=device)
    try:
        return ModelCatalog().load(name_or_path, device=device)
    except KeyError as exc:  # str() of a KeyError is its message in quotes: pass on the message alone
        raise ModelFileError(exc.args[0]) from None


def row_label(name_or_path: str, model) -> str:
    """A run's best.json is named "best": call it after its run folder, as the runs are."""
    path = Path(name_or_path)
    return path.resolve().parent.name if path.name == "best.json" else model.name


def read_truth(path: Path, upscale: float = 1.0) -> np.ndarray | None:
    """A color photo as RGB, enlarged `upscale` times (bicubic) when asked.

    Enlarging stands in for scans larger than the small val photos: the content
    and its framing stay the same, only the pixel scale changes, so it shows how
    a render size suits a model (docs/MODEL.md). None if the file is unreadable.
    """
    rgb = read_rgb(path)
    if rgb is not None and upscale != 1.0:
        rgb = cv2.resize(rgb, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_CUBIC)
    return rgb


def evaluate_model(model, photos: list[Path], render_size: int | None = None, upscale: float = 1.0,
                   damage: bool = False, hints: int = 0) -> dict:
    """The metrics of `model` on `photos`.

    With `damage`, the model is given each photo's luminance with old-photo damage
    applied (training.degrade: fading, blur, grain, noise, dust, JPEG), and its colors
    are scored on the undamaged luminance: how well it colors photos like real old
    ones. With `hints`, each photo gets that many color hints of its own true color
    (5x5 px average) at random points: how well the model follows a person's hints.
    Both are seeded by the photo's place in the list.
    """
    acc = MetricAccumulator()
    for i, path in enumerate(tqdm(photos, desc=model.name, file=sys.stderr, leave=False)):
        truth = read_truth(path, upscale)
        if truth is None:
            continue
        rng = np.random.default_rng(i)
        true_ab = rgb_to_lab(truth)[..., 1:]
        photo_hints = true_color_hints(true_ab, hints, rng) if hints else None
        if damage:
            L = luminance(truth)
            damaged = gray_of_L(degrade(L.copy(), rng, p_clean=0.0))
            ab = rgb_to_lab(colorize(damaged, model, render_size=render_size, hints=photo_hints))[..., 1:]
            pred = to_integer(fit_to_gamut(L, ab, lab_to_rgb(L, ab)), np.uint8)  # merged as colorize() does
        else:
            pred = colorize(truth, model, render_size=render_size, hints=photo_hints)  # sees only the luminance
        acc.add(pred, truth, rgb_to_lab(pred)[..., 1:], true_ab)
    return acc.result()


def true_color_hints(true_ab: np.ndarray, count: int, rng: np.random.Generator) -> list[Hint]:
    h, w = true_ab.shape[:2]
    hints = []
    for _ in range(count):
        y, x = int(rng.integers(2, max(3, h - 2))), int(rng.integers(2, max(3, w - 2)))
        a, b = true_ab[max(0, y - 2) : y + 3, max(0, x - 2) : x + 3].reshape(-1, 2).mean(0)
        hints.append(Hint((x + 0.5) / w, (y + 0.5) / h, float(a), float(b)))
    return hints


def gray_of_L(L: np.ndarray) -> np.ndarray:
    return np.clip(lab_to_rgb(L, np.zeros((*L.shape, 2), np.float32)) * 255 + 0.5, 0, 255).astype(np.uint8)


def gray_of(rgb: np.ndarray) -> np.ndarray:
    """The photo as the gray image of its own luminance (what the model is given)."""
    return gray_of_L(luminance(rgb))


def evaluate_gray(photos: list[Path], upscale: float = 1.0) -> dict:
    """The gray input scored as if it were a colorization: the floor to beat."""
    acc = MetricAccumulator()
    for path in photos:
        truth = read_truth(path, upscale)
        if truth is None:
            continue
        acc.add(gray_of(truth), truth, np.zeros((*truth.shape[:2], 2), np.float32), rgb_to_lab(truth)[..., 1:])
    return acc.result()


def color_photos(paths: list[Path], limit: int = 0) -> tuple[list[Path], int, int]:
    """The first `limit` (0: all) of `paths` that are color photos, as training takes
    them: a grayscale photo has no colors to score against, an unreadable one none at
    all. Also how many were unreadable, and how many grayscale."""
    usable, unreadable, gray = [], 0, 0
    for path in paths:
        if limit and len(usable) >= limit:
            break
        rgb = read_rgb(path)
        if rgb is None:
            unreadable += 1
        elif is_grayscale(rgb):
            gray += 1
        else:
            usable.append(path)
    return usable, unreadable, gray


def evaluate_cli(args) -> int:
    if not Path(args.data).exists():
        print(f"error: --data {args.data}: no such folder", file=sys.stderr)
        return 1
    found = find_photos(Path(args.data))
    photos, unreadable, gray = color_photos(found, args.limit)
    skipped = f"skipped {unreadable} unreadable, {gray} grayscale"
    if not photos:
        files = f"{len(found)} photo file{'' if len(found) == 1 else 's'}"
        print(f"error: no color photos to score in {args.data} ({files}; {skipped})", file=sys.stderr)
        return 1
    device = select_device(args.device)
    rows = {}
    if args.gray_baseline:
        rows["gray input"] = evaluate_gray(photos, args.upscale)
    for name in args.model:
        try:
            model = resolve_model(name, device)
        except ModelFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if args.temperature is not None:
            model.temperature = args.temperature
        if args.chroma_gain is not None:
            model.meta["chroma_gain"] = args.chroma_gain
        if args.gain_rule is not None:
            model.meta["chroma_gain_rule"] = args.gain_rule
        label = row_label(name, model)
        if label in rows:  # two models of one name: the second by its folder, not in place of the first
            label = Path(name).resolve().parent.name
        base, n = label, 2
        while label in rows:  # still taken: numbered, so that no row replaces another
            label, n = f"{base} ({n})", n + 1
        rows[label] = evaluate_model(model, photos, args.render_size, args.upscale, args.damage, args.hints)
    print(format_table(rows))
    if unreadable or gray:  # beside the table, not in it: stdout stays the table alone
        print(f"{len(photos)} photos scored; {skipped}", file=sys.stderr)
    return 0
