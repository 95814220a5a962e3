"""Color hints: a person says "this point is this color", and that region follows.

The network takes hints as input, but it learned to use them only a little (see
docs/MODEL.md). So after it has run, each hint's color is spread over the region
around the hint, and the prediction there is blended towards it: the region takes
the hint's a*b*, and keeps the photo's own luminance and so its shading.

The spreading is an edge-aware recursive filter (the domain transform of Gastal
and Oliveira, 2011) guided by the luminance: it travels far across smooth areas
and is held back at edges, so a hint on a coat colors the coat more than the
wall behind it. Where several hints reach, their colors mix by nearness; far
from every hint the prediction is left as it was.
Everything here works at the network's output resolution (1/4 of the render
size), where it costs a few milliseconds.
"""

from dataclasses import dataclass

import cv2
import numpy as np

REACH = 0.25  # how far a hint travels over a smooth area, as a share of the longer side
EDGE = 30.0  # a luminance step (L* units) this large stops a hint as much as REACH of smooth area does
FADE = 0.1  # where the hints' summed weight falls below this share of one hint's own, they fade
# The guide is L after a 3x3 median: small texture (polka dots, weave, grain) then
# stops a hint less, while the outlines of coats and walls stay. Measured on val
# (docs/MODEL.md): it fills patterned clothes better at the same score.
GUIDE_MEDIAN = 3


@dataclass(frozen=True)
class Hint:
    """A user's color hint: a point in relative coordinates (0..1) and its a*b*."""

    x: float
    y: float
    a: float
    b: float

    @classmethod
    def from_rgb(cls, x: float, y: float, rgb: tuple[int, int, int]) -> "Hint":
        """A hint of an sRGB color (0..255); only its a*b* count, the photo keeps its own L*."""
        pixel = np.array([[rgb]], np.float32) / np.float32(255.0)
        _, a, b = cv2.cvtColor(pixel, cv2.COLOR_RGB2Lab)[0, 0]
        return cls(float(x), float(y), float(a), float(b))

    def cell(self, shape: tuple[int, int]) -> tuple[int, int]:
        """(row, column) of the hint in an image of `shape`."""
        h, w = shape
        return min(h - 1, max(0, int(self.y * h))), min(w - 1, max(0, int(self.x * w)))


def rasterize_hints(hints: list[Hint], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The network's hint input at `shape`: (h, w, 2) a*b* and (h, w) mask, 3x3 px a hint."""
    hint_ab = np.zeros((*shape, 2), np.float32)
    mask = np.zeros(shape, np.float32)
    for hint in hints:
        y, x = hint.cell(shape)
        hint_ab[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2] = (hint.a, hint.b)
        mask[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2] = 1.0
    return hint_ab, mask


def spread_hints(ab: np.ndarray, L: np.ndarray, hints: list[Hint]) -> np.ndarray:
    """Correct the predicted ab (h, w, 2) towards the hints, guided by L (h, w)."""
    if not hints:
        return ab
    h, w = L.shape
    sources = np.zeros((h, w, 3), np.float32)  # a, b, weight
    for hint in hints:
        y, x = hint.cell((h, w))
        sources[y, x] += (hint.a, hint.b, 1.0)
    reach = REACH * max(h, w)
    guide = cv2.medianBlur(np.ascontiguousarray(L, np.float32), GUIDE_MEDIAN)
    spread = edge_aware_smooth(sources, guide[..., None], reach, EDGE)
    # What one hint keeps at its own cell on a flat image: the scale for "weight here".
    impulse = np.zeros((h, w, 1), np.float32)
    impulse[h // 2, w // 2] = 1.0
    own = edge_aware_smooth(impulse, np.zeros((h, w, 1), np.float32), reach, EDGE)[h // 2, w // 2, 0]
    weight = spread[..., 2:]
    # Full strength near hints, fading where their weight is small.
    strength = np.minimum(1.0, weight / (weight + FADE * own) * (1.0 + FADE))
    hint_color = spread[..., :2] / np.maximum(weight, 1e-20)  # the hints' colors, weighted by nearness
    return ab + (hint_color - ab) * strength


def edge_aware_smooth(src: np.ndarray, guide: np.ndarray, sigma_space: float, sigma_range: float,
                      iterations: int = 3) -> np.ndarray:
    """Domain transform recursive filter (Gastal and Oliveira 2011) of src (h, w, C), guided by (h, w, G).

    Each pass is a weighted running average along rows or columns; the weight
    between neighbours shrinks with the guide's difference between them, so the
    result is smooth within regions and keeps their edges.
    """
    out = np.array(src, np.float32)
    ratio = sigma_space / sigma_range
    # The distance between neighbours in the transformed domain: 1 plus their guide step.
    step_x = 1.0 + ratio * np.abs(np.diff(guide, axis=1)).sum(-1)  # (h, w-1)
    step_y = 1.0 + ratio * np.abs(np.diff(guide, axis=0)).sum(-1)  # (h-1, w)
    for i in range(iterations):
        # the paper's per-iteration sigma, so the iterations together have sigma_space
        sigma = sigma_space * np.sqrt(3.0) * 2.0 ** (iterations - i - 1) / np.sqrt(4.0**iterations - 1)
        decay = np.exp(-np.sqrt(2.0) / sigma)
        _two_way(out, (decay**step_x)[..., None].astype(np.float32))
        _two_way(out.transpose(1, 0, 2), (decay**step_y).T[..., None].astype(np.float32))
    return out


def _two_way(img: np.ndarray, weight: np.ndarray) -> None:
    """In place, along axis 1: a causal then an anti-causal recursive pass.

    weight[:, x] links column x and x+1. Loops over columns, each step vectorised
    over all rows (the recursion itself cannot be).
    """
    for x in range(1, img.shape[1]):
        img[:, x] += weight[:, x - 1] * (img[:, x - 1] - img[:, x])
    for x in range(img.shape[1] - 2, -1, -1):
        img[:, x] += weight[:, x] * (img[:, x + 1] - img[:, x])
