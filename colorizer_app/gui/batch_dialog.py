"""Batch export: colorize a whole folder into another, with progress, cancel, summary.

The work is core.batch (plan_batch/run_batch, shared with the CLI) on a worker
thread of the dialog's own, so the main window stays usable meanwhile. Cancel is
checked between photos and files are written atomically: a cancelled batch
leaves no partial file.
"""

import dataclasses
import os
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QPlainTextEdit, QProgressBar, QSizePolicy, QToolButton, QVBoxLayout,
    QWidget,
)

from colorizer_app.core.hintstore import HintIndex
from colorizer_app.gui.savepaths import suggested_export_folder

# (label, core.batch format key)
EXPORT_FORMATS = (
    ("JPEG", "jpg"),
    ("PNG (16-bit kept)", "png"),
    ("TIFF (16-bit kept)", "tiff"),
    ("Same as original", "same"),
)


class EtaEstimator:
    """Time left from the photos colorized so far; skipped ones cost ~nothing and
    are left out of the rate. Plain Python, tested without Qt."""

    def __init__(self) -> None:
        self._worked = 0
        self._work_seconds = 0.0
        self._last_elapsed = 0.0

    def update(self, elapsed: float, skipped: bool) -> None:
        """Record one finished photo at ``elapsed`` seconds since the start."""
        step = max(0.0, elapsed - self._last_elapsed)
        self._last_elapsed = elapsed
        if not skipped:
            self._worked += 1
            self._work_seconds += step

    def seconds_left(self, remaining: int) -> float | None:
        if self._worked == 0:
            return None
        return self._work_seconds / self._worked * max(0, remaining)


def format_duration(seconds: float | None) -> str:
    """'about 40 s', 'about 3 min', 'about 1 h 5 min'; '' when unknown."""
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return f"about {max(seconds, 1)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    return f"about {minutes // 60} h {minutes % 60} min"


def _render_text(render_size: int) -> str:
    return f"{render_size} px" if render_size else "Auto (the model's own)"


@dataclasses.dataclass(frozen=True)
class BatchJob:
    source: str
    output: str
    fmt: str = "jpg"
    recursive: bool = True
    suffix: str = ""  # added to each output name: "_color" makes a.jpg a_color.jpg
    skip_existing: bool = True
    model: str = ""
    render_size: int = 0  # 0: the model's recommended render size
    saturation: float = 1.0
    device: str = "auto"
    # Color hints set in the main window; other photos get none.
    hints: HintIndex = dataclasses.field(default_factory=HintIndex)


class BatchWorker(QObject):
    """Runs one batch on the dialog's thread (after ``moveToThread``; ``run`` is
    connected to the thread's ``started``).

    ``cancel()`` is called from the GUI thread while ``run`` is busy; it only sets
    a flag that run_batch checks between photos.

    Signals:
        planned(int): the number of photos found.
        progress(int, int, str, str, float): done, total, file name, status
            ("done"/"skipped"/"failed"), seconds since the start.
        finished(object): core.batch.BatchReport.
        failed(str): the batch could not start (bad folder, no model, ...).
    """

    planned = Signal(int)
    progress = Signal(int, int, str, str, float)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, job: BatchJob, catalog=None) -> None:
        super().__init__()
        self._job = job
        self._catalog = catalog
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @Slot()
    def run(self) -> None:
        job = self._job
        try:
            from colorizer_app.core.batch import plan_batch, run_batch, summary_lines

            items = plan_batch([job.source], job.output, fmt=job.fmt, recursive=job.recursive,
                               suffix=job.suffix)
            self.planned.emit(len(items))
            if not items:
                raise ValueError("\n".join([f"no photos found in {job.source}",
                                             *summary_lines(items.left_out, lambda path: _place(path, job.source))]))
            colorize_fn = self._colorize_fn(job)
        except Exception as exc:  # the batch did not start: say why
            self.failed.emit(str(exc) or type(exc).__name__)
            return
        start = time.monotonic()

        def on_progress(done, total, item, status) -> None:
            self.progress.emit(done, total, item.source.name, str(status.value),
                               time.monotonic() - start)

        try:
            report = run_batch(items, colorize_fn, overwrite=not job.skip_existing,
                               on_progress=on_progress, should_cancel=self._cancel.is_set)
        except Exception as exc:
            self.failed.emit(str(exc) or type(exc).__name__)
            return
        self.finished.emit(report)

    def _colorize_fn(self, job: BatchJob):
        from colorizer_app.core.device import select_device
        from colorizer_app.core.pipeline import colorize

        catalog = self._catalog
        if catalog is None:
            from colorizer_app.core.catalog import ModelCatalog

            catalog = ModelCatalog()
        model = catalog.load(job.model or None, device=select_device(job.device))

        def colorize_photo(photo):
            return colorize(photo.pixels, model, render_size=job.render_size,
                            saturation=job.saturation, hints=job.hints.hints(photo.path) or None)

        return colorize_photo


