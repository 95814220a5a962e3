"""Time what a batch export costs around the colorizing: planning a folder into an
empty output folder, and running it again when every photo is done (a resume).

    python bench/batch_resume.py [--photos 2000] [--runs 5]

Both read the photos' and the results' marks (core.batch: names that stay stable
across runs, results of another photo of the same name refused), so they grow
with the folder. Colorizing is a stand-in that copies the gray into RGB: the table
shows the bookkeeping alone. Prints the median of --runs runs, and per photo.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorizer_app.core.batch import plan_batch, run_batch  # noqa: E402


def gray_as_rgb(photo) -> np.ndarray:
    return np.repeat(photo.pixels[..., None], 3, axis=2) if photo.pixels.ndim == 2 else photo.pixels


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "photos", Path(tmp) / "colored"
        source.mkdir()
        rng = np.random.default_rng(0)
        for i in range(args.photos):
            Image.fromarray(rng.integers(0, 255, (48, 64), dtype=np.uint8)).save(source / f"img{i:05d}.jpg")

        plan = median_seconds(lambda: plan_batch([source], Path(tmp) / "empty", fmt="png"), args.runs)
        run_batch(plan_batch([source], out, fmt="png"), gray_as_rgb)

        def resume():
            report = run_batch(plan_batch([source], out, fmt="png"), gray_as_rgb)
            assert report.skipped == args.photos, report

        again = median_seconds(resume, args.runs)

    print(f"{args.photos} photos, median of {args.runs} runs")
    print(f"{'step':<36}{'seconds':>10}{'ms per photo':>15}")
    for step, seconds in (("plan into an empty folder", plan), ("run again, every photo done", again)):
        print(f"{step:<36}{seconds:>10.3f}{1000 * seconds / args.photos:>15.3f}")


if __name__ == "__main__":
    main()
