"""The model selector: the catalog's models, unusable ones disabled with the reason."""

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QSizePolicy, QWidget

NAME_ROLE = Qt.ItemDataRole.UserRole + 1

# Model metadata worth a line in the tooltip, in this order (others are left out).
_META_LINES = (
    ("description", "{}"),
    ("trained_on", "Trained on: {}"),
    ("dataset", "Trained on: {}"),
    ("loss", "Loss: {}"),
    ("render_size", "Render size: {} px"),
    ("date", "Date: {}"),
    ("created", "Date: {}"),
)


def describe_entry(entry) -> str:
    """Tooltip text for a catalog entry (duck-typed: name, origin, usable, reason, meta)."""
    origin = {"bundled": "Bundled with Colorizer", "user": "Your own trained model"}.get(
        getattr(entry, "origin", ""), str(getattr(entry, "origin", "")))
    lines = [f"{entry.name} — {origin}" if origin else entry.name]
    if not entry.usable:
        lines.append(f"Cannot be used: {entry.reason or 'unknown reason'}")
        return "\n".join(lines)
    meta = getattr(entry, "meta", None) or {}
    if isinstance(meta, dict):
        seen = set()
        for key, template in _META_LINES:
            value = meta.get(key)
            if value not in (None, "") and template not in seen:
                seen.add(template)
                lines.append(template.format(value))
        metrics = meta.get("metrics")
        if isinstance(metrics, dict) and metrics:
            parts = [f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items()]
            lines.append("Validation: " + ", ".join(parts))
    return "\n".join(lines)


def pick_model(entries: Sequence, preferred: str | None, default: str | None) -> str | None:
    """The model to select: ``preferred`` if usable, else ``default``, else the first usable."""
    usable = [e.name for e in entries if e.usable]
    for name in (preferred, default):
        if name and name in usable:
            return name
    return usable[0] if usable else None


class ModelSelector(QComboBox):
    """Lists catalog entries; emits the chosen model's name.

    ``set_entries`` may be called again at any time (a newly trained model was
    exported): the current choice is kept when it is still usable.

    Signals:
        model_selected(str): the user (or a refresh) changed the current model.
    """

    model_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = QStandardItemModel(self)
        self.setModel(self._model)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setMinimumContentsLength(12)
        self.setToolTip("Model used to colorize")
        self._quiet = False
        self.currentIndexChanged.connect(self._on_index_changed)
        self.setPlaceholderText("No model")

    def set_entries(self, entries: Sequence, preferred: str | None = None,
                    default: str | None = None) -> None:
        """Show ``entries``; select ``preferred``/the current one/``default``."""
        previous = self.current_model()
        choice = pick_model(entries, preferred or previous, default)
        self._quiet = True
        try:
            self._model.clear()
            for entry in entries:
                label = entry.name if entry.origin != "user" else f"{entry.name}  (yours)"
                item = QStandardItem(label)
                item.setData(entry.name, NAME_ROLE)
                item.setToolTip(describe_entry(entry))
                item.setEnabled(bool(entry.usable))
                self._model.appendRow(item)
            self.setCurrentIndex(self._row_of(choice) if choice else -1)
        finally:
            self._quiet = False
        self._sync_tooltip()
        if self.current_model() != previous and self.current_model():
            self.model_selected.emit(self.current_model())

    def names(self) -> list[str]:
        return [self._model.item(r).data(NAME_ROLE) for r in range(self._model.rowCount())]

    def is_usable(self, name: str) -> bool:
        row = self._row_of(name)
        return row >= 0 and self._model.item(row).isEnabled()

    def current_model(self) -> str:
        index = self.currentIndex()
        return self._model.item(index).data(NAME_ROLE) if index >= 0 else ""

    def select(self, name: str) -> bool:
        """Make ``name`` current (emits model_selected); False if unknown or unusable."""
        row = self._row_of(name)
        if row < 0 or not self._model.item(row).isEnabled():
            return False
        self.setCurrentIndex(row)
        return True

    def _row_of(self, name: str | None) -> int:
        for row in range(self._model.rowCount()):
            if self._model.item(row).data(NAME_ROLE) == name:
                return row
        return -1

    def _sync_tooltip(self) -> None:
        index = self.currentIndex()
        self.setToolTip(self._model.item(index).toolTip() if index >= 0 else "No usable model found")

    @Slot(int)
    def _on_index_changed(self, index: int) -> None:
        self._sync_tooltip()
        if not self._quiet and index >= 0:
            self.model_selected.emit(self.current_model())
