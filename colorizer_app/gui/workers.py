"""The inference thread: load photos, run colorize(), save results, off the GUI thread.

``ColorizeWorker`` is a QObject moved to a QThread; its slots run there, one at a
time, in the order requests were sent. ``InferenceClient`` lives in the GUI
thread, owns the thread and the worker, numbers requests and passes on only the
answers to the newest one: a new request supersedes a stale one, which is skipped
if it has not started and whose result is dropped if it has (``colorize()`` cannot
be interrupted midway; previews are screen-sized, so that costs little).

torch is imported here, lazily, on the worker thread: the window shows first.
The worker sends QImages; only GUI slots make QPixmaps.
"""

import dataclasses
import importlib
import os
import threading
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSize, QThread, Signal, Slot
from PySide6.QtGui import QColorSpace, QImage

from colorizer_app.gui.imageconv import array_to_qimage, scaled_size

_MAX_CACHED_MODELS = 2


class RequestSequencer:
    """Numbers requests; only the newest number is current. Thread-safe, no Qt."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest = 0

    @property
    def latest(self) -> int:
        return self._latest

    def next(self) -> int:
        with self._lock:
            self._latest += 1
            return self._latest

    def is_current(self, seq: int) -> bool:
        return seq == self._latest

    def invalidate(self) -> None:
        """Make every request issued so far stale (on quit, or photo closed)."""
        self.next()


@dataclasses.dataclass(frozen=True)
class ColorizeRequest:
    seq: int
    path: str
    model: str
    render_size: int = 0  # 0: the model's recommended render size
    saturation: float = 1.0
    max_side: int | None = None  # the preview's long side; None: full resolution
    hints: tuple = ()  # core.hints.Hint: the person's color hints for this photo


@dataclasses.dataclass(frozen=True)
class SaveRequest:
    path: str
    out_path: str
    model: str
    render_size: int = 0  # 0: the model's recommended render size
    saturation: float = 1.0
    overwrite: bool = False  # the user already confirmed replacing `out_path`
    quality: int = 95
    hints: tuple = ()  # core.hints.Hint


@dataclasses.dataclass(frozen=True)
class PhotoLoaded:
    seq: int
    path: str
    original: QImage  # at preview size (or full size)
    source_size: QSize  # the photo's full size, EXIF orientation applied
    pages: int = 1  # a multi-page TIFF or an animated GIF: only the first is shown


@dataclasses.dataclass(frozen=True)
class ColorizeResult:
    seq: int
    path: str
    model: str
    render_size: int
    saturation: float
    colorized: QImage
    source_size: QSize
    full_resolution: bool
    seconds: float
    hints: tuple = ()


class ColorizeWorker(QObject):
    """Runs on the inference thread (after ``moveToThread``).

    Takes a model catalog (default: ``ModelCatalog()``, made on first use on the
    worker thread) and the client's sequencer, so it can skip stale requests.

    Signals:
        device_ready(str): torch loaded; the device in words ("CPU (2 threads)").
        models_listed(list, str): catalog entries and the default model's name.
        photo_loaded(object): a PhotoLoaded, before colorizing starts.
        finished(object): a ColorizeResult.
        saved(str, str): the path written, and what of the original's metadata it could
            not keep ("" when nothing), in words.
        failed(str): a colorize request went wrong (the reason, in words).
        save_failed(str): a save went wrong; kept apart so the window can insist.
        busy(str): what the worker is doing now; "" when idle.
    """

    device_ready = Signal(str)
    models_listed = Signal(list, str)
    photo_loaded = Signal(object)
    finished = Signal(object)
    saved = Signal(str, str)
    failed = Signal(str)
    save_failed = Signal(str)
    busy = Signal(str)

    def __init__(self, catalog=None, sequencer: RequestSequencer | None = None,
                 device_preference: str = "auto") -> None:
        super().__init__()
        self._catalog = catalog
        self._sequencer = sequencer if sequencer is not None else RequestSequencer()
        self._device_preference = device_preference
        self._device = None
        self._models: dict[str, tuple[float, object]] = {}
        self._photo_key: tuple | None = None
        self._photo = None
        self._preview: dict[int | None, tuple[object, QImage]] = {}
        self._full_key: tuple | None = None
        self._full_result = None
        # Set (from the GUI thread) when the window closes: what is queued then is
        # skipped, but a save, which the person asked for, is still written.
        self.closing = False

    @property
    def sequencer(self) -> RequestSequencer:
        return self._sequencer

    # Slots (worker thread) ------------------------------------------------------
    @Slot()
    def start(self) -> None:
        """List the models, then import torch and the pipeline and pick the device,
        so the first photo does not wait for those imports."""
        if self.closing:
            return
        self.list_models()
        try:
            importlib.import_module("colorizer_app.core.imageio")  # warm-up: PIL's plugins
            importlib.import_module("colorizer_app.core.pipeline")
            self._ensure_device()  # torch; emits device_ready
        except Exception as exc:  # no torch, broken CUDA: tell, don't crash
            self.failed.emit(f"Cannot start the colorizer: {exc}")

    @Slot()
    def finish(self) -> None:
        """End the thread's event loop, after the requests queued before this one."""
        QThread.currentThread().quit()

    @Slot(str)
    def prepare(self, model: str) -> None:
        """Load ``model`` ahead of the first photo; errors wait until it is used."""
        if self.closing:
            return
        self.busy.emit(f"Loading model {model}…")
        try:
            self._model(model)
        except Exception:
            pass
        finally:
            self.busy.emit("")

    @Slot()
    def list_models(self) -> None:
        if self.closing:
            return
        try:
            catalog = self._get_catalog()
            entries = list(catalog.entries())
            default = catalog.default()
        except Exception as exc:
            self.failed.emit(f"Cannot list the models: {exc}")
            return
        default_name = getattr(default, "name", default) or ""
        self.models_listed.emit(entries, str(default_name))

    @Slot(str)
    def set_device_preference(self, preference: str) -> None:
        """'auto', 'cpu' or 'cuda:N'; models are reloaded on the new device."""
        if preference != self._device_preference:
            self._device_preference = preference
            was_cuda = self._device is not None and self._device.type == "cuda"
            self._device = None
            self._models.clear()
            self._full_key = self._full_result = None
            if was_cuda:
                import torch

                torch.cuda.empty_cache()  # the models' memory goes back to the GPU, for training or games
            try:
                self._ensure_device()
            except Exception as exc:
                self.failed.emit(f"Cannot use device {preference}: {exc}")

    @Slot(object)
    def colorize(self, request: ColorizeRequest) -> None:
        if not self._sequencer.is_current(request.seq):
            return  # superseded before it started
        name = Path(request.path).name
        self.busy.emit(f"Colorizing {name}…")
        try:
            start = time.perf_counter()
            pixels, original = self._pixels(request.path, request.max_side)
            if not self._sequencer.is_current(request.seq):
                return
            self.photo_loaded.emit(PhotoLoaded(request.seq, request.path, original,
                                               self._source_size(), self._photo.pages))
            model = self._model(request.model)
            if not self._sequencer.is_current(request.seq):
                return
            result = self._run(pixels, model, request.render_size, request.saturation, request.hints)
            full = pixels.shape[:2] == self._photo.pixels.shape[:2]
            if full:
                self._remember_full(request.path, request.model, request.render_size,
                                    request.saturation, request.hints, result)
            if not self._sequencer.is_current(request.seq):
                return
            self.finished.emit(ColorizeResult(
                seq=request.seq, path=request.path, model=request.model,
                render_size=request.render_size, saturation=request.saturation,
                colorized=self._display_image(result), source_size=self._source_size(),
                full_resolution=full,
                seconds=time.perf_counter() - start, hints=request.hints))
        except Exception as exc:
            if self._sequencer.is_current(request.seq):
                self.failed.emit(_describe(exc, name))
        finally:
            self.busy.emit("")

    @Slot(object)
    def save(self, request: SaveRequest) -> None:
        """Colorize at full resolution (or reuse that result) and write it; never skipped."""
        from colorizer_app.gui.savepaths import refuse_reason

        name = Path(request.out_path).name
        self.busy.emit(f"Saving {name} at full resolution…")
        try:
            reason = refuse_reason(request.path, request.out_path)
            if reason:
                raise ValueError(reason)
            self._load_photo(request.path)
            model = self._model(request.model)  # loaded again if its file changed (retrained)
            key = (request.path, request.model, request.render_size, request.saturation, request.hints)
            if self._full_key == self._full_key_for(*key):
                result = self._full_result
            else:
                result = self._run(self._photo.pixels, model, request.render_size, request.saturation,
                                   request.hints)
                self._remember_full(*key, result)
            from colorizer_app.core.imageio import format_for_path, read_later_pages, save_photo

            photo = self._photo
            # A TIFF keeps a multi-page scan's later pages (the back of a card) as they are.
            later = (read_later_pages(request.path)
                     if photo.pages > 1 and format_for_path(request.out_path) == "TIFF" else [])
            left_out: list[str] = []
            written = save_photo(request.out_path, result, alpha=photo.alpha, exif=photo.exif,
                                 icc_profile=photo.icc_profile, dpi=photo.dpi, overwrite=request.overwrite,
                                 quality=request.quality, source=request.path, xmp=photo.xmp,
                                 later_pages=later, left_out=left_out)
            self.saved.emit(str(written), "; ".join(left_out))
        except Exception as exc:
            self.save_failed.emit(_describe(exc, name, saving=True))
        finally:
            self.busy.emit("")

    # Helpers (worker thread) -------------------------------------------------------
    def _get_catalog(self):
        if self._catalog is None:
            from colorizer_app.core.catalog import ModelCatalog

            self._catalog = ModelCatalog()
        return self._catalog

    def _ensure_device(self):
        if self._device is None:
            from colorizer_app.core.device import describe_device, select_device

            try:
                self._device = select_device(self._device_preference)
            except Exception:
                # The status bar must not go on naming the device used before.
                self.device_ready.emit(f"{self._device_preference} (not available)")
                raise
            self.device_ready.emit(describe_device(self._device))
        return self._device

    def _model(self, name: str):
        if not name:
            raise ValueError("no usable model is selected")
        catalog = self._get_catalog()
        try:
            entry = catalog.find(name)
        except KeyError as exc:  # the file was removed since the list was made
            raise ValueError(exc.args[0] if exc.args else f"no model called {name}") from None
        if not entry.usable:
            raise ValueError(f"model {name} cannot be used: {entry.reason}")
        stamp = file_time(entry.json_path)
        cached = self._models.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        device = self._ensure_device()
        model = catalog.load(name, device=device)
        self._models.pop(name, None)
        while len(self._models) >= _MAX_CACHED_MODELS:
            self._models.pop(next(iter(self._models)))
        self._models[name] = (stamp, model)
        return model

    def _load_photo(self, path: str) -> None:
        stat = os.stat(path)
        key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
        if key != self._photo_key:
            from colorizer_app.core.imageio import load_photo

            self._photo = None
            self._preview.clear()
            self._photo = load_photo(path)
            self._photo_key = key

    def _pixels(self, path: str, max_side: int | None):
        """The photo's pixels at preview size (cached) and the matching original QImage."""
        self._load_photo(path)
        cached = self._preview.get(max_side)
        if cached is None:
            pixels = self._photo.pixels
            height, width = pixels.shape[:2]
            new_w, new_h = scaled_size(width, height, max_side)
            if (new_w, new_h) != (width, height):
                import cv2

                pixels = cv2.resize(pixels, (new_w, new_h), interpolation=cv2.INTER_AREA)
            cached = (pixels, self._display_image(pixels))
            self._preview = {max_side: cached}
        return cached

    def _display_image(self, pixels) -> QImage:
        """A QImage for the screen. Pixels of a photo with an RGB ICC profile (an
        Adobe RGB scan) are converted to sRGB for display, the original and the
        colorized alike; the saved file keeps the profile instead."""
        image = array_to_qimage(pixels)
        icc = getattr(self._photo, "icc_profile", None)
        if icc:
            space = QColorSpace.fromIccProfile(QByteArray(icc))
            srgb = QColorSpace(QColorSpace.NamedColorSpace.SRgb)
            if space.isValid() and space.colorModel() == QColorSpace.ColorModel.Rgb and space != srgb:
                image.setColorSpace(space)
                image.convertToColorSpace(srgb)
        return image

    def _source_size(self) -> QSize:
        height, width = self._photo.pixels.shape[:2]
        return QSize(width, height)

    def _run(self, pixels, model, render_size: int, saturation: float, hints: tuple):
        from colorizer_app.core.pipeline import colorize

        return colorize(pixels, model, render_size=render_size, saturation=saturation,  # 0: Auto
                        hints=list(hints))

    def _full_key_for(self, path, model, render_size, saturation, hints) -> tuple:
        """What a full-resolution result depends on: the photo's file and the model's
        too (a model retrained under the same name colors differently)."""
        model_stamp = self._models[model][0] if model in self._models else None
        return (path, model, model_stamp, render_size, saturation, hints, self._photo_key)

    def _remember_full(self, path, model, render_size, saturation, hints, result) -> None:
        self._full_key = self._full_key_for(path, model, render_size, saturation, hints)
        self._full_result = result


