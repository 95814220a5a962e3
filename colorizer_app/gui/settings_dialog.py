"""The Settings dialog: General (device, threads, colorizing defaults, the models
folder) and Training (train a model of your own; see training_tab).

General settings apply at once and live in QSettings. The main window opens the
dialog as ``SettingsDialog(window)``; the dialog then also drives the window's
public API: ``set_device_preference`` when the device changes, the tune panel
when the default render size or saturation change, and (through ``models_changed``,
which the window connects) its model list when a run exports a model.
"""

import os
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSettings, Qt, QThreadPool, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
    QPushButton, QSpinBox, QTabWidget, QVBoxLayout, QWidget,
)

from colorizer_app.core.catalog import ModelCatalog
from colorizer_app.gui.screenfit import resize_to_fit
from colorizer_app.gui.settings import SATURATION_MAX, SATURATION_MIN, AppSettings
from colorizer_app.gui.training_keeper import CANCEL, ask_stop_or_leave
from colorizer_app.gui.training_tab import TrainingTab
from colorizer_app.gui.tune_panel import RenderSizeSpin

# (label, core.batch format key): the batch export's "export/format" setting.
OUTPUT_FORMATS = (("JPEG", "jpg"), ("PNG (16-bit kept)", "png"), ("TIFF (16-bit kept)", "tiff"),
                  ("Same as the original", "same"))


