"""Thumbnails made in the background, cached in memory and on disk, asked for lazily.

Pieces, smallest first:
- ``LruCache``: bounded memory cache (plain Python, tested without Qt widgets).
- ``ThumbnailStore``: the disk cache under the platformdirs user cache folder, keyed
  by path, size and modification time, so an edited photo gets a new thumbnail;
  pruned to DISK_CACHE_BYTES, least recently used first, once a session.
- ``make_thumbnail``: QImageReader decode at reduced size (JPEG decodes at 1/2..1/8
  scale, which is what keeps a folder of 2,000 scans cheap).
- ``ThumbnailLoader``: a QThreadPool of jobs; newest request first; jobs for rows
  that scrolled away are taken back out of the queue before they start.
- ``ThumbnailModel``: the list model the grid shows; it asks for a thumbnail only
  when the view asks for a row's icon, i.e. only for rows being painted.
"""

import contextlib
import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel, QBuffer, QByteArray, QIODevice, QModelIndex, QObject, QPersistentModelIndex,
    QRunnable, QSize, Qt, QThreadPool, Signal, Slot,
)
from PySide6.QtGui import QColor, QColorSpace, QGuiApplication, QImage, QImageReader, QPainter, QPixmap

from colorizer_app.core.paths import user_cache_dir
from colorizer_app.gui.photolist import list_photos

THUMBNAIL_SIDE = 128  # longest side in pixels, as generated and shown
DISK_CACHE_BYTES = 256 * 1024 * 1024  # about 40,000 thumbnails; the least recently used go first


class LruCache:
    """Least-recently-used cache bounded by total cost (e.g. bytes)."""

    def __init__(self, max_cost: int) -> None:
        assert max_cost > 0
        self._max_cost = max_cost
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._total = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    @property
    def total_cost(self) -> int:
        return self._total

    def get(self, key: Hashable, default=None):
        item = self._items.get(key)
        if item is None:
            return default
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: Hashable, value: object, cost: int = 1) -> None:
        if key in self._items:
            self._total -= self._items.pop(key)[1]
        self._items[key] = (value, cost)
        self._total += cost
        while self._total > self._max_cost and len(self._items) > 1:
            _, (_, old_cost) = self._items.popitem(last=False)
            self._total -= old_cost

    def pop(self, key: Hashable) -> None:
        """Forget ``key`` if it is cached."""
        item = self._items.pop(key, None)
        if item is not None:
            self._total -= item[1]

    def clear(self) -> None:
        self._items.clear()
        self._total = 0


def default_cache_dir() -> Path:
    """Where thumbnails live on disk: the user cache folder (core.paths)."""
    return user_cache_dir() / "thumbnails"


