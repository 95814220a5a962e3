"""The color hints set on photos, kept between sessions in one JSON file.

    {"format": "colorizer-hints", "version": 1,
     "photos": {"/abs/path/scan.jpg": [{"x": 0.25, "y": 0.5, "rgb": [210, 30, 30]}, ...]}}

x and y are relative to the photo's size (as shown, EXIF orientation applied), rgb
is the color the person picked. The file is rewritten after every change, through a
temporary file and a rename, so a crash leaves the old file or the new one, never
half of one. Photos that are gone when the file is read are dropped. A file that
cannot be read is moved aside to ``hints.json.bad`` (not overwritten, so nothing
is lost without a word) and ``load`` says why.
The app's main window reads and writes it; Batch Export and `colorizer colorize`
use the hints it holds.
"""

import json
import os
import tempfile
from pathlib import Path

from colorizer_app.core.hints import Hint

FORMAT = "colorizer-hints"

# One photo's hints: (the hint, the picked sRGB color)
PhotoHints = list[tuple[Hint, tuple[int, int, int]]]


def photo_key(path: str | os.PathLike) -> str:
    """How a batch looks a photo's hints up: its resolved path, so any spelling of it matches."""
    return str(Path(path).resolve())


def hints_by_photo_key(photos: dict[str, PhotoHints]) -> dict[str, tuple[Hint, ...]]:
    """Each photo's hints (without the picked colors), keyed by photo_key."""
    return {photo_key(photo): tuple(hint for hint, _ in marks) for photo, marks in photos.items() if marks}


class HintStore:
    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def load(self) -> tuple[dict[str, PhotoHints], str]:
        """Every photo's hints, and a problem to report ("" when none)."""
        if not self.path.exists():
            return {}, ""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError("not a Colorizer hints file")
            photos = {}
            for photo, marks in data["photos"].items():
                if Path(photo).is_file():
                    photos[photo] = [self._hint(mark) for mark in marks]
            return photos, ""
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            bad = self.path.with_name(self.path.name + ".bad")
            try:
                os.replace(self.path, bad)
            except OSError:
                pass
            return {}, f"Could not read the saved color hints ({exc}); the file was moved to {bad}"

    def save(self, photos: dict[str, PhotoHints]) -> None:
        """Write every photo's hints (photos without any are left out). Raises OSError."""
        data = {"format": FORMAT, "version": 1, "photos": {
            photo: [{"x": hint.x, "y": hint.y, "rgb": list(rgb)} for hint, rgb in marks]
            for photo, marks in photos.items() if marks}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".hints-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @staticmethod
    def _hint(mark: dict) -> tuple[Hint, tuple[int, int, int]]:
        x, y = float(mark["x"]), float(mark["y"])
        rgb = tuple(int(v) for v in mark["rgb"])
        if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb) or not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValueError(f"a hint out of range: {mark}")
        return Hint.from_rgb(x, y, rgb), rgb
