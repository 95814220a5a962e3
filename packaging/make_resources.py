"""Make the files under resources/icons and resources/samples that ship in the bundle.

Everything here is generated (numpy + Pillow, fixed seeds), so what ships has no
licence question: no photo from anywhere else is used. Run it again to remake
them byte for byte:

    python packaging/make_resources.py

resources/icons/colorizer.png   the app icon: a circle, gray on the left, in color on the right
resources/samples/landscape.jpg a gray "photo": sky, clouds, hills, a lake, a meadow
resources/samples/still-life.png a gray "photo": fruit and a jug on a table
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]


def fractal_noise(h: int, w: int, rng: np.random.Generator, octaves: int = 6, base: int = 4) -> np.ndarray:
    """Smooth value noise in 0..1, summed over octaves (coarse to fine)."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for i in range(octaves):
        cells = base * 2**i
        grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
        layer = np.asarray(Image.fromarray(grid).resize((w, h), Image.BICUBIC), np.float32)
        out += amp * layer
        total += amp
        amp *= 0.5
    out /= total
    return (out - out.min()) / (out.max() - out.min() + 1e-6)


def landscape(w: int = 640, h: int = 427) -> Image.Image:
    rng = np.random.default_rng(1950)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    img = np.zeros((h, w), np.float32)
    horizon = 0.52
    # Sky: brighter toward the horizon, with clouds.
    sky = 150 + 70 * (y / horizon)
    clouds = fractal_noise(h, w, rng, octaves=6, base=3)
    clouds = np.clip((clouds - 0.55) * 3.0, 0, 1) * 60
    img[:] = np.clip(sky + clouds, 0, 245)
    # Far hills, then near hills: ridge lines from 1-D noise.
    for level, height, shade, rough in ((horizon - 0.08, 0.10, 120, 0.6), (horizon + 0.02, 0.12, 80, 0.9)):
        ridge = fractal_noise(1, w, rng, octaves=5, base=3)[0]
        top = level - height * ridge
        mask = y >= top[None, :]
        texture = fractal_noise(h, w, rng, octaves=6, base=8) * 40 * rough
        img = np.where(mask, shade + texture - 20 * (y - top[None, :]), img)
    # A lake reflecting the sky, then a meadow with grass texture.
    lake_top, meadow_top = horizon + 0.06, horizon + 0.16
    lake = (y >= lake_top) & (y < meadow_top + 0.05 * np.sin(x * 9))
    ripples = 12 * np.sin(y * 300 + 4 * fractal_noise(h, w, rng, octaves=3, base=4))
    img = np.where(lake, 175 + ripples - 40 * (y - lake_top), img)
    meadow = y >= meadow_top + 0.05 * np.sin(x * 9)
    grass = fractal_noise(h, w, rng, octaves=7, base=16)
    img = np.where(meadow, 95 + 70 * grass - 30 * (y - meadow_top), img)
    # A tree on the left: trunk and a round crown.
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "L")
    draw = ImageDraw.Draw(pil)
    draw.rectangle((118, 170, 130, 300), fill=45)
    crown = Image.fromarray((fractal_noise(140, 150, rng, octaves=5, base=6) * 50 + 35).astype(np.uint8), "L")
    mask = Image.new("L", crown.size, 0)
    ImageDraw.Draw(mask).ellipse((0, 0, 149, 139), fill=255)
    pil.paste(crown, (50, 70), mask.filter(ImageFilter.GaussianBlur(3)))
    # Film grain, as an old print has.
    grain = rng.normal(0, 4, (h, w))
    out = np.clip(np.asarray(pil, np.float32) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(out, "L").filter(ImageFilter.GaussianBlur(0.6))


def still_life(w: int = 480, h: int = 360) -> Image.Image:
    rng = np.random.default_rng(1931)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    wall = 170 - 40 * y + 15 * fractal_noise(h, w, rng, octaves=4, base=4)
    table_top = 0.62
    wood = 110 + 25 * np.sin(x * 80 + 6 * fractal_noise(h, w, rng, octaves=3, base=3)) - 30 * (y - table_top)
    img = np.where(y >= table_top, wood, wall)

    def ball(cx: float, cy: float, r: float, tone: float) -> None:
        nonlocal img
        d2 = ((x * w - cx) ** 2 + (y * h - cy) ** 2) / r**2
        light = np.clip(1 - ((x * w - cx + 0.35 * r) ** 2 + (y * h - cy + 0.35 * r) ** 2) / (1.6 * r) ** 2, 0, 1)
        img = np.where(d2 <= 1, tone * (0.55 + 0.6 * light), img)

    # Shadows under the fruit, then the jug, then the fruit.
    for cx, r in ((150, 42), (240, 36), (320, 44)):
        shadow = ((x * w - cx - 10) ** 2 / (1.3 * r) ** 2 + (y * h - 262) ** 2 / 8**2) <= 1
        img = np.where(shadow, img * 0.6, img)
    jug = (np.abs(x * w - 380) < 38 - 10 * np.cos((y * h - 130) / 70)) & (y * h > 90) & (y * h < 255)
    img = np.where(jug, 200 - 60 * np.abs(x * w - 370) / 40, img)
    ball(150, 222, 42, 150)  # an apple
    ball(240, 228, 36, 190)  # a lemon
    ball(320, 220, 44, 110)  # a plum-dark orange
    grain = rng.normal(0, 3, (h, w))
    out = np.clip(img + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(out, "L").filter(ImageFilter.GaussianBlur(0.7))


def icon(size: int = 256) -> Image.Image:
    """A circle: the left half gray, the right half in color, with a thin divider."""
    scale = 4  # draw large, scale down: smooth edges
    s = size * scale
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    # The colored half: a warm-to-cool sweep; the gray half: the same picture's luminance.
    r = 0.95 - 0.55 * yy
    g = 0.45 + 0.35 * xx
    b = 0.25 + 0.65 * yy
    rgb = np.stack([r, g, b], -1)
    gray = (rgb @ np.array([0.299, 0.587, 0.114], np.float32))[..., None].repeat(3, -1)
    pixels = np.where((xx < 0.5)[..., None], gray, rgb)
    img = Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8), "RGB").convert("RGBA")
    mask = Image.new("L", (s, s), 0)
    pad = int(0.04 * s)
    ImageDraw.Draw(mask).ellipse((pad, pad, s - pad, s - pad), fill=255)
    img.putalpha(mask)
    draw = ImageDraw.Draw(img)
    draw.ellipse((pad, pad, s - pad, s - pad), outline=(40, 40, 44, 255), width=int(0.03 * s))
    draw.line((s // 2, pad, s // 2, s - pad), fill=(250, 250, 250, 255), width=int(0.02 * s))
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository root (default: this one)")
    args = parser.parse_args()
    icons, samples = args.root / "resources" / "icons", args.root / "resources" / "samples"
    icons.mkdir(parents=True, exist_ok=True)
    samples.mkdir(parents=True, exist_ok=True)
    icon().save(icons / "colorizer.png", optimize=True)
    landscape().save(samples / "landscape.jpg", quality=90, optimize=True)
    still_life().save(samples / "still-life.png", optimize=True)
    for path in (icons / "colorizer.png", samples / "landscape.jpg", samples / "still-life.png"):
        print(f"{path.relative_to(args.root)}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
