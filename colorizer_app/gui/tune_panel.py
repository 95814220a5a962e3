"""Render size and saturation controls."""

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QSpinBox, QWidget

from colorizer_app.gui.settings import (
    RENDER_SIZE_DEFAULT, RENDER_SIZE_MAX, RENDER_SIZE_MIN, SATURATION_DEFAULT, SATURATION_MAX,
    SATURATION_MIN,
)

RENDER_SIZE_STEP = 32


class TunePanel(QWidget):
    """Two controls in a row, sized for a toolbar.

    Render size is the short side the network sees (smaller: bolder, blotchier
    color; larger: finer, often paler); saturation scales the predicted color.

    Signals:
        changed(): either value changed (the window throttles re-colorizing).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._render = QSpinBox(self)
        self._render.setRange(RENDER_SIZE_MIN, RENDER_SIZE_MAX)
        self._render.setSingleStep(RENDER_SIZE_STEP)
        self._render.setValue(RENDER_SIZE_DEFAULT)
        self._render.setSuffix(" px")
        self._render.setKeyboardTracking(False)
        self._render.setToolTip("Render size: the resolution color is predicted at.\n"
                                "Smaller gives bolder color, larger finer detail.")
        self._saturation = QSlider(Qt.Orientation.Horizontal, self)
        self._saturation.setRange(round(SATURATION_MIN * 100), round(SATURATION_MAX * 100))
        self._saturation.setValue(round(SATURATION_DEFAULT * 100))
        self._saturation.setSingleStep(5)
        self._saturation.setPageStep(25)
        self._saturation.setFixedWidth(120)
        self._saturation.setToolTip("Saturation of the predicted color: 0 gray, 1 as predicted, 2 twice as strong")
        self._saturation_label = QLabel(self)
        self._saturation_label.setMinimumWidth(40)
        render_label = QLabel("&Render size", self)
        render_label.setBuddy(self._render)
        saturation_label = QLabel("&Saturation", self)
        saturation_label.setBuddy(self._saturation)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(6)
        layout.addWidget(render_label)
        layout.addWidget(self._render)
        layout.addSpacing(12)
        layout.addWidget(saturation_label)
        layout.addWidget(self._saturation)
        layout.addWidget(self._saturation_label)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)

        self._render.valueChanged.connect(self._on_changed)
        self._saturation.valueChanged.connect(self._on_changed)
        self._update_label()

    @property
    def render_size(self) -> int:
        return self._render.value()

    @render_size.setter
    def render_size(self, value: int) -> None:
        self._render.setValue(int(value))

    @property
    def saturation(self) -> float:
        return self._saturation.value() / 100.0

    @saturation.setter
    def saturation(self, value: float) -> None:
        self._saturation.setValue(round(float(value) * 100))

    @property
    def render_spin(self) -> QSpinBox:
        return self._render

    @property
    def saturation_slider(self) -> QSlider:
        return self._saturation

    def reset(self) -> None:
        self.render_size = RENDER_SIZE_DEFAULT
        self.saturation = SATURATION_DEFAULT

    @Slot()
    def _on_changed(self) -> None:
        self._update_label()
        self.changed.emit()

    def _update_label(self) -> None:
        self._saturation_label.setText(f"{self.saturation:.2f}×")