class ThumbnailStore:
    """Thumbnails on disk as small JPEGs; safe to use from several pool threads.

    The key includes the file's size and modification time, so a changed photo is
    never shown with its old thumbnail. Writes go to a temporary name and are
    renamed into place, so a reader never sees half a file.
    """

    def __init__(self, folder: str | os.PathLike | None = None, side: int = THUMBNAIL_SIDE) -> None:
        self._folder = Path(folder) if folder is not None else default_cache_dir()
        self._side = side

    @property
    def folder(self) -> Path:
        return self._folder

    def key(self, path: str | os.PathLike, stamp: tuple[int, int] | None = None) -> str:
        """The cache key of the file at ``path`` (its ``file_stamp``, if already taken)."""
        size, mtime_ns = stamp or file_stamp(path)
        text = f"{os.path.abspath(path)}|{size}|{mtime_ns}|{self._side}"
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()

    def file_for(self, key: str) -> Path:
        return self._folder / key[:2] / f"{key}.jpg"

    def read(self, key: str) -> QImage | None:
        file = self.file_for(key)
        if not file.exists():
            return None
        image = QImage(str(file))
        if image.isNull():
            return None
        with contextlib.suppress(OSError):
            os.utime(file)  # marks it recently used, for prune()
        return image

    def write(self, key: str, image: QImage) -> None:
        file = self.file_for(key)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            # Encoded in memory and written by Python, which raises on a full disk:
            # QImage.save can report success for a file its last write cut short.
            data = QByteArray()
            buffer = QBuffer(data)
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            if not image.save(buffer, "JPG", 85):
                return
            tmp = file.with_name(f"{file.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
            try:
                tmp.write_bytes(data.data())
                os.replace(tmp, file)
            except OSError:
                tmp.unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only or full cache folder costs speed, never a thumbnail

    def prune(self, max_bytes: int = DISK_CACHE_BYTES) -> int:
        """Delete the least recently used thumbnails until the cache holds at most
        ``max_bytes``; return how many files were deleted."""
        files = []
        for file in self._folder.glob("*/*"):
            with contextlib.suppress(OSError):
                stat = file.stat()
                files.append((stat.st_mtime, stat.st_size, file))
        total = sum(size for _, size, _ in files)
        deleted = 0
        for _, size, file in sorted(files):  # oldest first
            if total <= max_bytes:
                break
            with contextlib.suppress(OSError):
                file.unlink()
                total -= size
                deleted += 1
        return deleted


def file_stamp(path: str | os.PathLike) -> tuple[int, int]:
    """(size, modification time in ns): what changes when a photo is retouched or replaced."""
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def screen_thumbnail_side() -> int:
    """THUMBNAIL_SIDE in the device pixels of the sharpest screen: at a scale factor of
    2 thumbnails are made at twice the size, not blown up blurry."""
    ratio = max((screen.devicePixelRatio() for screen in QGuiApplication.screens()), default=1.0)
    return round(THUMBNAIL_SIDE * min(max(ratio, 1.0), 3.0))


def make_thumbnail(path: str | os.PathLike, side: int = THUMBNAIL_SIDE) -> QImage:
    """Decode ``path`` at thumbnail size, EXIF orientation applied, in sRGB.

    Raises OSError with the reader's reason when the file cannot be read.
    """
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > side:
        reader.setScaledSize(size.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio))
    if _cut_short(path):
        # Qt would paint what arrived and gray below it; the viewer refuses such a file,
        # and a thumbnail that looks whole would hide that the copy is incomplete.
        raise OSError("the file is truncated (an incomplete download or copy?)")
    image = reader.read()
    if image.isNull():
        # Qt refuses images over its allocation limit (256 MB decoded: a 12000 x 9000
        # scan) and some TIFF layouts; the app's own reader opens those.
        image = _thumbnail_via_core(path, side)
        if image is None:
            if not os.access(path, os.R_OK):  # Qt says "File not found" for this too
                raise OSError("no permission to read it")
            raise OSError(reader.errorString() or "cannot read the image")
    if max(image.width(), image.height()) > side:  # formats that ignore scaledSize
        image = image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    space = image.colorSpace()
    if space.isValid() and space != QColorSpace(QColorSpace.NamedColorSpace.SRgb):
        image.convertToColorSpace(QColorSpace(QColorSpace.NamedColorSpace.SRgb))
    if image.hasAlphaChannel():  # flatten onto gray so a JPEG cache entry looks the same
        flat = QImage(image.size(), QImage.Format.Format_RGB32)
        flat.fill(QColor(128, 128, 128))
        painter = QPainter(flat)
        painter.drawImage(0, 0, image)
        painter.end()
        return flat
    return image.convertToFormat(QImage.Format.Format_RGB32)


_END_MARKERS = {b"\xff\xd8": b"\xff\xd9", b"\x89P": b"IEND"}  # JPEG: EOI; PNG: the IEND chunk


def _cut_short(path: str | os.PathLike) -> bool:
    """Whether a JPEG or PNG stops before its image data ends, as an interrupted copy
    or download leaves it. The end marker near the end answers at once; without it
    (some cameras add bytes after it), Pillow decodes the file to be sure, as the
    viewer does."""
    try:
        with open(path, "rb") as f:
            end = _END_MARKERS.get(f.read(2))
            if end is None:
                return False
            f.seek(max(0, os.fstat(f.fileno()).st_size - 4096))
            if end in f.read():
                return False
    except OSError:
        return False
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))  # JPEG: decode at 1/8, as fast as Qt
            img.load()
    except EOFError:
        return True
    except (OSError, SyntaxError, ValueError) as exc:  # damaged otherwise: Qt's reason is reported
        return "truncated" in str(exc).lower()
    return False


def _thumbnail_via_core(path: str | os.PathLike, side: int) -> QImage | None:
    """The thumbnail made from core.imageio's decode; None if that fails too."""
    import cv2

    from colorizer_app.core.imageio import load_photo
    from colorizer_app.gui.imageconv import array_to_qimage, scaled_size

    try:
        pixels = load_photo(path).pixels
    except Exception:  # noqa: BLE001 - Qt's reason is the one reported
        return None
    height, width = pixels.shape[:2]
    return array_to_qimage(cv2.resize(pixels, scaled_size(width, height, side), interpolation=cv2.INTER_AREA))


class _JobSignals(QObject):
    """Lives in the GUI thread; jobs emit through it (a QRunnable is no QObject).

    Signals:
        done(str, QImage, str, object): path, thumbnail (null on error), error message,
            the file's stamp when it was read (None if it could not be statted).
    """

    done = Signal(str, QImage, str, object)


