"""The model catalog: bundled models and the user's own, each usable or not, and why.

Listing reads only the JSON and the safetensors header, so it needs no torch
and is instant; a file that is broken in a deeper way is found on load, and
the caller then marks it unusable with ModelFileError's message.
"""

from dataclasses import dataclass, field
from pathlib import Path

from colorizer_app.core import paths
from colorizer_app.core.modelfile import PICKLE_SUFFIXES, ModelFileError, load_model, read_model_json

DEFAULT_MODEL = "colorizer-vivid"  # the bundled model chosen when none is asked for


@dataclass(frozen=True)
class ModelEntry:
    name: str
    json_path: Path
    origin: str  # "bundled" or "user"
    usable: bool
    reason: str = ""  # why it is not usable
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def description(self) -> str:
        """One line for a tooltip or the `models` table."""
        if not self.usable:
            return f"Unusable: {self.reason}"
        parts = [self.meta.get("description", "")]
        metrics = self.meta.get("metrics") or {}
        if "auc" in metrics:
            parts.append(f"val AuC {metrics['auc']:.3f}, PSNR {metrics.get('psnr', 0):.2f} dB, "
                         f"colorfulness gap {metrics.get('colorfulness_gap', 0):+.0%}")
        return " — ".join(p for p in parts if p)


class ModelCatalog:
    def __init__(self, bundled_dir: Path | None = None, user_dir: Path | None = None):
        self.bundled_dir = Path(bundled_dir) if bundled_dir else paths.bundled_models_dir()
        self.user_dir = Path(user_dir) if user_dir else paths.user_models_dir()

    def entries(self) -> list[ModelEntry]:
        """Bundled models first, then the user's, each group sorted by name.

        A user's usable model replaces a bundled one of the same name (so a model
        can be retrained under its own name); the bundled one is then listed as
        unusable, saying so, rather than twice under one name.
        """
        found = self._scan()
        mine = {e.name for e in found if e.origin == "user" and e.usable}
        return [ModelEntry(e.name, e.json_path, e.origin, False,
                           f"replaced by your own model of the same name in {self.user_dir}", e.meta)
                if e.origin == "bundled" and e.usable and e.name in mine else e
                for e in found]

    def _scan(self) -> list[ModelEntry]:
        out = []
        for origin, folder in (("bundled", self.bundled_dir), ("user", self.user_dir)):
            if not folder.is_dir():
                continue
            group = []
            for json_path in folder.glob("*.json"):
                if json_path.name.startswith("."):
                    continue  # a temporary file of an export in progress
                group.append(self._entry(json_path, origin))
            pickles = (p for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
            for pickle_path in pickles:  # .pt, .pth, .ckpt…: refused, but shown
                group.append(ModelEntry(pickle_path.stem, pickle_path, origin, False,
                                        "pickle-based weights are refused (they can run code); use .safetensors + .json"))
            # By name, not by file name: "family" before "family-2" ('-' sorts before '.json').
            out += sorted(group, key=lambda e: (e.name.casefold(), e.name, e.json_path.name))
        return out

    @staticmethod
    def _entry(json_path: Path, origin: str) -> ModelEntry:
        try:
            meta = read_model_json(json_path)
        except ModelFileError as exc:
            return ModelEntry(json_path.stem, json_path, origin, False, str(exc))
        except Exception as exc:  # noqa: BLE001 - one odd file must not hide every other model
            return ModelEntry(json_path.stem, json_path, origin, False,
                              f"{json_path.name}: cannot be read ({type(exc).__name__}: {exc})")
        return ModelEntry(meta.get("name", json_path.stem), json_path, origin, True, "", meta)

    def find(self, name: str) -> ModelEntry:
        """The entry called `name`; a user's model wins over a bundled one of the same name."""
        entries = self.entries()
        matches = [e for e in entries if e.name == name]
        if not matches:
            known = ", ".join(dict.fromkeys(e.name for e in entries)) or "none"  # a user's and a bundled one once
            raise KeyError(f"no model called {name!r} (available: {known})")
        return sorted(matches, key=lambda e: (not e.usable, e.origin != "user"))[0]

    def default(self) -> ModelEntry | None:
        usable = [e for e in self.entries() if e.usable]
        for e in usable:
            if e.name == DEFAULT_MODEL:
                return e
        return usable[0] if usable else None

    def load(self, name: str | None = None, device=None):
        """Load a model by name (default model when None). Raises KeyError or ModelFileError."""
        entry = self.default() if name is None else self.find(name)
        if entry is None:
            raise ModelFileError("no usable model found: reinstall Colorizer or train one")
        if not entry.usable:
            raise ModelFileError(f"{entry.name}: {entry.reason}")
        return load_model(entry.json_path, device=device)
