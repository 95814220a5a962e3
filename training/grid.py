"""`python -m training grid`: a comparison image, one photo per row.

Columns: the gray input, each model's result (through the app's own
pipeline), and the original file (the truth for a color photo; the scan
itself, often sepia, for an old one).
"""

import sys
from pathlib import Path

import cv2
import numpy as np

from colorizer_app.core.device import select_device
from colorizer_app.core.modelfile import ModelFileError
from colorizer_app.core.pipeline import colorize
from training.data import find_photos
from training.evaluate import gray_of, resolve_model
from training.imagefiles import read_rgb, write_rgb


def label(tile: np.ndarray, text: str) -> np.ndarray:
    out = tile.copy()
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def make_grid(photos: list[Path], models, height: int, render_size: int | None,
              labels: list[str] | None = None) -> np.ndarray:
    labels = labels or [m.name for m in models]
    rows = []
    for path in photos:
        rgb = read_rgb(path)
        if rgb is None:
            continue
        scale = height / rgb.shape[0]
        rgb = cv2.resize(rgb, (max(1, round(rgb.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)
        tiles = [gray_of(rgb)]
        for model in models:
            tiles.append(colorize(tiles[0], model, render_size=render_size))
        tiles.append(rgb)
        if not rows:
            names = ["gray input", *labels, "original"]
            tiles = [label(t, n) for t, n in zip(tiles, names)]
        row = np.concatenate(tiles, axis=1)
        rows.append(row)
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.concatenate(rows, axis=0)


def grid_cli(args) -> int:
    photos = find_photos(Path(args.data))
    if args.names:
        wanted = set(args.names.split(","))
        photos = [p for p in photos if p.name in wanted]
    photos = photos[: args.limit] if args.limit else photos
    if not photos:
        print(f"error: no photos found in {args.data}", file=sys.stderr)
        return 1
    device = select_device(args.device)
    try:
        models = [resolve_model(m, device) for m in args.model]
    except (KeyError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # Two runs' best.json are both called "best": label those by their run folder.
    names = [m.name for m in models]
    labels = [n if names.count(n) == 1 else Path(arg).resolve().parent.name for n, arg in zip(names, args.model)]
    grid = make_grid(photos, models, args.height, args.render_size, labels)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, 88] if Path(args.out).suffix.lower() in (".jpg", ".jpeg") else []
    write_rgb(args.out, grid, params)
    print(args.out)
    return 0