class _ThumbnailJob(QRunnable):
    def __init__(self, path: str, store: ThumbnailStore, side: int, signals: _JobSignals) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the loader holds a reference until `done`
        self._path = path
        self._store = store
        self._side = side
        self._signals = signals

    def run(self) -> None:
        image, error, stamp = QImage(), "", None
        try:
            stamp = file_stamp(self._path)
            key = self._store.key(self._path, stamp)
            cached = self._store.read(key)
            if cached is not None:
                image = cached
            else:
                image = make_thumbnail(self._path, self._side)
                self._store.write(key, image)
        except Exception as exc:  # any failure is one broken thumbnail, not a crash
            image, error = QImage(), str(exc) or type(exc).__name__
        self._signals.done.emit(self._path, image, error, stamp)


class ThumbnailLoader(QObject):
    """Hands out cached thumbnails and makes missing ones on a thread pool.

    ``thumbnail(path)`` answers from memory at once, or returns None and queues a
    job (at most one per path). Newer requests run first, so the rows on screen now
    win over rows scrolled past. ``discard(paths)`` takes still-queued jobs back.

    Signals:
        ready(str): the thumbnail (or error) for this path is now available.
    """

    ready = Signal(str)

    def __init__(self, parent: QObject | None = None, store: ThumbnailStore | None = None,
                 side: int = THUMBNAIL_SIDE, max_threads: int = 2,
                 memory_bytes: int = 96 * 1024 * 1024) -> None:
        super().__init__(parent)
        self._store = store if store is not None else ThumbnailStore(side=side)
        self._side = side
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, min(max_threads, QThreadPool.globalInstance().maxThreadCount())))
        self._signals = _JobSignals(self)
        self._signals.done.connect(self._on_done)
        self._memory = LruCache(memory_bytes)
        self._errors: dict[str, str] = {}
        self._stamps: dict[str, tuple[int, int] | None] = {}  # of each file as its thumbnail was made
        self._queued: dict[str, _ThumbnailJob] = {}  # not finished yet (queued or running)
        # Finished jobs stay referenced until no pool thread is active: `done` is
        # emitted from inside run(), so the job object may still be on that stack.
        self._finished: list[_ThumbnailJob] = []
        self._priority = 0
        self.requests_made = 0  # how many jobs were queued, for tests and benchmarks

    @property
    def side(self) -> int:
        """The longest side of the thumbnails made, in pixels."""
        return self._side

    def prune_disk_cache(self) -> None:
        """Bound the disk cache, in the background, behind every thumbnail job
        (the app does it once a session)."""
        self._pool.start(self._store.prune, -1)

    def thumbnail(self, path: str) -> QPixmap | None:
        pixmap = self._memory.get(path)
        if pixmap is not None or path in self._errors:
            return pixmap
        self.request(path)
        return None

    def error(self, path: str) -> str | None:
        return self._errors.get(path)

    def is_pending(self, path: str) -> bool:
        return path in self._queued

    def request(self, path: str) -> None:
        if path in self._queued:
            return
        job = _ThumbnailJob(path, self._store, self._side, self._signals)
        self._queued[path] = job
        self._priority += 1
        self.requests_made += 1
        self._pool.start(job, self._priority)

    def discard(self, paths: Iterable[str]) -> None:
        """Take queued, not yet started jobs for ``paths`` back out of the pool."""
        for path in list(paths):
            job = self._queued.get(path)
            if job is not None and self._pool.tryTake(job):
                del self._queued[path]

    def forget_changed(self, paths: Iterable[str]) -> list[str]:
        """Drop what is known of each of ``paths`` whose file changed since (retouched,
        replaced, or still being copied when it failed), so it is made again when shown.
        One stat per path that has a thumbnail or an error. Returns the paths dropped."""
        dropped = []
        for path in paths:
            if path not in self._stamps:
                continue
            try:
                now = file_stamp(path)
            except OSError:
                now = None
            if now != self._stamps[path] or path in self._errors:
                self._memory.pop(path)
                self._errors.pop(path, None)
                del self._stamps[path]
                dropped.append(path)
        return dropped

    def discard_all_except(self, keep: Callable[[str], bool]) -> None:
        self.discard([p for p in self._queued if not keep(p)])

    def shutdown(self) -> None:
        """Drop queued jobs and wait for running ones (call before the app quits)."""
        self.discard(list(self._queued))
        self._pool.waitForDone()
        self._finished.clear()

    @Slot(str, QImage, str, object)
    def _on_done(self, path: str, image: QImage, error: str, stamp: tuple[int, int] | None) -> None:
        self._stamps[path] = stamp
        job = self._queued.pop(path, None)
        if job is not None:
            self._finished.append(job)
        if self._pool.activeThreadCount() == 0:
            self._finished.clear()
        if error or image.isNull():
            self._errors[path] = error or "cannot read the image"
        else:
            pixmap = QPixmap.fromImage(image)  # GUI thread only
            self._memory.put(path, pixmap, image.sizeInBytes())
        self.ready.emit(path)


