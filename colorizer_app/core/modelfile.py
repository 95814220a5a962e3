"""Model files: NAME.safetensors (weights) + NAME.json (what the weights are).

safetensors, never pickle: a model file someone sends you must not be able to
run code on your machine. Pickle-based files (.pth, .pt, .ckpt, .pkl) are
refused outright rather than "loaded carefully".
"""

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from colorizer_app.core.atomicfile import write_atomically, write_text_atomically

if TYPE_CHECKING:  # torch loads only when a model does
    import torch

FORMAT = "colorizer-model"
# 2 added "chroma_gain_rule". A file is written with the oldest version that reads
# it right, so an older Colorizer still opens fixed-gain models and refuses, with a
# clear message, a per-photo one it would have made far too loud.
FORMAT_VERSION = 2
GAIN_RULES = ("fixed", "per-photo")
ARCHITECTURES = ("unet",)
PICKLE_SUFFIXES = (".pth", ".pt", ".ckpt", ".pkl", ".pickle", ".bin")
MAX_NAME_LENGTH = 64
_NAME_RE = re.compile(r"^\w[\w.-]*$")
_RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                   *(f"lpt{i}" for i in range(1, 10))}


def model_name_problem(name: str) -> str | None:
    """Why `name` cannot name a model (it becomes NAME.json and a run folder), or None.

    Letters, digits, '-', '_' and '.', starting with a letter or digit: no folders
    (a/b), no way out of the models folder (../x), nothing Windows refuses (con).
    """
    if not name:
        return "Give the new model a name."
    if len(name) > MAX_NAME_LENGTH:
        return f"The name is too long (at most {MAX_NAME_LENGTH} characters)."
    if not _NAME_RE.match(name) or name.endswith("."):
        return ("Use letters, digits, '-', '_' and '.' in the name "
                "(it becomes a file name); start with a letter or digit.")
    if name.split(".")[0].lower() in _RESERVED_NAMES:
        return f"Windows keeps {name.split('.')[0]} for a device, not a file: choose another name."
    ending = Path(name).suffix.lower()
    if ending in (".json", ".safetensors"):
        return f"Leave out the ending {ending}: the model is saved as NAME.json and NAME.safetensors."
    return None


class ModelFileError(Exception):
    """A model file that is missing, malformed, refused or does not match its JSON."""


def read_model_json(json_path: Path) -> dict:
    """Read and validate NAME.json without importing torch (the catalog uses this)."""
    return _read_description(json_path)[0]


def _read_description(json_path: Path) -> tuple[dict, dict]:
    """NAME.json, validated, and the header of the weights file it names (their
    tensors' names and shapes)."""
    json_path = Path(json_path)
    if json_path.suffix.lower() in PICKLE_SUFFIXES:
        raise ModelFileError(
            f"{json_path.name}: pickle-based weight files are refused, because loading one can run "
            "arbitrary code. Use a Colorizer model (NAME.safetensors + NAME.json)."
        )
    if json_path.suffix.lower() == ".safetensors":
        json_path = json_path.with_suffix(".json")
    if not json_path.exists():
        raise ModelFileError(f"{json_path.name}: file not found")
    if not json_path.is_file():  # a FIFO would block the reader for good, a device never end
        raise ModelFileError(f"{json_path.name}: not a regular file")
    try:
        if json_path.stat().st_size > MAX_JSON_BYTES:
            raise ModelFileError(f"{json_path.name}: too large for a model description "
                                 f"(over {MAX_JSON_BYTES // 1_000_000} MB)")
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{json_path.name}: not a readable model description ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{json_path.name}: not a Colorizer model description")
    problem = _description_problem(meta, json_path)
    if problem:
        raise ModelFileError(f"{json_path.name}: {problem}")
    weights = weights_path(json_path, meta)
    if not weights.is_file():
        raise ModelFileError(f"{json_path.name}: weights file {weights.name} is missing")
    return meta, _check_safetensors_header(weights)


MAX_JSON_BYTES = 4_000_000  # a real description is a few kB
MAX_HEADER_BYTES = 16_000_000  # a real safetensors header is tens of kB
# What a model description may say, checked before anything is built from it: a
# model file someone sent must not be able to exhaust memory or read outside the
# models folder. (key, type, lowest, highest); the network's own keys under "config".
CHROMA_GAIN_RANGE = (0.1, 100.0)
TEMPERATURE_RANGE = (0.01, 10.0)  # 0 would be the bins' mode, NaN all gray
_META_NUMBERS = (("render_size", int, 64, 4096), ("chroma_gain", float, *CHROMA_GAIN_RANGE))
_CONFIG_NUMBERS = (("grid_step", int, 1, 64), ("num_bins", int, 0, 100_000),
                   ("readout_temperature", float, *TEMPERATURE_RANGE))
_MAX_CHANNELS = 1024  # the default decoder has 128; at this bound a network still builds in ~0.5 GB


