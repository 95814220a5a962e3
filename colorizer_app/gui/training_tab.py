"""The Training tab: describe a new model, start its run, watch it, resume or delete past runs.

Widgets display and forward. The form is checked by training_form, the command is
built by training_command, the run is a TrainingProcess (a detached process, see
training_process for why), the list comes from training_runs.
"""

import os
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QFrame, QGroupBox, QHBoxLayout,
    QHeaderView, QLabel, QLineEdit, QMessageBox, QPushButton, QScrollArea, QSizePolicy, QSpinBox, QSplitter,
    QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from colorizer_app.core import paths
from colorizer_app.core.catalog import ModelCatalog
from colorizer_app.gui.training_command import TrainRequest, train_args
from colorizer_app.gui.training_counter import PhotoCounter
from colorizer_app.gui.training_events import RunHistory, read_events
from colorizer_app.gui.training_form import (
    LOSSES, Check, StartingModel, allowed_losses, check_request, starting_models, suggest_name,
)
from colorizer_app.gui.training_keeper import LEAVE, STOP, RunKeeper
from colorizer_app.gui.training_process import TrainingProcess
from colorizer_app.gui.training_runs import LOG_FILE, RunInfo, delete_run, format_when, list_runs, metrics_text
from colorizer_app.gui.training_view import RunView

_COUNT_DELAY_MS = 300
_SCHEDULES = {  # mode -> (label, suffix, minimum, maximum, default, step)
    "time": ("Time budget", " min", 0.1, 100_000.0, 60.0, 10.0),
    "epochs": ("Epochs", " epochs", 0.1, 10_000.0, 10.0, 1.0),
}
_STATUS_TEXT = {"running": "Running", "paused": "Paused", "stopping": "Stopping", "starting": "Starting",
                "finished": "Finished", "failed": "Failed", "stopped": "Stopped"}
_ERROR_COLOR, _WARNING_COLOR = "#ff7b72", "#e3b341"