PATH_ROLE = Qt.ItemDataRole.UserRole + 1


class ThumbnailModel(QAbstractListModel):
    """The photos of one folder as a list; icons come from a ThumbnailLoader on demand."""

    def __init__(self, parent: QObject | None = None, loader: ThumbnailLoader | None = None) -> None:
        super().__init__(parent)
        self._loader = loader if loader is not None else ThumbnailLoader(self, side=screen_thumbnail_side())
        self._loader.ready.connect(self._on_ready)
        self._paths: list[str] = []
        self._rows: dict[str, int] = {}
        self._folder = ""
        self._unshowable: list[str] = []  # photos whose names Qt cannot carry (not UTF-8)
        self._placeholder: QPixmap | None = None
        self._broken: QPixmap | None = None

    @property
    def loader(self) -> ThumbnailLoader:
        return self._loader

    @property
    def folder(self) -> str:
        return self._folder

    def set_folder(self, folder: str | os.PathLike) -> None:
        """List ``folder`` (again): photos changed on disk since get new thumbnails."""
        self._folder = os.fspath(folder)
        self._unshowable = []
        paths = list_photos(folder, self._unshowable)
        self._loader.forget_changed(paths)
        self.set_paths(paths)

    def relist(self) -> bool:
        """List the folder again in place, after it changed on disk. True if photos
        came or went (the rows were reset); otherwise only the thumbnails of files
        changed since are made again, and the rows stay as they are."""
        self._unshowable = []
        paths = list_photos(self._folder, self._unshowable)
        dropped = self._loader.forget_changed(paths)
        if paths != self._paths:
            self.set_paths(paths)
            return True
        for path in dropped:
            index = self.index(self._rows[path])
            self.dataChanged.emit(index, index)
        return False

    def set_paths(self, paths: list[str]) -> None:
        self.beginResetModel()
        self._loader.discard_all_except(lambda p: False)
        self._paths = list(paths)
        self._rows = {p: i for i, p in enumerate(self._paths)}
        self.endResetModel()

    def paths(self) -> list[str]:
        return list(self._paths)

    def has_fresh_files(self, within_s: float = 10.0) -> bool:
        """Whether a listed photo's file was written in the last seconds: it may still
        be being copied in (its thumbnail half made, or failed), so worth a look again.
        A stat per photo."""
        now = time.time()
        for path in self._paths:
            try:
                if now - os.stat(path).st_mtime < within_s:
                    return True
            except OSError:
                continue
        return False

    @property
    def unshowable(self) -> list[str]:
        """Photos in the folder left out because their names are not valid UTF-8."""
        return list(self._unshowable)

    def row_of(self, path: str | os.PathLike) -> int:
        return self._rows.get(os.fspath(path), -1)

    def path_at(self, row: int) -> str:
        return self._paths[row]

    def set_visible_rows(self, first: int, last: int, margin: int = 24) -> None:
        """Forget queued jobs for rows far from the visible range [first, last]."""
        lo, hi = first - margin, last + margin
        self._loader.discard_all_except(lambda p: lo <= self._rows.get(p, -10**9) <= hi)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._paths)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._paths):
            return None
        path = self._paths[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return Path(path).name
        if role == Qt.ItemDataRole.DecorationRole:
            pixmap = self._loader.thumbnail(path)  # the lazy part: only painted rows ask
            if pixmap is not None:
                return pixmap
            return self._broken_pixmap() if self._loader.error(path) else self._placeholder_pixmap()
        if role == Qt.ItemDataRole.ToolTipRole:
            error = self._loader.error(path)
            return f"{path}\n{error}" if error else path
        if role == PATH_ROLE:
            return path
        return None

    @Slot(str)
    def _on_ready(self, path: str) -> None:
        row = self._rows.get(path)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole,
                                                 Qt.ItemDataRole.ToolTipRole])

    def _placeholder_pixmap(self) -> QPixmap:
        if self._placeholder is None:
            self._placeholder = _tile(QColor(72, 72, 72), "")
        return self._placeholder

    def _broken_pixmap(self) -> QPixmap:
        if self._broken is None:
            self._broken = _tile(QColor(90, 50, 50), "!")
        return self._broken


def _tile(color: QColor, text: str, side: int = THUMBNAIL_SIDE) -> QPixmap:
    pixmap = QPixmap(QSize(side, side * 3 // 4))
    pixmap.fill(color)
    if text:
        painter = QPainter(pixmap)
        painter.setPen(QColor(230, 230, 230))
        font = painter.font()
        font.setPixelSize(side // 4)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
    return pixmap
