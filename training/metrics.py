"""Colorization metrics: PSNR, AuC of the ab error, colorfulness and its gap.

- PSNR on 8-bit RGB of the recolored photo vs the truth.
- AuC: the fraction of pixels whose ab error is under a threshold, averaged
  over thresholds 0..150 (Zhang et al.); 1.0 is perfect.
- Colorfulness (Hasler and Süsstrunk 2003) of the result and of the truth; the
  gap is (result - truth) / truth: negative means too dull, positive too loud.
"""

from dataclasses import dataclass, field

import numpy as np

AUC_THRESHOLDS = np.arange(0, 151, dtype=np.float32)


def psnr(pred_rgb: np.ndarray, true_rgb: np.ndarray) -> float:
    mse = np.mean((pred_rgb.astype(np.float64) - true_rgb.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


def ab_error_cdf(pred_ab: np.ndarray, true_ab: np.ndarray) -> np.ndarray:
    err = np.sqrt(((pred_ab.astype(np.float32) - true_ab.astype(np.float32)) ** 2).sum(-1)).ravel()
    hist = np.histogram(err, bins=np.append(AUC_THRESHOLDS, np.inf))[0]
    return np.cumsum(hist) / err.size  # fraction with error <= each threshold


def colorfulness(rgb: np.ndarray) -> float:
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


@dataclass
class MetricAccumulator:
    """Averages per-photo metrics over a set."""

    psnr: list = field(default_factory=list)
    cdf: list = field(default_factory=list)
    cf_pred: list = field(default_factory=list)
    cf_true: list = field(default_factory=list)

    def add(self, pred_rgb, true_rgb, pred_ab, true_ab) -> None:
        self.psnr.append(psnr(pred_rgb, true_rgb))
        self.cdf.append(ab_error_cdf(pred_ab, true_ab))
        self.cf_pred.append(colorfulness(pred_rgb))
        self.cf_true.append(colorfulness(true_rgb))

    def result(self) -> dict:
        assert self.psnr, "no photos were measured"
        cf_pred, cf_true = float(np.mean(self.cf_pred)), float(np.mean(self.cf_true))
        return {
            "photos": len(self.psnr),
            "psnr": float(np.mean(self.psnr)),
            "auc": float(np.mean(np.stack(self.cdf), axis=0).mean()),
            "colorfulness": cf_pred,
            "colorfulness_true": cf_true,
            "colorfulness_gap": (cf_pred - cf_true) / max(cf_true, 1e-6),
        }


def format_table(rows: dict[str, dict]) -> str:
    """rows: label -> metrics dict. A plain text table."""
    cols = ("psnr", "auc", "colorfulness", "colorfulness_gap", "photos")
    head = f"{'':<22}" + "".join(f"{c:>18}" for c in cols)
    lines = [head, "-" * len(head)]
    for label, m in rows.items():
        cells = []
        for c in cols:
            v = m.get(c, float("nan"))
            cells.append(f"{v:>18.1%}" if c == "colorfulness_gap" else f"{v:>18.4g}" if isinstance(v, float) else f"{v:>18}")
        lines.append(f"{label:<22}" + "".join(cells))
    return "\n".join(lines)