def _description_problem(meta: dict, json_path: Path) -> str | None:
    """Why a model description cannot be used as it is, or None."""
    version = meta.get("format_version", 0)
    if not _is_number(version, int):
        return f"format_version {version!r} is not a whole number"
    if version > FORMAT_VERSION:
        return f"made by a newer Colorizer (format {version})"
    if meta.get("architecture") not in ARCHITECTURES:
        return f"unknown architecture {meta.get('architecture')!r}"
    if "name" in meta and not isinstance(meta["name"], str):
        return "its name is not text"
    weights = meta.get("weights", json_path.stem + ".safetensors")
    if not isinstance(weights, str) or weights in ("", ".", "..") or Path(weights).name != weights \
            or "/" in weights or "\\" in weights:
        return f"its weights must be a file beside it, named plainly, not {weights!r}"
    if meta.get("chroma_gain_rule", "fixed") not in GAIN_RULES:
        return f"unknown chroma gain rule {meta['chroma_gain_rule']!r}"
    config = meta.get("config")
    if not isinstance(config, dict):
        return "no network configuration"
    for where, numbers in ((meta, _META_NUMBERS), (config, _CONFIG_NUMBERS)):
        for key, kind, low, high in numbers:
            if key in where and not (_is_number(where[key], kind) and low <= where[key] <= high):
                return f"{key} must be a number from {low} to {high}, not {where[key]!r}"
    channels = config.get("decoder_chs", [])
    if not isinstance(channels, list) or not all(_is_number(c, int) and 1 <= c <= _MAX_CHANNELS for c in channels):
        return f"decoder_chs must be a list of channel counts from 1 to {_MAX_CHANNELS}"
    return None


def _is_number(value, kind: type) -> bool:
    """An int (kind int), or a finite int or float (kind float); never a bool."""
    if isinstance(value, bool):
        return False
    if kind is int:
        return isinstance(value, int)
    return isinstance(value, (int, float)) and math.isfinite(value)


def weights_path(json_path: Path, meta: dict) -> Path:
    return Path(json_path).with_name(meta.get("weights", Path(json_path).stem + ".safetensors"))


def _check_safetensors_header(path: Path) -> dict:
    """Cheap structural check: an 8-byte length, a JSON header that fits the file, and
    the tensors it lists within the file (a download or copy cut short is caught here,
    and the model listed unusable, not when it is first chosen)."""
    size = path.stat().st_size
    try:
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            if n <= 0 or n + 8 > size or n > MAX_HEADER_BYTES:
                raise ValueError("bad header length")
            header = json.loads(f.read(n))
            if not isinstance(header, dict):
                raise ValueError("the header is not a table of tensors")
            offsets = [entry.get("data_offsets") for entry in header.values() if isinstance(entry, dict)]
            ends = [pair[-1] for pair in offsets if isinstance(pair, list) and pair and _is_number(pair[-1], int)]
            needed = 8 + n + max(ends, default=0)
            if needed > size:
                raise ValueError(f"cut short: {size:,} of its {needed:,} bytes")
    except (OSError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path.name}: not a valid safetensors file ({exc})") from None
    return header


@dataclass
class ColorModel:
    """A loaded network ready for inference, with what its JSON says about it."""

    name: str
    meta: dict
    net: "torch.nn.Module"
    device: "torch.device"
    temperature: float | None = None  # None: the model's own readout temperature

    @property
    def render_size(self) -> int:
        return int(self.meta.get("render_size", 512))

    @property
    def size_multiple(self) -> int:
        return self.net.size_multiple

    @property
    def chroma_gain(self) -> float:
        """A factor on the predicted a*b*, set at export: a model trained to be
        accurate predicts conservative (low-chroma) colors where it is unsure, and a
        gain measured on validation photos brings its colorfulness back to that of
        real photos. 1.0 when the JSON has none. Under the per-photo rule it is the
        most any photo gets."""
        return float(self.meta.get("chroma_gain", 1.0))

    @property
    def gain_rule(self) -> str:
        """How chroma_gain applies: "fixed" (every photo gets it; the default) or
        "per-photo": each photo gets the gain that makes up its readout's shortfall
        (UNet.chroma_shortfall), between 1 and chroma_gain. An unsure photo (a faded
        scan, a scene the network has seen little of) then gets more gain than one
        it is sure of, whose colors are already full. Regression heads have no
        distribution to measure, so they are always "fixed"."""
        rule = self.meta.get("chroma_gain_rule", "fixed")
        return "fixed" if self.net.config.head == "regression" else rule

    def _run(self, x, hint_ab=None, hint_mask=None):
        """The network's head output, in mixed precision where that is safe (the
        readout and the gain are computed from it in full precision)."""
        from colorizer_app.core.device import autocast_context

        with autocast_context(self.device):
            return self.net(x, hint_ab, hint_mask)

    def predict_ab(self, L: np.ndarray, hint_ab: np.ndarray | None = None, hint_mask: np.ndarray | None = None) -> np.ndarray:
        """L* (h, w) float32 0..100, h and w multiples of size_multiple -> ab (h/4, w/4, 2) float32."""
        import torch

        x = torch.from_numpy(np.ascontiguousarray(L, dtype=np.float32))[None, None].to(self.device)
        hinted = hint_mask is not None and hint_mask.any()
        per_photo = self.gain_rule == "per-photo"
        gain = self.chroma_gain
        with torch.inference_mode():
            if per_photo or not hinted:
                out = self._run(x)
                ab = self.net.readout(out, self.temperature)
            if per_photo:
                # Measured without hints, so adding a hint does not change the rest of the photo's vividness.
                gain = float(self.net.chroma_shortfall(out, ab)[0].clamp(1.0, max(1.0, gain)))
            if hinted:
                # The network reproduces a hint's color; divided here and multiplied back
                # below, a hint comes out as the color the person asked for.
                hint_ab = hint_ab.transpose(2, 0, 1) / np.float32(gain)
                hab = torch.from_numpy(np.ascontiguousarray(hint_ab, dtype=np.float32))[None].to(self.device)
                hm = torch.from_numpy(np.ascontiguousarray(hint_mask, dtype=np.float32))[None, None].to(self.device)
                ab = self.net.readout(self._run(x, hab, hm), self.temperature)
        if gain != 1.0:
            ab = ab * gain
        return ab[0].permute(1, 2, 0).float().cpu().numpy()