class TrainingTab(QWidget):
    """Form, run panel and list of past runs.

    Collaborators come in with defaults: ``settings`` (QSettings for the form's last
    values), ``catalog`` (starting models; its user folder receives new models),
    ``runs_dir``, ``general`` (an object with ``device`` and ``threads``: the General
    tab's choices), ``extra_args`` (more training flags, last: tests pass
    ``--preset tiny``).

    Signals:
        model_exported(str): a run exported its model (the NAME.json path).
        active_changed(bool): a run started or ended.
    """

    model_exported = Signal(str)
    active_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None,
                 catalog: ModelCatalog | None = None, runs_dir: str | os.PathLike | None = None,
                 general=None, extra_args: tuple[str, ...] = ()) -> None:
        super().__init__(parent)
        self._settings = settings
        self._catalog = catalog if catalog is not None else ModelCatalog()
        self._runs_dir = Path(runs_dir) if runs_dir else paths.user_runs_dir()
        self._general = general
        self._extra_args = tuple(extra_args)
        self._process: TrainingProcess | None = None
        self._runs: list[RunInfo] = []
        self._starts: list[StartingModel] = []
        self._photo_count: int | None = None
        self._name_edited = False
        self._schedule_values = {mode: spec[4] for mode, spec in _SCHEDULES.items()}
        self._counter = PhotoCounter(self)
        self._counter.counted.connect(self._on_counted)
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(_COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self._count_photos)

        self._create_widgets()
        self._on_val_mode(0)
        self._on_schedule_mode(0)
        self._connect()
        self._fill_starting_models()
        self._restore_form()
        self.refresh_runs()
        self._update_check()

    # Construction ----------------------------------------------------------
    def _create_widgets(self) -> None:
        self._data_edit = QLineEdit(self)
        self._data_edit.setPlaceholderText("A folder of color photos (searched with its sub-folders)")
        self._data_button = QPushButton("Browse…", self)
        self._count_label = QLabel(self)
        self._count_label.setWordWrap(True)

        self._val_combo = QComboBox(self)
        self._val_combo.addItem("Hold out a share of the photos", "split")
        self._val_combo.addItem("Use a folder of its own", "folder")
        self._val_combo.setToolTip("Photos the model never trains on, to measure how well it colors")
        self._val_percent = QSpinBox(self)
        self._val_percent.setRange(1, 50)
        self._val_percent.setValue(4)
        self._val_percent.setSuffix(" %")
        self._val_percent.setAccessibleName("Share held out")
        self._val_edit = QLineEdit(self)
        self._val_edit.setPlaceholderText("Validation photos")
        self._val_edit.setAccessibleName("Validation photos")
        self._val_button = QPushButton("Browse…", self)

        self._init_combo = QComboBox(self)
        self._init_combo.setToolTip("Fine-tuning a trained model adapts it quickly to your photos;\n"
                                    "a new model needs many more photos and hours")
        self._loss_combo = QComboBox(self)
        for key, label in LOSSES.items():
            self._loss_combo.addItem(label, key)
        self._loss_combo.setToolTip("Vivid: bold, plausible color (the bundled model's loss).\n"
                                    "L1: safe, muted color; a baseline.\n"
                                    "Adversarial: sharpens a trained model's color; needs a trained model.")

        self._schedule_combo = QComboBox(self)
        for mode, spec in _SCHEDULES.items():
            self._schedule_combo.addItem(spec[0], mode)
        self._schedule_spin = QDoubleSpinBox(self)
        self._schedule_spin.setDecimals(1)
        self._schedule_spin.setAccessibleName("Length")
        self._schedule_spin.setToolTip("Training ends after this time or this many passes over the photos")
        self._crop_spin = QSpinBox(self)
        self._crop_spin.setRange(64, 512)
        self._crop_spin.setSingleStep(16)
        self._crop_spin.setValue(176)
        self._crop_spin.setSuffix(" px")
        self._crop_spin.setToolTip("Side of the square patches the model learns from (a multiple of 16)")
        self._batch_spin = QSpinBox(self)
        self._batch_spin.setRange(1, 256)
        self._batch_spin.setValue(16)
        self._batch_spin.setSuffix(" photos")
        self._batch_spin.setToolTip("Patches per step: larger is smoother and needs more memory")
        self._name_edit = QLineEdit(self)
        self._name_edit.setPlaceholderText("A name for the new model")
        self._name_edit.setMaxLength(64)
        self._check_label = QLabel(self)
        self._check_label.setWordWrap(True)
        self._check_label.setTextFormat(Qt.TextFormat.RichText)
        self._start_button = QPushButton("&Start Training", self)
        self._start_button.setDefault(False)
        self._start_button.setAutoDefault(False)

        data_row = QHBoxLayout()
        data_row.addWidget(self._data_edit, 1)
        data_row.addWidget(self._data_button)
        val_row = QHBoxLayout()
        val_row.addWidget(self._val_combo)
        val_row.addWidget(self._val_percent, 1)
        # The folder gets a line of its own, under the choice: beside it, a path had room
        # for a dozen characters.
        self._val_folder_row = QHBoxLayout()
        self._val_folder_row.addWidget(self._val_edit, 1)
        self._val_folder_row.addWidget(self._val_button)
        schedule_row = QHBoxLayout()
        schedule_row.addWidget(self._schedule_combo)
        schedule_row.addWidget(self._schedule_spin, 1)
        size_row = QHBoxLayout()
        size_row.addWidget(self._crop_spin, 1)
        batch_label = QLabel("Batch:", self)
        batch_label.setBuddy(self._batch_spin)
        size_row.addWidget(batch_label)
        size_row.addWidget(self._batch_spin, 1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, buddy, field in (("&Photos:", self._data_edit, data_row), ("", None, self._count_label),
                                   ("&Validation:", self._val_combo, val_row),
                                   ("", None, self._val_folder_row),
                                   ("Start fro&m:", self._init_combo, self._init_combo),
                                   ("&Loss:", self._loss_combo, self._loss_combo),
                                   ("Tra&in for:", self._schedule_combo, schedule_row),
                                   ("&Crop size:", self._crop_spin, size_row),
                                   ("&Name:", self._name_edit, self._name_edit)):
            label = QLabel(text, self)
            if buddy is not None:
                label.setBuddy(buddy)
            form.addRow(label, field)
        self._form = form
        start_row = QHBoxLayout()
        start_row.addWidget(self._check_label, 1)
        start_row.addWidget(self._start_button, 0, Qt.AlignmentFlag.AlignTop)

        form_box = QGroupBox("New model", self)
        form_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        form_layout = QVBoxLayout(form_box)
        form_layout.addLayout(form)
        form_layout.addLayout(start_row)

        self._runs_tree = QTreeWidget(self)
        self._runs_tree.setAccessibleName("Training runs")
        self._runs_tree.setHeaderLabels(["Name", "Started", "Status", "Best checkpoint", "Photos"])
        self._runs_tree.headerItem().setToolTip(3, "Validation metrics of the checkpoint with the lowest "
                                                   "validation loss: the one a finished run exports")
        self._runs_tree.headerItem().setToolTip(4, "Photos the run trains on (those held out for validation "
                                                   "not counted); a row's tooltip names their folder")
        self._runs_tree.setRootIsDecorated(False)
        self._runs_tree.setUniformRowHeights(True)
        self._runs_tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._runs_tree.setAlternatingRowColors(True)
        header = self._runs_tree.header()
        # The name gives way (shortened, whole in its tooltip), so that the metrics
        # column stays in sight in a dialog on a small screen. At the dialog's default
        # size the split gives the list room for names of 24 characters.
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, 5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._resume_button = QPushButton("&Resume", self)
        self._resume_button.setToolTip("Continue the run from its last checkpoint, with the same settings")
        self._delete_button = QPushButton("&Delete…", self)
        self._delete_button.setToolTip("Delete the run's folder (its exported model stays)")
        self._open_button = QPushButton("Open &Folder", self)
        self._open_button.setToolTip("Show the run's folder: checkpoint, previews, logs")
        runs_buttons = QHBoxLayout()
        runs_buttons.addWidget(self._resume_button)
        runs_buttons.addWidget(self._delete_button)
        runs_buttons.addStretch(1)
        runs_buttons.addWidget(self._open_button)
        runs_box = QGroupBox("Runs", self)
        runs_layout = QVBoxLayout(runs_box)
        runs_layout.addWidget(self._runs_tree, 1)
        runs_layout.addLayout(runs_buttons)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(form_box)
        left_layout.addWidget(runs_box, 1)
        # On a short screen (a 1024×600 netbook with its taskbar) the form and the runs
        # scroll, rather than make the dialog taller than the screen.
        left_scroll = QScrollArea(self)
        left_scroll.setAccessibleName("New model and runs")
        left_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields in it, not to it
        left_scroll.setWidget(left)
        left_scroll.setWidgetResizable(True)
        left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left_scroll.setMinimumWidth(left.minimumSizeHint().width()
                                    + left_scroll.verticalScrollBar().sizeHint().width())

        self._view = RunView(self)
        run_box = QGroupBox("Run", self)
        run_layout = QVBoxLayout(run_box)
        run_layout.addWidget(self._view)

        self._split = QSplitter(Qt.Orientation.Horizontal, self)
        self._split.addWidget(left_scroll)
        self._split.addWidget(run_box)
        self._split.setStretchFactor(0, 0)
        self._split.setStretchFactor(1, 1)
        self._split.setChildrenCollapsible(False)
        self._split.setSizes([575, 605])
        layout = QVBoxLayout(self)
        layout.addWidget(self._split)

    def _connect(self) -> None:
        self._data_edit.textChanged.connect(self._on_data_changed)
        self._data_button.clicked.connect(self._choose_data)
        self._val_combo.currentIndexChanged.connect(self._on_val_mode)
        self._val_button.clicked.connect(self._choose_val)
        self._init_combo.currentIndexChanged.connect(self._on_init_changed)
        self._schedule_combo.currentIndexChanged.connect(self._on_schedule_mode)
        self._name_edit.textEdited.connect(self._on_name_edited)
        self._schedule_spin.valueChanged.connect(self._on_schedule_value)
        for signal in (self._val_percent.valueChanged, self._val_edit.textChanged, self._loss_combo.currentIndexChanged,
                       self._crop_spin.valueChanged,
                       self._batch_spin.valueChanged, self._name_edit.textChanged):
            signal.connect(self._update_check)
        self._start_button.clicked.connect(self._start_from_form)
        self._runs_tree.currentItemChanged.connect(self._on_run_selected)
        self._resume_button.clicked.connect(self._resume_selected)
        self._delete_button.clicked.connect(self._delete_selected)
        self._open_button.clicked.connect(self._open_selected)
        self._view.stop_requested.connect(self.stop)

    # Public API --------------------------------------------------------------
    @property
    def view(self) -> RunView:
        return self._view

    @property
    def process(self) -> TrainingProcess | None:
        return self._process

    @property
    def active(self) -> bool:
        """A run is going (starting, running, paused or stopping)."""
        return self._process is not None and self._process.active

    @property
    def start_button(self) -> QPushButton:
        return self._start_button

    @property
    def resume_button(self) -> QPushButton:
        return self._resume_button

    @property
    def delete_button(self) -> QPushButton:
        return self._delete_button

    @property
    def runs(self) -> list[RunInfo]:
        return list(self._runs)

    @property
    def check_text(self) -> str:
        return self._check_label.text()

    @property
    def count_text(self) -> str:
        return self._count_label.text()

    @property
    def photo_count(self) -> int | None:
        return self._photo_count

    @property
    def models_dir(self) -> Path:
        return self._catalog.user_dir

    def set_form(self, *, data: str | None = None, name: str | None = None, init: str | None = None,
                 loss: str | None = None, val: str | None = None, val_percent: int | None = None,
                 epochs: float | None = None, time_budget_min: float | None = None,
                 crop: int | None = None, batch_size: int | None = None) -> None:
        """Fill in the form as a person would (``init``: "pretrained", "scratch" or a
        model's JSON path; ``val``: a folder, or "" to hold out ``val_percent``)."""
        if data is not None:
            self._data_edit.setText(str(data))
        if init is not None:
            index = next((i for i, s in enumerate(self._starts) if s.init == str(init)), -1)
            assert index >= 0, f"no starting model {init}"
            self._init_combo.setCurrentIndex(index)
        if loss is not None:
            self._loss_combo.setCurrentIndex(self._loss_combo.findData(loss))
        if val is not None:
            self._val_combo.setCurrentIndex(self._val_combo.findData("folder" if val else "split"))
            self._val_edit.setText(str(val))
        if val_percent is not None:
            self._val_percent.setValue(val_percent)
        if epochs is not None:
            self._schedule_combo.setCurrentIndex(self._schedule_combo.findData("epochs"))
            self._schedule_spin.setValue(epochs)
        if time_budget_min is not None:
            self._schedule_combo.setCurrentIndex(self._schedule_combo.findData("time"))
            self._schedule_spin.setValue(time_budget_min)
        if crop is not None:
            self._crop_spin.setValue(crop)
        if batch_size is not None:
            self._batch_spin.setValue(batch_size)
        if name is not None:
            self._name_edit.setText(name)
            self._name_edited = True
        self._update_check()

    def request(self) -> TrainRequest:
        """What the form says, as a TrainRequest (run and export folders included)."""
        name = self._name_edit.text().strip()
        mode = self._schedule_combo.currentData()
        value = self._schedule_spin.value()
        start = self._current_start()
        general = self._general
        def folder(edit: QLineEdit) -> str:  # absolute: the run starts in another folder than the app
            text = edit.text().strip()
            return os.path.abspath(os.path.expanduser(text)) if text else ""

        return TrainRequest(
            data=folder(self._data_edit), name=name,
            init=start.init if start else "pretrained", loss=self._loss_combo.currentData(),
            val=folder(self._val_edit) if self._val_combo.currentData() == "folder" else "",
            val_fraction=self._val_percent.value() / 100,
            epochs=value if mode == "epochs" else 0.0, time_budget_min=value if mode == "time" else 0.0,
            crop=self._crop_spin.value(), batch_size=self._batch_spin.value(),
            out_dir=str(self._runs_dir / name) if name else "", export_dir=str(self.models_dir),
            device=getattr(general, "device", "auto"), threads=getattr(general, "threads", 0),
            extra_args=self._extra_args)

    def check(self) -> Check:
        start = self._current_start()
        bundled = [e.name for e in self._catalog.entries() if e.origin == "bundled"]
        check = check_request(self.request(), start.head if start else None, self._photo_count,
                              self.models_dir, self._runs_dir, bundled)
        if self._val_combo.currentData() == "folder" and not self._val_edit.text().strip():
            check.errors.append("Choose the folder of validation photos, or hold out a share of the photos.")
        return check

    def start(self, request: TrainRequest) -> bool:
        """Start a run as ``request`` says (the form's check is the caller's)."""
        if self.active:
            return False
        assert request.out_dir, "a run needs its folder"
        process = TrainingProcess(request.out_dir, self)
        self._set_process(process)
        ok = process.start(train_args(request))
        self.refresh_runs(select=process.name)
        self._update_check()
        return ok

    def resume_run(self, name: str) -> bool:
        """Continue a stopped or failed run from its last checkpoint, same command."""
        info = next((r for r in self._runs if r.name == name), None)
        if self.active or info is None or not info.resumable:
            return False
        process = TrainingProcess(info.folder, self)
        self._set_process(process)
        ok = process.start(info.resume_args())
        self.refresh_runs(select=name)
        self._update_check()
        return ok

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()

    def refresh_runs(self, select: str | None = None) -> None:
        """Read the runs folder again; keep (or make) ``select`` the current row."""
        current = select or (self._runs_tree.currentItem().data(0, Qt.ItemDataRole.UserRole)
                             if self._runs_tree.currentItem() else None)
        self._runs = list_runs(self._runs_dir)
        tree = self._runs_tree
        tree.blockSignals(True)
        tree.clear()
        for info in self._runs:
            status = info.status
            if self._process is not None and info.name == self._process.name and self._process.active:
                status = self._process.state
            item = QTreeWidgetItem([info.name, format_when(info.started), _STATUS_TEXT.get(status, status),
                                    info.metrics_text(short=True), _photos_text(info.photos)])
            item.setData(0, Qt.ItemDataRole.UserRole, info.name)
            item.setTextAlignment(4, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            tips = [f"Folder: {info.folder}", f"Photos: {info.data}" if info.data else "",
                    f"Best validation: {info.metrics_text()}" if info.metrics_text() else "",
                    f"Model: {info.model}" if info.model else "",
                    f"Why it failed: {info.error}" if status == "failed" and info.error else ""]
            for column in range(tree.columnCount()):
                item.setToolTip(column, "\n".join(t for t in tips if t))
            tree.addTopLevelItem(item)
            if info.name == current:
                tree.setCurrentItem(item)
        tree.blockSignals(False)
        self._on_run_selected(tree.currentItem(), None)

    def select_run(self, name: str) -> bool:
        """Make ``name`` the current row of the list (the panel shows that run)."""
        for row in range(self._runs_tree.topLevelItemCount()):
            item = self._runs_tree.topLevelItem(row)
            if item.data(0, Qt.ItemDataRole.UserRole) == name:
                self._runs_tree.setCurrentItem(item)
                return True
        return False

    def adopt_running(self, window: QWidget | None) -> None:
        """Show a run that is still going: one a RunKeeper kept for ``window`` after an
        earlier dialog closed, else one found on disk (a detached run from before)."""
        keeper = RunKeeper.find(window)
        if keeper is not None:
            process = keeper.take()
            process.setParent(self)
            self._set_process(process)
        else:
            for info in self._runs:
                if info.status == "running":
                    process = TrainingProcess(info.folder, self)
                    if process.attach():
                        self._set_process(process)
                        break
                    process.deleteLater()
        if self._process is not None:
            self.refresh_runs(select=self._process.name)

    def release(self, choice: str, window: QWidget | None) -> None:
        """The dialog closes while a run goes: STOP it, or LEAVE it running (kept for
        ``window`` by a RunKeeper, or left to itself when there is no window)."""
        process = self._process
        if process is None or not process.active:
            return
        if choice == STOP:
            process.stop()
            process.detach()
            return
        if choice == LEAVE:
            process.resume()
            self._view.follow(None)
            process.ended.disconnect(self._on_run_ended)
            process.model_exported.disconnect(self.model_exported)
            process.state_changed.disconnect(self._on_state_changed)
            process.events_arrived.disconnect(self._on_events)
            self._process = None
            if window is not None:
                RunKeeper(process, window)
            else:
                process.detach()

    def shutdown(self) -> None:
        """Cancel a photo count still going (the dialog closes)."""
        self._count_timer.stop()
        self._counter.stop()

    # Slots: the form -----------------------------------------------------------
    @Slot()
    def _choose_data(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of Color Photos",
                                                  self._data_edit.text() or str(Path.home()))
        if folder:
            self._data_edit.setText(folder)

    @Slot()
    def _choose_val(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of Validation Photos",
                                                  self._val_edit.text() or self._data_edit.text() or str(Path.home()))
        if folder:
            self._val_edit.setText(folder)

    @Slot(str)
    def _on_data_changed(self, text: str) -> None:
        self._photo_count = None
        folder = text.strip()
        if folder and Path(folder).is_dir():
            self._count_label.setText("Counting photos…")
            self._count_timer.start()
        else:
            self._count_label.setText("")
        if not self._name_edited and folder:
            self._name_edit.setText(suggest_name(folder, self._name_taken))
        self._update_check()

    @Slot()
    def _count_photos(self) -> None:
        folder = self._data_edit.text().strip()
        if folder and Path(folder).is_dir():
            self._counter.count(folder)

    @Slot(str, int)
    def _on_counted(self, folder: str, count: int) -> None:
        if folder != self._data_edit.text().strip():
            return
        self._photo_count = count
        # Files, not photos: telling gray and unreadable ones apart means decoding each.
        self._count_label.setText(f"{count:,} photo file{'s' if count != 1 else ''} found")
        self._count_label.setToolTip("Photo files in the folder and its sub-folders; gray and unreadable "
                                     "ones are left out when training starts")
        self._update_check()

    @Slot(int)
    def _on_val_mode(self, index: int) -> None:
        folder = self._val_combo.currentData() == "folder"
        self._val_percent.setVisible(not folder)
        self._form.setRowVisible(self._val_folder_row, folder)
        self._update_check()

    @Slot(int)
    def _on_init_changed(self, index: int) -> None:
        start = self._current_start()
        allowed = allowed_losses(start.head if start else None)
        model = self._loss_combo.model()
        assert isinstance(model, QStandardItemModel)
        for row in range(self._loss_combo.count()):
            model.item(row).setEnabled(self._loss_combo.itemData(row) in allowed)
        if self._loss_combo.currentData() not in allowed:
            self._loss_combo.setCurrentIndex(self._loss_combo.findData(allowed[0]))
        self._init_combo.setToolTip(start.tooltip if start else "")
        self._update_check()

    @Slot(int)
    def _on_schedule_mode(self, index: int) -> None:
        mode = self._schedule_combo.currentData()
        _label, suffix, low, high, _default, step = _SCHEDULES[mode]
        spin = self._schedule_spin
        spin.blockSignals(True)
        spin.setRange(low, high)
        spin.setSuffix(suffix)
        spin.setSingleStep(step)
        spin.setValue(self._schedule_values[mode])
        spin.blockSignals(False)
        self._update_check()

    @Slot(str)
    def _on_name_edited(self, text: str) -> None:
        self._name_edited = bool(text)

    @Slot(float)
    def _on_schedule_value(self, value: float) -> None:
        self._schedule_values[self._schedule_combo.currentData()] = value
        self._update_check()

    @Slot()
    def _update_check(self) -> None:
        if self.active:  # the form describes the next run; no point checking it against this one
            self._check_label.setText(_escape(f"Training {self._process.name}: one run at a time."))
            self._start_button.setEnabled(False)
            self._start_button.setToolTip("A run is going: one at a time")
            return
        check = self.check()
        lines = [f'<span style="color:{_ERROR_COLOR}">{_escape(e)}</span>' for e in check.errors]
        lines += [f'<span style="color:{_WARNING_COLOR}">{_escape(w)}</span>' for w in check.warnings]
        self._check_label.setText("<br>".join(lines))
        self._start_button.setEnabled(check.ok)
        self._start_button.setToolTip(check.text())

    @Slot()
    def _start_from_form(self) -> None:
        if not self.check().ok or self.active:
            return
        self._save_form()
        self.start(self.request())

    # Slots: the run --------------------------------------------------------------
    def _set_process(self, process: TrainingProcess) -> None:
        if self._process is not None and self._process is not process and not self._process.active:
            self._process.deleteLater()
        self._process = process
        process.ended.connect(self._on_run_ended)
        process.model_exported.connect(self.model_exported)
        process.state_changed.connect(self._on_state_changed)
        process.events_arrived.connect(self._on_events)
        self._view.follow(process)
        self._update_check()
        self.active_changed.emit(True)

    @Slot(str)
    def _on_state_changed(self, state: str) -> None:
        self._update_check()
        self._update_run_buttons()
        self._update_active_row()

    @Slot(list)
    def _on_events(self, events: list) -> None:
        if any(e["event"] in ("data", "val") for e in events):
            self._update_active_row()

    def _update_active_row(self) -> None:
        """The followed run's row: its state, best validation so far and photos."""
        process = self._process
        if process is None:
            return
        for row in range(self._runs_tree.topLevelItemCount()):
            item = self._runs_tree.topLevelItem(row)
            if item.data(0, Qt.ItemDataRole.UserRole) == process.name:
                item.setText(2, _STATUS_TEXT.get(process.state, process.state))
                if process.history.best:
                    item.setText(3, metrics_text(process.history.best, short=True))
                item.setText(4, _photos_text(process.history.train_photos))

    @Slot(str, str)
    def _on_run_ended(self, status: str, message: str) -> None:
        self._fill_starting_models()  # a finished run is a new model to fine-tune
        if not self._name_edited and self._data_edit.text().strip():
            self._name_edit.setText(suggest_name(self._data_edit.text().strip(), self._name_taken))
        self.refresh_runs(select=self._process.name if self._process else None)
        self._update_check()
        self.active_changed.emit(False)

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _on_run_selected(self, current: QTreeWidgetItem | None, previous: QTreeWidgetItem | None) -> None:
        info = self._selected_run()
        process = self._process
        if info is not None and process is not None and info.name == process.name:
            if self._view.process is not process:
                self._view.follow(process)
        elif info is not None:
            history = RunHistory().add_all(read_events(info.folder / LOG_FILE))
            self._view.follow(None)
            self._view.show_history(info.name, history, info.status,
                                    info.error if info.status == "failed" else "")
        elif process is not None:
            self._view.follow(process)
        else:
            self._view.follow(None)  # the list is empty (or the run was deleted)
        self._update_run_buttons()

    @Slot()
    def _resume_selected(self) -> None:
        info = self._selected_run()
        if info is not None:
            self.resume_run(info.name)

    @Slot()
    def _delete_selected(self) -> None:
        info = self._selected_run()
        if info is None or info.status == "running":
            return
        model = Path(info.model).stem if info.model else ""
        kept = (f"The model “{model}” it exported stays in your models folder."
                if model else "This run exported no model.")
        answer = QMessageBox.question(
            self, "Delete Run",
            f"Delete the run “{info.name}”?\n\nThis removes its folder (checkpoint, previews and log): "
            f"it can no longer be resumed. {kept}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            delete_run(info.folder, self._runs_dir)
        except (OSError, RuntimeError, ValueError) as exc:
            QMessageBox.warning(self, "Delete Run", f"Could not delete {info.name}: {exc}")
        if self._process is not None and self._process.name == info.name and not self._process.active:
            self._view.follow(None)
            self._process.deleteLater()
            self._process = None
        self.refresh_runs()
        self._update_check()

    @Slot()
    def _open_selected(self) -> None:
        info = self._selected_run()
        if info is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(info.folder)))

    # Helpers ---------------------------------------------------------------------
    def _selected_run(self) -> RunInfo | None:
        item = self._runs_tree.currentItem()
        name = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        return next((r for r in self._runs if r.name == name), None)

    def _update_run_buttons(self) -> None:
        info = self._selected_run()
        busy = info is not None and (info.status == "running" or
                                     (self._process is not None and self._process.name == info.name
                                      and self._process.active))
        self._resume_button.setEnabled(info is not None and info.resumable and not busy and not self.active)
        self._resume_button.setToolTip(
            "Start the run again with the same settings: it has no checkpoint to continue from"
            if info is not None and not info.has_checkpoint else
            "Continue the run from its last checkpoint, with the same settings")
        self._delete_button.setEnabled(info is not None and not busy)
        self._open_button.setEnabled(info is not None)

    def _current_start(self) -> StartingModel | None:
        index = self._init_combo.currentIndex()
        return self._starts[index] if 0 <= index < len(self._starts) else None

    def _fill_starting_models(self) -> None:
        current = self._current_start()
        default = self._catalog.default()
        self._starts = starting_models(self._catalog.entries(), default.name if default else None)
        combo = self._init_combo
        combo.blockSignals(True)
        combo.clear()
        for start in self._starts:
            combo.addItem(start.label)
            combo.setItemData(combo.count() - 1, start.tooltip, Qt.ItemDataRole.ToolTipRole)
        index = next((i for i, s in enumerate(self._starts) if current and s.init == current.init), 0)
        combo.setCurrentIndex(index)
        combo.blockSignals(False)
        self._on_init_changed(index)

    def _name_taken(self, name: str) -> bool:
        return (self._runs_dir / name).exists() or (self.models_dir / f"{name}.json").exists()

    def _restore_form(self) -> None:
        s = self._settings
        if s is None:
            return
        for mode in _SCHEDULES:
            value = _number(s.value(f"training/{mode}"), float, None)
            if value:
                self._schedule_values[mode] = value
        self._schedule_combo.setCurrentIndex(max(0, self._schedule_combo.findData(s.value("training/schedule"))))
        self._on_schedule_mode(self._schedule_combo.currentIndex())
        self._val_percent.setValue(_number(s.value("training/val_percent"), int, 4))
        self._val_edit.setText(str(s.value("training/val_folder", "") or ""))
        self._val_combo.setCurrentIndex(max(0, self._val_combo.findData(s.value("training/val_mode"))))
        self._crop_spin.setValue(_number(s.value("training/crop"), int, 176))
        self._batch_spin.setValue(_number(s.value("training/batch_size"), int, 16))
        self._data_edit.setText(str(s.value("training/data", "") or ""))

    def _save_form(self) -> None:
        s = self._settings
        if s is None:
            return
        s.setValue("training/data", self._data_edit.text().strip())
        s.setValue("training/val_mode", self._val_combo.currentData())
        s.setValue("training/val_percent", self._val_percent.value())
        s.setValue("training/val_folder", self._val_edit.text().strip())
        s.setValue("training/schedule", self._schedule_combo.currentData())
        for mode, value in self._schedule_values.items():
            s.setValue(f"training/{mode}", value)
        s.setValue("training/crop", self._crop_spin.value())
        s.setValue("training/batch_size", self._batch_spin.value())


def _number(value, kind, default):
    try:
        return kind(value)
    except (TypeError, ValueError):
        return default


def _photos_text(count: int) -> str:
    return f"{count:,}" if count else ""  # 0: not loaded yet (or none usable: it failed)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
