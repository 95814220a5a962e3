"""Losses: ab regression (the baseline), rebalanced classification, adversarial.

Classification follows Zhang, Isola and Efros (2016): soft-encode the true ab
onto its 5 nearest bins, weight each pixel by how rare its color is (so the
model is not rewarded for the brownish mean of all plausible colors), and read
out with the annealed mean.
"""

import hashlib
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from colorizer_app.core.atomicfile import write_atomically


def ab_regression_loss(ab_pred: torch.Tensor, ab_true: torch.Tensor, kind: str = "l1") -> torch.Tensor:
    """Per-pixel L1 or Huber on ab, in Lab units scaled to about -1..1."""
    if kind == "huber":
        return F.smooth_l1_loss(ab_pred / 110.0, ab_true / 110.0, beta=0.05)
    return F.l1_loss(ab_pred / 110.0, ab_true / 110.0)


def ab_histogram(ab_maps: list[np.ndarray], bins: np.ndarray) -> np.ndarray:
    """Empirical probability of each bin over all pixels of the given (h, w, 2) ab maps."""
    counts = np.zeros(len(bins), np.float64)
    b = torch.from_numpy(bins)
    for ab in ab_maps:
        flat = torch.from_numpy(ab.reshape(-1, 2))
        nearest = torch.cdist(flat, b).argmin(1).numpy()
        counts += np.bincount(nearest, minlength=len(bins))
    return counts / counts.sum()


def rebalance_weights(prob: np.ndarray, bins: np.ndarray, lam: float = 0.5, sigma: float = 5.0) -> np.ndarray:
    """w ∝ 1 / ((1-λ)·p̃ + λ/Q), p̃ the Gaussian-smoothed prior, with E_p[w] = 1."""
    d2 = ((bins[:, None, :] - bins[None, :, :]) ** 2).sum(-1)
    kernel = np.exp(-d2 / (2 * sigma**2))
    smooth = kernel @ prob
    smooth /= smooth.sum()
    w = 1.0 / ((1 - lam) * smooth + lam / len(bins))
    return (w / (smooth * w).sum()).astype(np.float32)


def prior_cache_key(names: list[str], photos: list[np.ndarray], grid_step: int) -> str:
    """Names alone do not tell two folders of IMG_0001.jpg apart: a sparse sample of
    each photo's pixels goes into the key too (a few bytes a photo, cheap to read)."""
    h = hashlib.sha256(f"{grid_step}\n".encode())
    for name, rgb in sorted(zip(names, photos), key=lambda pair: pair[0]):
        h.update(name.encode() + b"\n" + repr(rgb.shape).encode())
        h.update(np.ascontiguousarray(rgb[::17, ::17]).tobytes())
    return h.hexdigest()[:16]


def load_or_compute_prior(photos, bins: np.ndarray, cache_dir: Path, grid_step: int, max_photos: int = 3000) -> np.ndarray:
    """The training data's ab distribution over the bins, cached by the photos."""
    import cv2

    from training.data import rgb_to_lab

    cache = Path(cache_dir) / f"ab_prior_{prior_cache_key(photos.names, photos.photos, grid_step)}.npy"
    try:
        prob = np.load(cache)
        if prob.shape == (len(bins),):
            return prob
    except (OSError, ValueError, EOFError):  # not cached yet, or damaged: computed again
        pass
    step = max(1, len(photos) // max_photos)
    maps = []
    for rgb in photos.photos[::step]:
        small = cv2.resize(rgb, (48, 48), interpolation=cv2.INTER_AREA)
        maps.append(rgb_to_lab(small)[..., 1:])
    prob = ab_histogram(maps, bins)
    cache.parent.mkdir(parents=True, exist_ok=True)
    # Whole or not at all: the ranks of a torchrun each compute it and may read it meanwhile.
    write_atomically(cache, lambda f: np.save(f, prob))
    return prob


class RebalancedClassificationLoss(nn.Module):
    def __init__(self, bins: torch.Tensor, weights: torch.Tensor, sigma: float = 5.0, neighbours: int = 5):
        super().__init__()
        self.register_buffer("bins", bins.float())  # (Q, 2)
        self.register_buffer("weights", weights.float())  # (Q,)
        self.sigma = sigma
        self.k = neighbours

    def soft_targets(self, ab: torch.Tensor):
        """(B, 2, h, w) ab -> (N, Q) soft targets and (N,) nearest-bin index."""
        flat = ab.permute(0, 2, 3, 1).reshape(-1, 2).float()
        d2 = torch.cdist(flat, self.bins) ** 2  # (N, Q)
        near_d2, near_idx = d2.topk(self.k, dim=1, largest=False)
        w = torch.softmax(-near_d2 / (2 * self.sigma**2), dim=1)
        target = torch.zeros_like(d2).scatter_(1, near_idx, w)
        return target, near_idx[:, 0]

    def forward(self, logits: torch.Tensor, ab_true: torch.Tensor) -> torch.Tensor:
        target, nearest = self.soft_targets(ab_true)
        logp = F.log_softmax(logits.float().permute(0, 2, 3, 1).reshape(-1, logits.shape[1]), dim=1)
        ce = -(target * logp).sum(1)
        return (ce * self.weights[nearest]).mean()


class PatchDiscriminator(nn.Module):
    """A small PatchGAN on (L, ab) at the head's 1/4 resolution."""

    def __init__(self, chs: int = 64):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        self.net = nn.Sequential(
            sn(nn.Conv2d(3, chs, 4, 2, 1)), nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(chs, chs * 2, 4, 2, 1)), nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(chs * 2, chs * 4, 3, 1, 1)), nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(chs * 4, 1, 3, 1, 1)),
        )

    def forward(self, L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        L = F.interpolate(L, size=ab.shape[-2:], mode="area")
        return self.net(torch.cat([L / 50.0 - 1.0, ab / 110.0], dim=1))


def hinge_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def hinge_g_loss(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()
