"""Training photos: find, load into memory, sample balanced batches.

A batch is made in the main process (nanoGPT's get_batch), on threads while the
step before it runs: photos are small (the loader caps their short side), so crops,
flips, rotation, Lab conversion and degradation of 16 photos take a few milliseconds
(about 600 photos/s a thread; a GPU wants several threads' worth).
"""

import collections
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from training.config import MIN_PHOTO_SIDE
from training.degrade import degrade
from training.imagefiles import read_rgb

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".tif", ".tiff", ".webp"}
# Photos in formats OpenCV does not read here: left out, and counted so the person knows
# (a GIF holds 256 colors at most, no photo to learn color from).
OTHER_PHOTO_SUFFIXES = {".gif", ".heic", ".heif", ".avif", ".jxl", ".jp2", ".j2k", ".psd", ".dng", ".cr2",
                        ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf", ".raw"}
NAMED_AT_MOST = 8  # groups, or unreadable files, named in a summary
GRAY_CHROMA = 6.0  # a photo whose 99th-percentile chroma (Lab units) is below this is grayscale


@dataclass
class PhotoCounts:
    """How many photos a PhotoSet holds, by group, and how many it skipped. Under
    torchrun each process loads a share of the photos; their counts add up."""

    groups: dict[str, int]
    skipped_broken: int = 0
    skipped_gray: int = 0
    skipped_small: int = 0
    broken_names: list[str] = field(default_factory=list)  # the first few unreadable files

    def __len__(self) -> int:
        return sum(self.groups.values())

    def __add__(self, other: "PhotoCounts") -> "PhotoCounts":
        groups = collections.Counter(self.groups) + collections.Counter(other.groups)
        return PhotoCounts(dict(groups), self.skipped_broken + other.skipped_broken,
                           self.skipped_gray + other.skipped_gray, self.skipped_small + other.skipped_small,
                           (self.broken_names + other.broken_names)[:NAMED_AT_MOST])

    def summary(self) -> str:
        by_size = sorted(self.groups.items(), key=lambda kv: -kv[1])
        groups = _listing([f"{g} {n}" for g, n in by_size], len(by_size), " groups")
        broken = _listing(self.broken_names, self.skipped_broken)
        return (
            f"{len(self)} photo{'' if len(self) == 1 else 's'}{f' ({groups})' if groups else ''}; "
            f"skipped {self.skipped_broken} unreadable{f' ({broken})' if broken else ''}, "
            f"{self.skipped_gray} grayscale and {self.skipped_small} too small"
        )


def _listing(names: list[str], total: int, of_what: str = "") -> str:
    """The first NAMED_AT_MOST names, and how many more there are."""
    shown = names[:NAMED_AT_MOST]
    return ", ".join(shown) + (f" and {total - len(shown)} more{of_what}" if shown and total > len(shown) else "")


@dataclass
class PhotoSet:
    photos: list[np.ndarray]  # RGB uint8, short side <= load_size
    names: list[str]
    groups: list[str]
    skipped_broken: int = 0
    skipped_gray: int = 0
    skipped_small: int = 0  # short side under load_photos' min_size
    broken_names: list[str] = field(default_factory=list)  # the first few unreadable files, relative to the root

    def __len__(self) -> int:
        return len(self.photos)

    def render_size(self) -> int:
        """The render size to recommend for a model trained on these photos.

        A network learns objects at the scale it saw them, and its accuracy falls as
        the app shows it photos larger than that (docs/MODEL.md, "Render size"):
        recommend the median short side, rounded to 32 and at least 128.
        """
        if not self.photos:
            return 256
        return max(128, int(round(self.median_short_side() / 32)) * 32)

    def median_short_side(self) -> float:
        return float(np.median([min(photo.shape[:2]) for photo in self.photos]))

    def counts(self) -> PhotoCounts:
        return PhotoCounts(dict(collections.Counter(self.groups)), self.skipped_broken, self.skipped_gray,
                           self.skipped_small, self.broken_names)

    def summary(self) -> str:
        return self.counts().summary()


def find_photos(root: Path) -> list[Path]:
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and not p.name.startswith("."))


def other_photo_files(root: Path) -> str:
    """The photo files under `root` in formats training does not read, counted by
    format in words ("GIF 3, HEIC 1"); "" when there are none."""
    root = Path(root)
    files = [root] if root.is_file() else root.rglob("*")
    counts = collections.Counter(p.suffix.lower() for p in files
                                 if p.suffix.lower() in OTHER_PHOTO_SUFFIXES and not p.name.startswith("."))
    return ", ".join(f"{suffix.lstrip('.').upper()} {n}" for suffix, n in sorted(counts.items()))