def summarize(report, output: str, source: str = "") -> str:
    """The end-of-batch text: counts, then each failed file with its reason, named
    by its place under ``source`` (box1/IMG_0002.jpg: two boxes may hold the same name)."""
    from colorizer_app.core.batch import summary_lines

    lines = []
    if report.cancelled:
        lines.append(f"Cancelled after {report.processed} of {report.total} photos.")
    if report.stopped:
        lines.append(f"Stopped after {report.processed} of {report.total} photos: {report.stopped}.")
    lines.append(f"Colorized {report.done} photo{'s' if report.done != 1 else ''} into {output}.")
    if report.skipped:
        lines.append(f"Skipped {report.skipped} already exported.")
    if report.notes:
        lines.append("Note:")
        lines.extend(summary_lines(report.notes, lambda path: _place(path, source)))
    if report.failed:
        lines.append(f"{len(report.failed)} failed:")
        lines.extend(summary_lines(report.failed, lambda path: _place(path, source)))
    return "\n".join(lines)


def _place(path, source: str) -> str:
    try:
        place = Path(path).relative_to(source).as_posix() if source else Path(path).name
    except ValueError:
        return str(path)
    return place if place != "." else Path(path).name  # the folder exported itself


class BatchDialog(QDialog):
    """Pick folders and format, start, watch progress, cancel, read the summary.

    Collaborators with defaults: ``catalog`` (core ModelCatalog), ``settings``
    (AppSettings, for the last output folder and format).

    Signals:
        progress(int, int): done, total (the main window mirrors it in its status bar).
        batch_finished(object): the BatchReport, also when cancelled.
    """

    progress = Signal(int, int)
    batch_finished = Signal(object)
    batch_failed = Signal(str)  # it did not start (after counting the photos, perhaps): why

    def __init__(self, parent: QWidget | None = None, source: str = "", model: str = "",
                 render_size: int = 0, saturation: float = 1.0, catalog=None, settings=None,
                 device: str = "auto", hints: HintIndex | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch Export")
        self.setMinimumWidth(560)
        self._catalog = catalog
        self._settings = settings
        self._model_name = model
        self._render_size = render_size
        self._saturation = saturation
        self._device = device
        self._hints = HintIndex()
        self._thread: QThread | None = None
        self._worker: BatchWorker | None = None
        self._report = None
        self._eta = EtaEstimator()
        self._close_when_done = False
        self._output_folder = ""
        self._source_folder = ""
        self._create_widgets(source)
        self.set_hints(hints or HintIndex())
        self._update_buttons()

    # Construction --------------------------------------------------------------
    def _create_widgets(self, source: str) -> None:
        self._source_edit = QLineEdit(source, self)
        self._suggested_output = self._default_output(source)
        self._output_edit = QLineEdit(self._suggested_output, self)
        self._source_edit.textChanged.connect(self._on_source_changed)
        self._format_combo = QComboBox(self)
        for label, key in EXPORT_FORMATS:
            self._format_combo.addItem(label, key)
        saved_format = self._settings.export_format if self._settings is not None else "jpg"
        self._format_combo.setCurrentIndex(max(0, self._format_combo.findData(saved_format)))
        self._suffix_edit = QLineEdit(self._settings.export_suffix if self._settings is not None else "", self)
        self._suffix_edit.setPlaceholderText("nothing (or, say, _color: a.jpg becomes a_color.jpg)")
        self._suffix_edit.setAccessibleName("Add to names")
        self._recursive_check = QCheckBox("Include su&bfolders (their tree is mirrored)", self)
        self._recursive_check.setChecked(True)
        self._skip_check = QCheckBox("S&kip photos already exported (resume an earlier export)", self)
        self._skip_check.setChecked(True)
        self._settings_label = QLabel(self)
        self._settings_label.setTextFormat(Qt.TextFormat.RichText)
        self._settings_label.setWordWrap(True)
        self._show_settings()

        form = QFormLayout()
        source_row = self._folder_row(self._source_edit, "Folder to Export")
        output_row = self._folder_row(self._output_edit, "Output Folder")
        for text, row, edit in (("&Photos from:", source_row, self._source_edit),
                                ("&Save into:", output_row, self._output_edit)):
            label = QLabel(text, self)
            label.setBuddy(edit)  # Alt+letter goes to the text field, not to the row around it
            form.addRow(label, row)
        form.addRow("&Format:", self._format_combo)
        form.addRow("Add to &names:", self._suffix_edit)
        # Tab goes down the form: each folder, then its Browse… button.
        chain = [self._source_edit, source_row.findChild(QToolButton), self._output_edit,
                 output_row.findChild(QToolButton), self._format_combo, self._suffix_edit,
                 self._recursive_check, self._skip_check]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)
        form.addRow("", self._recursive_check)
        form.addRow("", self._skip_check)
        form.addRow("Colorize with:", self._settings_label)

        self._progress_bar = QProgressBar(self)
        self._progress_bar.setFormat("%v / %m")
        self._progress_bar.setRange(0, 1)
        self._progress_bar.setValue(0)
        self._progress_bar.setTextVisible(False)  # until there is a count to show
        self._progress_label = QLabel(" ", self)
        self._progress_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._summary = QPlainTextEdit(self)
        self._summary.setReadOnly(True)
        self._summary.setAccessibleName("Summary")
        self._summary.setPlaceholderText("A summary appears here when the export ends.")
        self._summary.setMaximumHeight(140)

        self._buttons = QDialogButtonBox(self)
        self._start_button = self._buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self._cancel_button = self._buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self._close_button = self._buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self._start_button.clicked.connect(self.start)
        self._cancel_button.clicked.connect(self.cancel)
        self._close_button.clicked.connect(self.close)
        self._start_button.setDefault(True)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(self._progress_bar)
        layout.addWidget(self._progress_label)
        layout.addWidget(self._summary)
        layout.addWidget(self._buttons)

    def _show_settings(self) -> None:
        text = (f"Model <b>{self._model_name or '—'}</b>, render size {_render_text(self._render_size)}, "
                f"saturation {self._saturation:.2f}")
        if self._hints:
            count = len(self._hints)
            text += (f"; the color hints set on {count} photo{'s' if count > 1 else ''} "
                     f"are used for {'them' if count > 1 else 'it'}")
        self._settings_label.setText(text)

    def _folder_row(self, edit: QLineEdit, title: str) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        browse = QToolButton(row)
        browse.setText("Browse…")
        browse.clicked.connect(lambda: self._browse(edit, title))
        layout.addWidget(browse)
        return row

    def _default_output(self, source: str) -> str:
        if self._settings is None:
            return suggested_export_folder(source)
        return suggested_export_folder(source, self._settings.export_source, self._settings.export_folder)

    @Slot()
    def _on_source_changed(self) -> None:
        """Another source folder: its own suggested output, unless the person typed one."""
        if self._output_edit.text() == self._suggested_output:
            self._suggested_output = self._default_output(self._source_edit.text().strip())
            self._output_edit.setText(self._suggested_output)

    # Public API ------------------------------------------------------------------
    @property
    def worker(self) -> BatchWorker | None:
        """The running batch's worker (None before Export)."""
        return self._worker

    @property
    def report(self):
        return self._report

    @property
    def summary_text(self) -> str:
        return self._summary.toPlainText()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def set_options(self, source: str | None = None, output: str | None = None,
                    fmt: str | None = None, recursive: bool | None = None,
                    skip_existing: bool | None = None, suffix: str | None = None) -> None:
        """Fill in the form (for callers and tests; the person uses the widgets)."""
        if source is not None:
            self._source_edit.setText(os.fspath(source))
        if output is not None:
            self._output_edit.setText(os.fspath(output))
        if fmt is not None:
            index = self._format_combo.findData(fmt)
            assert index >= 0, fmt
            self._format_combo.setCurrentIndex(index)
        if suffix is not None:
            self._suffix_edit.setText(suffix)
        if recursive is not None:
            self._recursive_check.setChecked(recursive)
        if skip_existing is not None:
            self._skip_check.setChecked(skip_existing)

    def set_hints(self, hints: HintIndex) -> None:
        """The color hints set in the window, for the next export (one that runs keeps its own)."""
        self._hints = hints
        if not self.running:
            self._show_settings()

    def set_colorize_settings(self, model: str, render_size: int, saturation: float, device: str) -> None:
        """The window's model, render size, saturation and device, for the next export:
        what the person has just judged in the preview. One that runs keeps its own, and
        the form says these once it ends."""
        self._model_name, self._render_size, self._saturation, self._device = model, render_size, saturation, device
        if not self.running:
            self._show_settings()

    @property
    def output_folder(self) -> str:
        """The output folder of the export running or last run ("" before the first)."""
        return self._output_folder

    def job(self) -> BatchJob:
        """The export the form describes, with its folders as they will be used."""
        source = os.path.expanduser(self._source_edit.text().strip())
        return BatchJob(
            source=source, output=self._resolved_output(source),
            fmt=self._format_combo.currentData(), recursive=self._recursive_check.isChecked(),
            suffix=self._suffix_edit.text(), skip_existing=self._skip_check.isChecked(), model=self._model_name,
            render_size=self._render_size, saturation=self._saturation, device=self._device,
            hints=self._hints)

    @Slot()
    def start(self) -> bool:
        """Start the export on a worker thread; False (with a message) if the form is wrong."""
        if self.running:
            return False
        job = self.job()
        problem = self._check(job)
        if problem:
            self._summary.setPlainText(problem)
            return False
        if self._settings is not None:
            self._settings.export_folder = job.output
            self._settings.export_source = job.source
            self._settings.export_format = job.fmt
            self._settings.export_suffix = job.suffix
        self._report = None
        self._eta = EtaEstimator()
        self._output_folder = job.output
        self._source_folder = job.source
        self._summary.clear()
        self._progress_bar.setRange(0, 0)  # busy until the plan is made
        self._progress_label.setText("Looking for photos…")

        self._thread = QThread(self)
        self._thread.setObjectName("batch-export")
        self._worker = BatchWorker(job, self._catalog)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._thread.finished.connect(self._worker.deleteLater)
        self._worker.planned.connect(self._on_planned)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._thread.start()
        self._update_buttons()
        return True

    @Slot()
    def cancel(self) -> None:
        """Stop after the photo being colorized now; nothing half-written remains."""
        if self.running and self._worker is not None:
            self._worker.cancel()
            self._progress_label.setText("Cancelling after the current photo…")
            self._cancel_button.setEnabled(False)
        else:
            self.reject()

    def stop_and_wait(self) -> None:
        """Cancel and wait for the worker thread (the app is quitting)."""
        if self._worker is not None and self.running:
            self._worker.cancel()
        self._finish_thread()

    # Slots ------------------------------------------------------------------------
    @Slot(int)
    def _on_planned(self, total: int) -> None:
        self._progress_bar.setTextVisible(True)
        self._progress_bar.setRange(0, max(total, 1))
        self._progress_bar.setValue(0)
        self._progress_label.setText(f"{total} photo{'s' if total != 1 else ''} to export")
        self.progress.emit(0, total)

    @Slot(int, int, str, str, float)
    def _on_progress(self, done: int, total: int, name: str, status: str, elapsed: float) -> None:
        self._eta.update(elapsed, skipped=status == "skipped")
        self._progress_bar.setRange(0, max(total, 1))
        self._progress_bar.setValue(done)
        left = format_duration(self._eta.seconds_left(total - done)) if done < total else ""
        parts = [f"{done} of {total}", f"{left} left" if left else "", f"{name}: {status}"]
        if not (self._worker is not None and self._worker.cancelled):
            self._progress_label.setText(" · ".join(p for p in parts if p))
        self.progress.emit(done, total)

    @Slot(object)
    def _on_finished(self, report) -> None:
        self._report = report
        self._finish_thread()
        self._show_settings()  # those set in the window while it ran, for the next export
        self._summary.setPlainText(summarize(report, self._output_folder, self._source_folder))
        took = format_duration(report.elapsed).replace("about ", "")
        self._progress_label.setText("Cancelled." if report.cancelled else
                                     ("Stopped." if not report.processed else f"Stopped after {took}.")
                                     if report.stopped else
                                     f"Finished in {took}.")
        self._update_buttons()
        self.batch_finished.emit(report)
        if self._close_when_done:
            self.accept()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._finish_thread()
        self._show_settings()
        self.batch_failed.emit(message)
        self._progress_bar.setRange(0, 1)
        self._progress_bar.setValue(0)
        self._progress_label.setText("The export did not start.")
        self._summary.setPlainText(message)
        self._update_buttons()
        if self._close_when_done:
            self.reject()

    # Helpers ----------------------------------------------------------------------
    def _finish_thread(self) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = None
            self._worker = None

    def _resolved_output(self, source: str) -> str:
        """The output folder as typed, made a full path: ``~`` is the home folder,
        and a relative path is taken from the folder exported, as the suggested
        ``colorized`` is (Photos + ``colorized`` -> Photos/colorized, ``../Colored``
        beside it), not from the app's working folder, which the person never sees."""
        output = self._output_edit.text().strip()
        if not output:
            return ""
        output = os.path.expanduser(output)
        if not os.path.isabs(output) and source:
            output = os.path.join(source, output)
        return os.path.normpath(output)

    def _check(self, job: BatchJob) -> str:
        from colorizer_app.core.batch import suffix_problem

        if not job.model:
            return "No usable model is selected."
        if not job.source or not Path(job.source).is_dir():
            return f"Choose a folder of photos (not found: {job.source or 'nothing chosen'})."
        if not job.output:
            return "Choose an output folder."
        if os.path.abspath(job.output) == os.path.abspath(job.source) and not job.suffix:
            # With text added to each name, results go beside their photos (as the CLI's do).
            return (f"The output folder {job.output} is the photos' own folder: choose another one, "
                    "or add something to the names (say, _color); originals are never replaced.")
        if os.path.exists(job.output) and not os.path.isdir(job.output):
            return f"The output folder {job.output} is a file: choose a folder."
        problem = suffix_problem(job.suffix)
        if problem:
            return problem[0].upper() + problem[1:] + "."
        return ""

    def _browse(self, edit: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, edit.text() or str(Path.home()))
        if folder:
            edit.setText(folder)

    def _update_buttons(self) -> None:
        running = self.running
        self._start_button.setEnabled(not running)
        self._cancel_button.setEnabled(running)
        self._cancel_button.setVisible(running)
        self._close_button.setVisible(not running)
        for widget in (self._source_edit, self._output_edit, self._format_combo,
                       self._recursive_check, self._skip_check):
            widget.setEnabled(not running)

    def reject(self) -> None:
        """Esc or closing while running cancels first and closes when the batch stops."""
        if self.running:
            self._close_when_done = True
            self.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            self._close_when_done = True
            self.cancel()
            event.ignore()
            return
        super().closeEvent(event)