def file_time(path) -> float:
    """A file's modification time; 0.0 when it cannot be read (gone, no path)."""
    try:
        return os.stat(path).st_mtime
    except (OSError, TypeError):
        return 0.0


def _describe(exc: Exception, name: str, saving: bool = False) -> str:
    """One line for the status bar; core errors already name the file and the reason."""
    if isinstance(exc, FileNotFoundError) and not saving:
        text = "the photo is no longer there (moved, renamed or deleted?)"
    elif isinstance(exc, OSError) and exc.strerror:  # the reason, not Python's [Errno N] 'path'
        text = exc.strerror
    elif isinstance(exc, MemoryError):
        text = str(exc) or "not enough memory"
    else:
        text = str(exc) or type(exc).__name__
    if saving:
        return f"Could not save {name}: {text}"
    return text if name in text else f"{name}: {text}"


class InferenceClient(QObject):
    """GUI-thread side of the inference thread: sends requests, filters answers.

    Signals (only for the newest colorize request; saves always):
        device_ready(str), models_listed(list, str), photo_loaded(object),
        finished(object), saved(str, str), failed(str), save_failed(str), busy(str):
        as ColorizeWorker's.
    """

    device_ready = Signal(str)
    models_listed = Signal(list, str)
    photo_loaded = Signal(object)
    finished = Signal(object)
    saved = Signal(str, str)
    failed = Signal(str)
    save_failed = Signal(str)
    busy = Signal(str)

    # Requests travel to the worker thread as queued signals.
    _start_requested = Signal()
    _list_requested = Signal()
    _prepare_requested = Signal(str)
    _colorize_requested = Signal(object)
    _save_requested = Signal(object)
    _device_requested = Signal(str)
    _finish_requested = Signal()

    def __init__(self, parent: QObject | None = None, catalog=None,
                 worker: ColorizeWorker | None = None) -> None:
        super().__init__(parent)
        self._worker = worker if worker is not None else ColorizeWorker(catalog)
        self._sequencer = self._worker.sequencer
        self._thread = QThread(self)
        self._thread.setObjectName("inference")
        self._worker.moveToThread(self._thread)
        self._thread.finished.connect(self._worker.deleteLater)

        self._start_requested.connect(self._worker.start)
        self._list_requested.connect(self._worker.list_models)
        self._prepare_requested.connect(self._worker.prepare)
        self._colorize_requested.connect(self._worker.colorize)
        self._save_requested.connect(self._worker.save)
        self._device_requested.connect(self._worker.set_device_preference)
        self._finish_requested.connect(self._worker.finish)

        self._worker.device_ready.connect(self.device_ready)
        self._worker.models_listed.connect(self.models_listed)
        self._worker.photo_loaded.connect(self._on_photo_loaded)
        self._worker.finished.connect(self._on_finished)
        self._worker.saved.connect(self.saved)
        self._worker.failed.connect(self.failed)
        self._worker.save_failed.connect(self.save_failed)
        self._worker.busy.connect(self.busy)
        self._running = False

    @property
    def worker(self) -> ColorizeWorker:
        return self._worker

    @property
    def worker_thread(self) -> QThread:
        return self._thread

    @property
    def latest(self) -> int:
        return self._sequencer.latest

    def start(self) -> None:
        """Start the thread, list the models, then load torch there."""
        if not self._running:
            self._running = True
            self._thread.start()
            self._start_requested.emit()

    def list_models(self) -> None:
        self._list_requested.emit()

    def set_device_preference(self, preference: str) -> None:
        self._device_requested.emit(preference)

    def prepare(self, model: str) -> None:
        """Load a model in the background before it is needed."""
        self._prepare_requested.emit(model)

    def colorize(self, path: str, model: str, render_size: int = 512, saturation: float = 1.0,
                 max_side: int | None = None, hints: tuple = ()) -> int:
        """Ask for a colorized photo; returns the request's number. Supersedes older ones."""
        seq = self._sequencer.next()
        self._colorize_requested.emit(ColorizeRequest(seq, os.fspath(path), model, int(render_size),
                                                      float(saturation), max_side, tuple(hints)))
        return seq

    def save(self, request: SaveRequest) -> None:
        self._save_requested.emit(request)

    def cancel(self) -> None:
        """Drop every pending colorize request (a save still completes)."""
        self._sequencer.invalidate()

    def stop(self) -> None:
        """Skip the colorizing queued, let the running job end, write the saves
        queued (Save, then closing the window at once, must not lose the save), and
        wait for the thread."""
        self._sequencer.invalidate()
        self._worker.closing = True
        if self._running:
            self._finish_requested.emit()  # queued behind the saves
            self._thread.wait()
            self._running = False

    @Slot(object)
    def _on_photo_loaded(self, loaded: PhotoLoaded) -> None:
        if self._sequencer.is_current(loaded.seq):
            self.photo_loaded.emit(loaded)

    @Slot(object)
    def _on_finished(self, result: ColorizeResult) -> None:
        if self._sequencer.is_current(result.seq):
            self.finished.emit(result)