def group_of(path: Path, root: Path) -> str:
    """The photo's kind, for balancing: its first sub-folder, else its file-name prefix."""
    rel = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    if len(rel.parts) > 1:
        return rel.parts[0]
    match = re.match(r"[A-Za-z]+", path.stem)
    return match.group(0).lower() if match else "photos"


def _load_one(path: Path, load_size: int):
    """RGB uint8 with short side <= load_size, or None if unreadable."""
    rgb = read_rgb(path)
    if rgb is None:
        return None
    h, w = rgb.shape[:2]
    scale = load_size / min(h, w)
    if scale < 1:
        rgb = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return rgb


def is_grayscale(rgb: np.ndarray) -> bool:
    small = cv2.resize(rgb, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    return float(np.percentile(chroma, 99)) < GRAY_CHROMA


def hold_out(paths: list[Path], fraction: float, seed: int) -> tuple[list[Path], list[Path]]:
    """(train, val): `fraction` of the files, drawn by `seed`, held out for validation.
    Drawn from the whole list before torchrun's processes take their shares, so any
    number of processes validates on the same photos."""
    n_val = max(1, round(len(paths) * fraction)) if len(paths) > 1 else 0
    held = set(np.random.default_rng(seed).permutation(len(paths))[:n_val].tolist())
    return ([path for i, path in enumerate(paths) if i not in held],
            [path for i, path in enumerate(paths) if i in held])


def held_out_as_before(paths: list[Path], root: Path, held_names: list[str]) -> tuple[list[Path], list[Path]]:
    """(train, val) with the files a run held out before (`held_names`, relative to
    `root`) held out again: a resumed run validates on the same photos though files were
    added to the folder since, and a photo added since trains."""
    held = set(held_names)
    val = [path for path in paths if relative_name(path, root) in held]
    return [path for path in paths if relative_name(path, root) not in held], val


def relative_name(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def load_photos(root: Path, load_size: int = 256, min_size: int = MIN_PHOTO_SIDE, threads: int = 2,
                paths: list[Path] | None = None) -> PhotoSet:
    """The photos under `root` (or those of `paths`, found under it), in memory."""
    root = Path(root)
    paths = find_photos(root) if paths is None else paths
    with ThreadPoolExecutor(threads) as pool:  # cv2 decodes without the GIL
        images = list(pool.map(lambda p: _load_one(p, load_size), paths))
    out = PhotoSet([], [], [])
    for path, rgb in zip(paths, images):
        if rgb is None:
            out.skipped_broken += 1
            if len(out.broken_names) < NAMED_AT_MOST:
                out.broken_names.append(relative_name(path, root) if path.is_relative_to(root) else path.name)
        elif min(rgb.shape[:2]) < min_size:
            out.skipped_small += 1
        elif is_grayscale(rgb):
            out.skipped_gray += 1
        else:
            out.photos.append(rgb)
            out.names.append(path.name)
            out.groups.append(group_of(path, root))
    return out


def sampling_weights(groups: list[str], balance: float) -> np.ndarray:
    """Per-photo probabilities; balance 0 = uniform, 1 = every group equally often."""
    counts = {}
    for g in groups:
        counts[g] = counts.get(g, 0) + 1
    w = np.array([counts[g] ** -balance for g in groups], dtype=np.float64)
    return w / w.sum()


def rgb_to_lab(rgb_u8: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb_u8.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def random_crop(rgb: np.ndarray, size: int, rng: np.random.Generator, augment: bool) -> np.ndarray:
    h, w = rgb.shape[:2]
    if min(h, w) < size:
        s = size / min(h, w)
        rgb = cv2.resize(rgb, (max(size, round(w * s)), max(size, round(h * s))), interpolation=cv2.INTER_CUBIC)
        h, w = rgb.shape[:2]
    if augment and rng.random() < 0.3:  # small rotation, then crop inside it
        angle = rng.uniform(-8, 8)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        rgb = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    y = int(rng.integers(0, h - size + 1)) if augment else (h - size) // 2
    x = int(rng.integers(0, w - size + 1)) if augment else (w - size) // 2
    crop = rgb[y : y + size, x : x + size]
    if augment and rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.ascontiguousarray(crop)


def simulate_hints(ab: np.ndarray, rng: np.random.Generator, p_none: float = 0.5):
    """User hints as the app would send them: a few points/patches of true color."""
    h, w = ab.shape[:2]
    hint_ab = np.zeros_like(ab)
    mask = np.zeros((h, w), np.float32)
    if rng.random() < p_none:
        return hint_ab, mask
    for _ in range(int(min(rng.geometric(0.25), 12))):
        r = int(rng.integers(0, 3))  # patch half-size 0..2 px
        y, x = int(rng.integers(r, h - r)), int(rng.integers(r, w - r))
        patch = ab[y - r : y + r + 1, x - r : x + r + 1]
        hint_ab[y - r : y + r + 1, x - r : x + r + 1] = patch.reshape(-1, 2).mean(0)
        mask[y - r : y + r + 1, x - r : x + r + 1] = 1.0
    return hint_ab, mask


@dataclass
class Batch:
    L: torch.Tensor  # (B, 1, S, S) degraded input luminance
    hint_ab: torch.Tensor  # (B, 2, S, S)
    hint_mask: torch.Tensor  # (B, 1, S, S)
    ab_target: torch.Tensor  # (B, 2, S/4, S/4) clean ab at the head's resolution
    L_clean: torch.Tensor  # (B, 1, S, S)
    ab_full: torch.Tensor  # (B, 2, S, S)


def make_batch(photos: list[np.ndarray], size: int, rng: np.random.Generator, augment: bool = True,
               hints: bool = True, degrade_input: bool = True) -> Batch:
    Ls, Lcs, habs, hms, abts, abfs = [], [], [], [], [], []
    for rgb in photos:
        lab = rgb_to_lab(random_crop(rgb, size, rng, augment))
        L, ab = lab[..., 0], lab[..., 1:]
        L_in = degrade(L, rng) if degrade_input else L
        hab, hm = simulate_hints(ab, rng) if hints else (np.zeros_like(ab), np.zeros(L.shape, np.float32))
        Ls.append(L_in)
        Lcs.append(L)
        habs.append(hab)
        hms.append(hm)
        abts.append(cv2.resize(ab, (size // 4, size // 4), interpolation=cv2.INTER_AREA))
        abfs.append(ab)

    def t(arrays, channels_first):
        x = torch.from_numpy(np.stack(arrays))
        return x.permute(0, 3, 1, 2).contiguous() if channels_first else x[:, None]

    return Batch(t(Ls, False), t(habs, True), t(hms, False), t(abts, True), t(Lcs, False), t(abfs, True))


class BatchSampler:
    """Random balanced batches from a PhotoSet; its RNG state is checkpointed."""

    def __init__(self, photos: PhotoSet, batch_size: int, crop: int, seed: int, balance: float):
        self.photos = photos
        self.batch_size = batch_size
        self.crop = crop
        self.rng = np.random.default_rng(seed)
        self.p = sampling_weights(photos.groups, balance)

    def next(self) -> Batch:
        return self.make(self.draw())

    def draw(self) -> tuple[np.ndarray, int]:
        """The next batch's photos, and the seed of their crops, damage and hints: quick,
        and drawn in order, so the batches are the same however many threads make them."""
        idx = self.rng.choice(len(self.photos), self.batch_size, p=self.p)
        return idx, int(self.rng.integers(2**63))

    def make(self, drawn: tuple[np.ndarray, int]) -> Batch:
        idx, seed = drawn
        return make_batch([self.photos.photos[i] for i in idx], self.crop, np.random.default_rng(seed))

    def state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


class PrefetchingSampler:
    """A BatchSampler whose next batches are made on threads while the current training
    step runs (OpenCV and numpy let go of the GIL), so a GPU waits less for its data:
    one batch ahead per thread.

    ``state()`` is the sampler's state before the oldest batch made ahead, which no step
    has used yet: a checkpoint resumes with that batch, exactly as without the threads.
    """

    def __init__(self, sampler: BatchSampler, threads: int = 1):
        self._sampler = sampler
        self._threads = max(1, threads)
        self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="batches")
        self._ahead = collections.deque()  # (sampler state before its draw, future), oldest first

    def next(self) -> Batch:
        self._fill()
        batch = self._ahead.popleft()[1].result()
        self._fill()
        return batch

    def _fill(self) -> None:
        while len(self._ahead) < self._threads:
            state = self._sampler.state()
            self._ahead.append((state, self._pool.submit(self._sampler.make, self._sampler.draw())))

    def state(self) -> dict:
        return self._ahead[0][0] if self._ahead else self._sampler.state()

    def set_state(self, state: dict) -> None:
        if self._ahead:
            raise RuntimeError("set the state before the first batch")
        self._sampler.set_state(state)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def fixed_batches(photos: PhotoSet, size: int, batch_size: int):
    """Deterministic center crops, no degradation, no hints: for validation."""
    rng = np.random.default_rng(0)
    for i in range(0, len(photos), batch_size):
        yield make_batch(photos.photos[i : i + batch_size], size, rng, augment=False, hints=False, degrade_input=False)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
