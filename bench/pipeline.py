"""Time a 12-megapixel JPEG through colorize(), stage by stage, next to the bare
image work (decode, Lab convert, encode) that any colorizer needs.

    python bench/pipeline.py [--runs 5] [--render-size 512] [--megapixels 12]

Prints a table of median times per stage, the end-to-end median, the image
work (everything but the network) relative to the bare work, and peak memory.
Uses the bundled default model when present, else an untrained network of the
same architecture (same cost).
"""

import argparse
import collections
import contextlib
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorizer_app.core.catalog import ModelCatalog  # noqa: E402
from colorizer_app.core.color import lab_to_rgb, luminance  # noqa: E402
from colorizer_app.core.device import describe_device, select_device  # noqa: E402
from colorizer_app.core.imageio import load_photo, save_photo  # noqa: E402
from colorizer_app.core.modelfile import load_model, save_model  # noqa: E402
from colorizer_app.core.pipeline import STRIP_PIXELS, colorize, to_integer  # noqa: E402

STAGES = ("decode", "L", "resize", "network", "upsample", "merge", "encode")


def make_photo(path: Path, megapixels: float) -> None:
    """A gray, textured, photo-like JPEG (as a scan of an old print is saved)."""
    w = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
    h = int(round(w * 3 / 4))
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = 120 + 60 * np.sin(x / 300) * np.cos(y / 200) + rng.normal(0, 12, (h, w)).astype(np.float32)
    img = cv2.GaussianBlur(img, (0, 0), 1.2)
    gray = np.clip(img, 0, 255).astype(np.uint8)
    cv2.imwrite(str(path), cv2.merge([gray, gray, gray]), [cv2.IMWRITE_JPEG_QUALITY, 92])


def get_model(device):
    entry = ModelCatalog().default()
    if entry is not None:
        return load_model(entry.json_path, device=device), entry.name
    from colorizer_app.models import UNetConfig, build_model

    folder = Path(tempfile.mkdtemp())
    path = save_model(build_model(UNetConfig()), folder / "untrained.json", {})
    return load_model(path, device=device), "untrained (same architecture)"


class StageTimer:
    def __init__(self):
        self.times = collections.defaultdict(float)

    @contextlib.contextmanager
    def __call__(self, stage: str):
        t = time.perf_counter()
        yield
        self.times[stage] += time.perf_counter() - t


def run_full(src: Path, dst: Path, model, render_size: int) -> dict:
    timer = StageTimer()
    t0 = time.perf_counter()
    with timer("decode"):
        photo = load_photo(src)
    out = colorize(photo.pixels, model, render_size=render_size, timer=timer)
    with timer("encode"):
        save_photo(dst, out, exif=photo.exif, icc_profile=photo.icc_profile, overwrite=True)
    timer.times["total"] = time.perf_counter() - t0
    return dict(timer.times)


def run_bare(src: Path, dst: Path) -> dict:
    """What any colorizer must do anyway: decode, to L and back to RGB, encode."""
    timer = StageTimer()
    t0 = time.perf_counter()
    with timer("decode"):
        photo = load_photo(src)
    with timer("L"):
        L = luminance(photo.pixels)
    with timer("merge"):  # in the same strips and with the same rounding as colorize()
        out = np.empty((*L.shape, 3), photo.pixels.dtype)
        rows = max(1, STRIP_PIXELS // L.shape[1])
        for y0 in range(0, L.shape[0], rows):
            Ls = L[y0 : y0 + rows]
            out[y0 : y0 + rows] = to_integer(lab_to_rgb(Ls, np.zeros((*Ls.shape, 2), np.float32)), out.dtype)
    with timer("encode"):
        save_photo(dst, out, exif=photo.exif, icc_profile=photo.icc_profile, overwrite=True)
    timer.times["total"] = time.perf_counter() - t0
    return dict(timer.times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--render-size", type=int, default=512)
    ap.add_argument("--megapixels", type=float, default=12.0)
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()

    device = select_device(args.device)
    model, model_name = get_model(device)
    work = Path(tempfile.mkdtemp(prefix="colorizer-bench-"))
    src = work / "photo.jpg"
    make_photo(src, args.megapixels)
    h, w = load_photo(src).pixels.shape[:2]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    run_full(src, work / "warmup.jpg", model, args.render_size)  # first run pays one-off costs
    full = [run_full(src, work / "out.jpg", model, args.render_size) for _ in range(args.runs)]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the bare runs: colorize's own peak
    bare = [run_bare(src, work / "bare.jpg") for _ in range(args.runs)]

    med = lambda runs, key: statistics.median(r.get(key, 0.0) for r in runs) * 1000
    print(f"{w}x{h} JPEG ({w * h / 1e6:.1f} MP), render size {args.render_size}, {describe_device(device)}, "
          f"model: {model_name}, median of {args.runs} runs\n")
    print(f"{'stage':<12}{'colorize (ms)':>16}{'bare (ms)':>12}")
    for stage in STAGES:
        b = med(bare, stage) if stage in ("decode", "L", "merge", "encode") else None
        print(f"{stage:<12}{med(full, stage):>16.0f}{(f'{b:.0f}' if b is not None else '-'):>12}")
    total, bare_total = med(full, "total"), med(bare, "total")
    image_work = statistics.median(r["total"] - r["network"] for r in full) * 1000
    print(f"{'total':<12}{total:>16.0f}{bare_total:>12.0f}")
    print(f"\nimage work without the network: {image_work:.0f} ms = {image_work / bare_total:.2f}x the bare work")
    print(f"end to end: {total / 1000:.2f} s; peak memory of the colorize runs {peak:.0f} MiB "
          f"(the process held {rss_before:.0f} MiB before: torch, the model, the decoded test photo)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