class GeneralSettings:
    """Typed access to the General tab's keys. Device and threads are this dialog's
    ("general/..."); render size, saturation and output format are the window's own
    keys (AppSettings), so the window and the batch export start from them."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings if settings is not None else QSettings()
        self.app = AppSettings(self._settings)

    @property
    def device(self) -> str:
        """'auto', 'cpu' or 'cuda:N' (kept in AppSettings: the window starts on it)."""
        return self.app.device

    @device.setter
    def device(self, value: str) -> None:
        self.app.device = value

    @property
    def threads(self) -> int:
        """CPU threads for training runs; 0 = one per core."""
        try:
            return max(0, int(self._settings.value("general/threads", 0)))
        except (TypeError, ValueError):
            return 0

    @threads.setter
    def threads(self, value: int) -> None:
        self._settings.setValue("general/threads", int(value))


def cuda_devices() -> list[tuple[str, str]]:
    """(device, label) for each CUDA GPU torch sees: [("cuda:0", "GPU 0: NVIDIA ..."), ...].
    Imports torch (seconds the first time): call it off the GUI thread."""
    import torch

    if not torch.cuda.is_available():
        return []
    return [(f"cuda:{i}", f"GPU {i}: {torch.cuda.get_device_name(i)}") for i in range(torch.cuda.device_count())]


class _ProbeDone(QObject):
    found = Signal(list)


class _ProbeJob(QRunnable):
    """Asks torch for GPUs on the global thread pool (torch's first import takes
    seconds); the pool, not the tab, owns the thread, so closing the dialog
    meanwhile leaves no thread behind."""

    def __init__(self) -> None:
        super().__init__()
        self.done = _ProbeDone()

    def run(self) -> None:
        try:
            devices = cuda_devices()
        except Exception:  # a broken CUDA install: offer the CPU, do not crash the dialog
            devices = []
        try:
            self.done.found.emit(devices)
        except RuntimeError:  # the app is shutting down
            pass


_found_devices: list | None = None  # GPUs do not come and go while the app runs: ask once


class GeneralTab(QWidget):
    """Device, threads, colorizing defaults and the models folder; changes apply at once.

    Signals:
        device_changed(str): 'auto', 'cpu' or 'cuda:N'.
        defaults_changed(int, float): default render size and saturation.
    """

    device_changed = Signal(str)
    defaults_changed = Signal(int, float)

    def __init__(self, parent: QWidget | None = None, settings: GeneralSettings | None = None,
                 models_dir: Path | None = None) -> None:
        super().__init__(parent)
        self._settings = settings if settings is not None else GeneralSettings()
        self._models_dir = Path(models_dir) if models_dir else ModelCatalog().user_dir
        self._create_widgets()
        self._load()
        self._connect()
        self._probe_devices()

    def _create_widgets(self) -> None:
        self._device_combo = QComboBox(self)
        self._device_combo.setToolTip("Where colorizing and training run. Automatic: a CUDA GPU when "
                                      "there is one, else the CPU")
        self._device_note = QLabel("Looking for GPUs…", self)
        self._threads_spin = QSpinBox(self)
        self._threads_spin.setRange(0, max(1, os.cpu_count() or 1))
        self._threads_spin.setSpecialValueText("Automatic (one per core)")
        self._threads_spin.setToolTip("CPU threads a training run uses")
        self._render_spin = RenderSizeSpin(self)
        self._saturation_spin = QDoubleSpinBox(self)
        self._saturation_spin.setRange(SATURATION_MIN, SATURATION_MAX)
        self._saturation_spin.setSingleStep(0.05)
        self._saturation_spin.setDecimals(2)
        self._saturation_spin.setToolTip("0 gray, 1 as predicted, 2 twice as strong")
        self._format_combo = QComboBox(self)
        for label, key in OUTPUT_FORMATS:
            self._format_combo.addItem(label, key)
        self._format_combo.setToolTip("The format batch export writes")
        self._models_label = QLabel(str(self._models_dir), self)
        self._models_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._models_label.setWordWrap(True)
        self._open_models_button = QPushButton("Open Folder", self)
        self._open_models_button.setToolTip("Show your models folder (trained models are exported there; "
                                            "copy a model's .json and .safetensors there to add it)")

        processing = QGroupBox("Processing", self)
        form = QFormLayout(processing)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self._device_combo.setMinimumWidth(320)
        device_row = QHBoxLayout()
        device_row.addWidget(self._device_combo, 1)
        device_row.addWidget(self._device_note)
        form.addRow(self._label("&Device:", self._device_combo), device_row)
        form.addRow(self._label("CPU t&hreads:", self._threads_spin), self._threads_spin)

        defaults = QGroupBox("Colorizing", self)
        form = QFormLayout(defaults)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow(self._label("&Render size:", self._render_spin), self._render_spin)
        form.addRow(self._label("&Saturation:", self._saturation_spin), self._saturation_spin)
        form.addRow(self._label("Batch export &format:", self._format_combo), self._format_combo)

        models = QGroupBox("Your models", self)
        row = QHBoxLayout(models)
        row.addWidget(self._models_label, 1)
        row.addWidget(self._open_models_button)

        layout = QVBoxLayout(self)
        layout.addWidget(processing)
        layout.addWidget(defaults)
        layout.addWidget(models)
        layout.addStretch(1)

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        return label

    def _load(self) -> None:
        s = self._settings
        self._device_combo.addItem("Automatic", "auto")
        self._device_combo.addItem("CPU", "cpu")
        if s.device.startswith("cuda:"):  # until the probe names it
            self._device_combo.addItem(f"GPU {s.device.split(':', 1)[1]}", s.device)
        self._device_combo.setCurrentIndex(max(0, self._device_combo.findData(s.device)))
        self._threads_spin.setValue(min(s.threads, self._threads_spin.maximum()))
        self._render_spin.set_render_size(s.app.render_size)
        self._saturation_spin.setValue(s.app.saturation)
        self._format_combo.setCurrentIndex(max(0, self._format_combo.findData(s.app.export_format)))

    def _connect(self) -> None:
        self._device_combo.currentIndexChanged.connect(self._on_device)
        self._threads_spin.valueChanged.connect(self._on_threads)
        self._render_spin.valueChanged.connect(self._on_defaults)
        self._saturation_spin.valueChanged.connect(self._on_defaults)
        self._format_combo.currentIndexChanged.connect(self._on_format)
        self._open_models_button.clicked.connect(self._open_models)

    # Public API --------------------------------------------------------------
    @property
    def device_combo(self) -> QComboBox:
        return self._device_combo

    @property
    def device_note(self) -> str:
        return self._device_note.text()

    def set_values(self, *, device: str | None = None, threads: int | None = None,
                   render_size: int | None = None, saturation: float | None = None,
                   output_format: str | None = None) -> None:
        """Change settings as a person would in the widgets."""
        if device is not None:
            self._device_combo.setCurrentIndex(self._device_combo.findData(device))
        if threads is not None:
            self._threads_spin.setValue(threads)
        if render_size is not None:
            self._render_spin.set_render_size(render_size)
        if saturation is not None:
            self._saturation_spin.setValue(saturation)
        if output_format is not None:
            self._format_combo.setCurrentIndex(self._format_combo.findData(output_format))

    # Slots -------------------------------------------------------------------
    def _probe_devices(self) -> None:
        if _found_devices is not None:
            self._on_devices(_found_devices)
            return
        job = _ProbeJob()
        job.done.found.connect(self._on_devices)
        QThreadPool.globalInstance().start(job)

    @Slot(list)
    def _on_devices(self, devices: list) -> None:
        global _found_devices
        _found_devices = list(devices)
        combo = self._device_combo
        combo.blockSignals(True)
        current = combo.currentData()
        for device, label in devices:
            index = combo.findData(device)
            if index >= 0:
                combo.setItemText(index, label)
            else:
                combo.addItem(label, device)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)
        self._device_note.setText("" if devices else "No CUDA GPU found")

    @Slot(int)
    def _on_device(self, index: int) -> None:
        device = self._device_combo.currentData()
        self._settings.device = device
        self.device_changed.emit(device)

    @Slot(int)
    def _on_threads(self, value: int) -> None:
        self._settings.threads = value

    @Slot()
    def _on_defaults(self) -> None:
        self._settings.app.render_size = self._render_spin.render_size()
        self._settings.app.saturation = self._saturation_spin.value()
        self.defaults_changed.emit(self._render_spin.render_size(), self._saturation_spin.value())

    @Slot(int)
    def _on_format(self, index: int) -> None:
        self._settings.app.export_format = self._format_combo.currentData()

    @Slot()
    def _open_models(self) -> None:
        self._models_dir.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._models_dir)))


class SettingsDialog(QDialog):
    """General and Training tabs.

    Collaborators come in with defaults so tests inject their own: ``settings`` (a
    QSettings; default the window's, else the app's), ``catalog`` (a ModelCatalog:
    starting models; its user folder receives trained models), ``runs_dir``,
    ``training_args`` (extra training flags, e.g. ``("--preset", "tiny")``).

    Closing it while a run trains asks whether to stop the run or leave it running.

    Signals:
        models_changed(): a run exported a model; the model list should be read again.
        device_changed(str): the device preference changed ('auto', 'cpu', 'cuda:N').
    """

    models_changed = Signal()
    device_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None,
                 catalog: ModelCatalog | None = None, runs_dir: str | os.PathLike | None = None,
                 training_args: tuple[str, ...] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        if settings is None:
            host_settings = getattr(parent, "app_settings", None)
            settings = host_settings.qsettings if isinstance(host_settings, AppSettings) else QSettings()
        catalog = catalog if catalog is not None else ModelCatalog()
        self._general_settings = GeneralSettings(settings)

        self._tabs = QTabWidget(self)
        self._general = GeneralTab(self, self._general_settings, catalog.user_dir)
        self._training = TrainingTab(self, settings, catalog, runs_dir, self._general_settings, training_args)
        self._tabs.addTab(self._general, "&General")
        self._tabs.addTab(self._training, "&Training")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._tabs)
        layout.addWidget(buttons)

        self._general.device_changed.connect(self.device_changed)
        self._training.model_exported.connect(self._on_model_exported)
        self._connect_host(parent)
        self._training.adopt_running(parent)
        if self._training.process is not None:
            self._tabs.setCurrentWidget(self._training)
        resize_to_fit(self, 1180, 760)  # the training plots like room; a netbook has less

    @property
    def general_tab(self) -> GeneralTab:
        return self._general

    @property
    def training_tab(self) -> TrainingTab:
        return self._training

    def show_training(self) -> None:
        self._tabs.setCurrentWidget(self._training)

    def done(self, result: int) -> None:
        """Every way of closing ends here (Close, Escape, the title bar's button)."""
        process = self._training.process
        if process is not None and process.state in ("starting", "running", "paused"):
            choice = ask_stop_or_leave(self, process.name, quitting=False)
            if choice == CANCEL:
                return
            self._training.release(choice, self.parentWidget())
        self._training.shutdown()
        super().done(result)

    def _connect_host(self, host: QWidget | None) -> None:
        """Drive the main window's public API, when a main window opened the dialog."""
        set_device = getattr(host, "set_device_preference", None)
        if callable(set_device):
            self.device_changed.connect(set_device)
        tune = getattr(host, "tune_panel", None)
        if tune is not None and hasattr(tune, "render_size") and hasattr(tune, "saturation"):
            def apply(render_size: int, saturation: float) -> None:
                tune.render_size = render_size
                tune.saturation = saturation

            self._general.defaults_changed.connect(apply)

    @Slot(str)
    def _on_model_exported(self, json_path: str) -> None:
        self.models_changed.emit()
