"""Render size and saturation controls."""

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QSpinBox, QWidget

from colorizer_app.gui.settings import (
    RENDER_SIZE_AUTO, RENDER_SIZE_DEFAULT, RENDER_SIZE_MAX, RENDER_SIZE_MIN, RENDER_SIZE_STEP,
    SATURATION_DEFAULT, SATURATION_MAX, SATURATION_MIN,
)


class RenderSizeSpin(QSpinBox):
    """Render size in pixels, or "Auto" (RENDER_SIZE_AUTO): the model's own size.

    Auto sits one step below the smallest size, where QSpinBox shows its special
    value text; read and write the size through render_size()/set_render_size().
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(RENDER_SIZE_MIN - RENDER_SIZE_STEP, RENDER_SIZE_MAX)
        self.setSingleStep(RENDER_SIZE_STEP)
        self.setSpecialValueText("Auto")
        self.setSuffix(" px")
        self.setToolTip("Render size: the resolution color is predicted at.\n"
                        "Auto uses the size the model recommends (see the model list);\n"
                        "smaller gives bolder color, larger finer detail.")

    def render_size(self) -> int:
        return RENDER_SIZE_AUTO if self.value() == self.minimum() else self.value()

    def set_render_size(self, size: int) -> None:
        self.setValue(self.minimum() if size == RENDER_SIZE_AUTO else int(size))


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
        self._render = RenderSizeSpin(self)
        self._render.set_render_size(RENDER_SIZE_DEFAULT)
        self._render.setKeyboardTracking(False)
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
        """Pixels, or RENDER_SIZE_AUTO for the model's recommended size."""
        return self._render.render_size()

    @render_size.setter
    def render_size(self, value: int) -> None:
        self._render.set_render_size(value)

    @property
    def saturation(self) -> float:
        return self._saturation.value() / 100.0

    @saturation.setter
    def saturation(self, value: float) -> None:
        self._saturation.setValue(round(float(value) * 100))

    @property
    def render_spin(self) -> RenderSizeSpin:
        return self._render

    def reset(self) -> None:
        self.render_size = RENDER_SIZE_DEFAULT
        self.saturation = SATURATION_DEFAULT

    @Slot()
    def _on_changed(self) -> None:
        self._update_label()
        self.changed.emit()

    def _update_label(self) -> None:
        self._saturation_label.setText(f"{self.saturation:.2f}×")
