"""`python -m training grid`: a comparison image, one photo per row.

Columns: the gray input, each model's result (through the app's own
pipeline), and the original file (the truth for a color photo; the scan
itself, often sepia, for an old one).
"""

import sys
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from colorizer_app.core.device import select_device
from colorizer_app.core.modelfile import ModelFileError
from colorizer_app.core.pipeline import colorize
from training.data import find_photos
from training.evaluate import gray_of, resolve_model
from training.imagefiles import read_rgb, write_rgb


# Fonts with accents, Greek and more (OpenCV's own draw only ASCII); CJK in the later
# ones. Pillow looks for them in the system's font folders.
FONTS = ("DejaVuSans.ttf", "NotoSansCJK-Regular.ttc", "msyh.ttc", "Arial Unicode.ttf", "arial.ttf", "Arial.ttf")
LABEL_SIZE, MARGIN = 14, 6


@cache
def label_font(size: int = LABEL_SIZE) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for name in FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size)
    except TypeError:  # Pillow before 10.1: a small bitmap font, ASCII only
        return ImageFont.load_default()


def label(tile: np.ndarray, text: str) -> np.ndarray:
    """The tile with `text` in its top left corner, white edged in black; a label wider
    than the tile is shortened with "…" rather than cut off at its edge."""
    image = Image.fromarray(tile)
    draw, font = ImageDraw.Draw(image), label_font()
    room = tile.shape[1] - 2 * MARGIN
    if draw.textlength(text, font=font) > room:
        while text and draw.textlength(text + "…", font=font) > room:
            text = text[:-1]
        text = text.rstrip() + "…"
    draw.text((MARGIN, 4), text, font=font, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
    return np.asarray(image).copy()


def make_grid(photos: list[Path], models, height: int, render_size: int | None,
              labels: list[str] | None = None) -> np.ndarray | None:
    """The grid of the photos that can be read; None if none can."""
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
    if not rows:
        return None
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
    except ModelFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # Two runs' best.json are both called "best": label those by their run folder.
    names = [m.name for m in models]
    labels = [n if names.count(n) == 1 else Path(arg).resolve().parent.name for n, arg in zip(names, args.model)]
    grid = make_grid(photos, models, args.height, args.render_size, labels)
    if grid is None:
        print(f"error: none of the {len(photos)} photos chosen in {args.data} can be read", file=sys.stderr)
        return 1
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, 88] if Path(args.out).suffix.lower() in (".jpg", ".jpeg") else []
    write_rgb(args.out, grid, params)
    print(args.out)
    return 0
