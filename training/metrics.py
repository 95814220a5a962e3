"""Colorization metrics: PSNR, AuC of the ab error, colorfulness and its gap.

- PSNR on 8-bit RGB of the recolored photo vs the truth.
- AuC: the fraction of pixels whose ab error is under a threshold, averaged
  over thresholds 0..150 (Zhang et al.); 1.0 is perfect. Raw AuC rewards
  gray: most pixels of most photos are low in chroma, so predicting none scores
  well. Hence also
- AuC rebalanced: the same with every pixel weighted by the inverse frequency
  of its true color (ab bins of 10 over the measured set), so each color counts
  equally; a model that leaves skies and leaves gray loses here (Zhang et al.'s
  "rebal" column).
- Colorfulness (Hasler and Süsstrunk 2003) of the result and of the truth; the
  gap is (result - truth) / truth: negative means too dull, positive too loud.
- False color: the share of near-neutral true pixels (chroma under 10) that come
  out vivid (chroma over 30): a gray suit turned blue, a white wall turned red.
  The blotches people notice first; 0 is best.
"""

from dataclasses import dataclass, field

import numpy as np

AUC_THRESHOLDS = np.arange(0, 151, dtype=np.float32)
COLOR_CELLS = 24  # true colors binned by 10 Lab units over -120..120, for rebalanced AuC
NEUTRAL_CHROMA, VIVID_CHROMA = 10.0, 30.0  # for false color


def psnr(pred_rgb: np.ndarray, true_rgb: np.ndarray) -> float:
    mse = np.mean((pred_rgb.astype(np.float64) - true_rgb.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


def ab_error_cdf(pred_ab: np.ndarray, true_ab: np.ndarray) -> np.ndarray:
    err = np.sqrt(((pred_ab.astype(np.float32) - true_ab.astype(np.float32)) ** 2).sum(-1)).ravel()
    hist = np.histogram(err, bins=np.append(AUC_THRESHOLDS, np.inf))[0]
    return np.cumsum(hist) / err.size  # fraction with error <= each threshold


def ab_error_histogram_by_color(pred_ab: np.ndarray, true_ab: np.ndarray) -> np.ndarray:
    """(color bin, error threshold) pixel counts: true ab in bins of 10 over -120..120."""
    err = np.sqrt(((pred_ab.astype(np.float32) - true_ab.astype(np.float32)) ** 2).sum(-1)).ravel()
    cell = np.clip(((true_ab.reshape(-1, 2) + 120) // 10).astype(int), 0, COLOR_CELLS - 1)
    color = cell[:, 0] * COLOR_CELLS + cell[:, 1]
    thr = np.clip(np.ceil(err).astype(int), 0, len(AUC_THRESHOLDS))  # first threshold the error is <=
    counts = np.zeros((COLOR_CELLS**2, len(AUC_THRESHOLDS) + 1), np.int64)
    np.add.at(counts, (color, thr), 1)
    return counts


def rebalanced_auc(counts: np.ndarray) -> float:
    """AuC with each true color weighted equally (only colors that occur count)."""
    totals = counts.sum(1)
    present = totals > 0
    cdf = np.cumsum(counts[present], axis=1)[:, : len(AUC_THRESHOLDS)] / totals[present, None]
    return float(cdf.mean())


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
    by_color: np.ndarray | None = None
    neutral_pixels: int = 0
    false_color_pixels: int = 0

    def add(self, pred_rgb, true_rgb, pred_ab, true_ab) -> None:
        self.psnr.append(psnr(pred_rgb, true_rgb))
        self.cdf.append(ab_error_cdf(pred_ab, true_ab))
        counts = ab_error_histogram_by_color(pred_ab, true_ab)
        self.by_color = counts if self.by_color is None else self.by_color + counts
        self.cf_pred.append(colorfulness(pred_rgb))
        self.cf_true.append(colorfulness(true_rgb))
        neutral = np.hypot(true_ab[..., 0], true_ab[..., 1]) < NEUTRAL_CHROMA
        self.neutral_pixels += int(neutral.sum())
        self.false_color_pixels += int((neutral & (np.hypot(pred_ab[..., 0], pred_ab[..., 1]) > VIVID_CHROMA)).sum())

    def result(self) -> dict:
        assert self.psnr, "no photos were measured"
        cf_pred, cf_true = float(np.mean(self.cf_pred)), float(np.mean(self.cf_true))
        return {
            "photos": len(self.psnr),
            "psnr": float(np.mean(self.psnr)),
            "auc": float(np.mean(np.stack(self.cdf), axis=0).mean()),
            "auc_rebalanced": rebalanced_auc(self.by_color),
            "colorfulness": cf_pred,
            "colorfulness_true": cf_true,
            "colorfulness_gap": (cf_pred - cf_true) / max(cf_true, 1e-6),
            "false_color": self.false_color_pixels / max(self.neutral_pixels, 1),
        }


# The table's columns: metric, header, format. One precision per column, so rows line up
# and compare digit by digit; the gap is signed as in the training log (+ too loud, - too dull).
TABLE_COLUMNS = (("psnr", "PSNR dB", "{:.2f}"),
                 ("auc", "AuC", "{:.3f}"),
                 ("auc_rebalanced", "AuC rebal", "{:.3f}"),
                 ("colorfulness", "colorfulness", "{:.1f}"),
                 ("colorfulness_gap", "gap", "{:+.1%}"),
                 ("false_color", "false color", "{:.1%}"),
                 ("photos", "photos", "{:d}"))
TABLE_NOTE = "better: PSNR and AuC higher; gap (colorfulness vs the truth's) nearer 0; false color lower"


def format_table(rows: dict[str, dict]) -> str:
    """rows: label -> metrics dict. A plain text table, then a line on which way is better."""
    heads = [head for _, head, _ in TABLE_COLUMNS]
    body = [[fmt.format(m[key]) for key, _, fmt in TABLE_COLUMNS] for m in rows.values()]
    widths = [max(len(cell) for cell in column) for column in zip(heads, *body)]
    name_width = max(map(len, rows), default=0)  # as wide as the longest name: any name stays aligned

    def line(label: str, cells: list[str]) -> str:
        return "  ".join([f"{label:<{name_width}}", *(f"{c:>{w}}" for c, w in zip(cells, widths))])

    head = line("", heads)
    lines = [head, "-" * len(head), *(line(label, cells) for label, cells in zip(rows, body))]
    return "\n".join([*lines, TABLE_NOTE])