def load_model(json_path: Path | str, device=None) -> ColorModel:
    """Load NAME.json + NAME.safetensors onto `device` (default: the best available)."""
    import torch
    from safetensors.torch import load as load_weights

    from colorizer_app.core.device import select_device
    from colorizer_app.models import UNetConfig, build_model

    json_path = Path(json_path)
    if json_path.suffix.lower() == ".safetensors":
        json_path = json_path.with_suffix(".json")
    meta, header = _read_description(json_path)
    weights = weights_path(json_path, meta)
    try:
        config = UNetConfig(**meta["config"])
        # Bounded by the checks on the description. (torch's meta device would cost no
        # memory at all, but needs torch's compiler, which the bundle leaves out.)
        net = build_model(config)
    except (TypeError, AssertionError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{json_path.name}: network configuration not understood ({exc})") from None
    # The shapes the file's header gives, before the weights are read.
    mismatch = _shape_mismatch({k: tuple(v.shape) for k, v in net.state_dict().items()},
                               {k: tuple(v.get("shape", ())) for k, v in header.items()
                                if k != "__metadata__" and isinstance(v, dict)})
    if mismatch:
        raise ModelFileError(f"{json_path.name}: weights do not match the network ({mismatch})")
    try:
        data = weights.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{json_path.name}: weights could not be read ({exc})") from None
    expected = meta.get("weights_sha256")
    if expected and hashlib.sha256(data).hexdigest() != expected:
        # A damaged copy, a weights file swapped by hand, or a pair caught halfway
        # through being exported again: the colors would not be what the JSON describes.
        raise ModelFileError(f"{weights.name} is not the weights {json_path.name} was saved with "
                             "(damaged, replaced, or still being written); export the model again")
    try:
        state = load_weights(data)
    except Exception as exc:  # safetensors raises its own error types
        raise ModelFileError(f"{json_path.name}: weights could not be read ({exc})") from None
    own = net.state_dict()
    net.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()})
    device = torch.device(device) if device is not None else select_device()
    net.to(device).eval()
    if device.type == "cpu":
        net.to(memory_format=torch.channels_last)
    return ColorModel(name=meta.get("name", json_path.stem), meta=meta, net=net, device=device)


def _shape_mismatch(own: dict[str, tuple], found: dict[str, tuple]) -> str:
    """How the tensors a file holds differ from those the network has ("" if not)."""
    missing = sorted(set(own) - set(found))
    unexpected = sorted(set(found) - set(own))
    wrong = sorted(k for k in own if k in found and own[k] != found[k])
    return "; ".join(
        f"{what}: {', '.join(keys[:3])}{' …' if len(keys) > 3 else ''}"
        for what, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong))
        if keys
    )


def save_model(net, json_path: Path | str, meta: dict, half: bool = True) -> Path:
    """Write NAME.safetensors + NAME.json next to each other, each atomically.

    `meta` holds what the caller knows (render size, training data, metrics, ...);
    format fields, the config and the weights' checksum are filled in here.
    """
    from safetensors.torch import save

    json_path = Path(json_path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    state = {}
    for k, v in net.state_dict().items():
        v = v.detach().cpu()
        if half and v.is_floating_point():
            v = v.half()
        state[k] = v.contiguous()
    weights = json_path.with_suffix(".safetensors")
    data = save(state)
    write_atomically(weights, lambda f: f.write(data))
    full = {
        "format": FORMAT,
        "format_version": 1 if meta.get("chroma_gain_rule", "fixed") == "fixed" else 2,
        "name": json_path.stem,
        "architecture": "unet",
        "config": net.config.to_dict(),
        "render_size": 512,
        **meta,
        "weights": weights.name,
        "weights_sha256": hashlib.sha256(data).hexdigest(),
    }
    text = json.dumps(full, indent=2, sort_keys=False) + "\n"
    write_text_atomically(json_path, text)
    return json_path
