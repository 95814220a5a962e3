"""Thumbnails: made on the pool, cached on disk, asked for only for visible rows."""

import os
import shutil

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from colorizer_app.gui.browser import ThumbnailGrid
from colorizer_app.gui.thumbnails import THUMBNAIL_SIDE, ThumbnailLoader, ThumbnailStore, make_thumbnail
from tests.photos import gradient_photo

pytestmark = pytest.mark.gui


@pytest.fixture
def grid(qtbot, thumbnail_loader):
    widget = ThumbnailGrid(loader=thumbnail_loader)
    qtbot.add_widget(widget)
    widget.resize(420, 360)
    widget.show()
    qtbot.wait_exposed(widget)
    return widget


def test_thumbnail_is_small_upright_and_cached_on_disk(qapp, tmp_path, photo_factory):
    photo = photo_factory(tmp_path / "big.jpg", 640, 320)
    image = make_thumbnail(photo)
    assert max(image.width(), image.height()) == THUMBNAIL_SIDE
    assert image.width() == 2 * image.height()
    store = ThumbnailStore(tmp_path / "cache")
    key = store.key(photo)
    store.write(key, image)
    assert store.file_for(key).is_file()
    assert store.read(key).size() == image.size()
    os.utime(photo, ns=(1, 1))  # the photo changed: a new key, the old entry is not used
    assert store.key(photo) != key


def test_disk_cache_is_pruned_least_recently_used_first(qapp, tmp_path, photo_factory):
    store = ThumbnailStore(tmp_path / "cache")
    photos = [photo_factory(tmp_path / f"p{i}.jpg", 200, 150) for i in range(6)]
    keys = [store.key(p) for p in photos]
    for age, key in enumerate(keys):
        store.write(key, make_thumbnail(photos[age]))
        os.utime(store.file_for(key), (1000 + age, 1000 + age))  # p0 oldest ... p5 newest
    assert store.read(keys[0]) is not None  # reading p0 makes it the most recently used
    sizes = {k: store.file_for(k).stat().st_size for k in keys}
    keep = sizes[keys[0]] + sizes[keys[4]] + sizes[keys[5]]
    assert store.prune(max_bytes=keep) == 3
    assert [store.file_for(k).exists() for k in keys] == [True, False, False, False, True, True]
    assert store.prune(max_bytes=keep) == 0


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_file_cut_short_is_broken_not_half_a_thumbnail(qapp, tmp_path, suffix):
    whole = tmp_path / f"whole{suffix}"
    Image.fromarray(gradient_photo(200, 300, 3)).save(whole)
    data = whole.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) * 2 // 3])  # an interrupted copy
    assert not make_thumbnail(whole).isNull()
    with pytest.raises(OSError, match="truncated"):
        make_thumbnail(cut)


# Qt's JPEG reader logs what is wrong with a damaged file; that is expected here.
@pytest.mark.qt_log_ignore("JPEG", "Corrupt")
def test_broken_file_raises(qapp, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(OSError):
        make_thumbnail(broken)


def test_open_a_folder_and_see_its_thumbnails(qtbot, grid, photo_folder):
    grid.set_folder(str(photo_folder))
    model = grid.thumbnails
    assert [model.index(r).data() for r in range(model.rowCount())] == \
        ["photo1.jpg", "photo2.png", "photo10.jpg"]

    def all_ready():
        for row in range(model.rowCount()):
            path = model.path_at(row)
            assert model.loader.thumbnail(path) is not None, path

    qtbot.wait_until(all_ready, timeout=10000)
    icon = model.index(1).data(Qt.ItemDataRole.DecorationRole)
    assert (icon.width(), icon.height()) == (80, 120)  # small photos are not enlarged


@pytest.mark.qt_log_ignore("JPEG", "Corrupt")
def test_broken_photo_gets_a_marked_tile_and_a_reason(qtbot, grid, photo_folder):
    (photo_folder / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    grid.set_folder(str(photo_folder))
    model = grid.thumbnails
    row = model.row_of(str(photo_folder / "broken.jpg"))
    qtbot.wait_until(lambda: model.loader.error(model.path_at(row)) is not None, timeout=10000)
    assert "broken.jpg" in model.index(row).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(row).data(Qt.ItemDataRole.DecorationRole) is not None


def test_two_thousand_photos_only_visible_ones_are_requested(qtbot, grid, tmp_path, photo_factory):
    """A big folder lists at once and asks for a screenful of thumbnails, not 2,000."""
    folder = tmp_path / "many"
    first = photo_factory(folder / "photo0000.jpg", 64, 48)
    for i in range(1, 2000):
        shutil.copyfile(first, folder / f"photo{i:04d}.jpg")
    grid.set_folder(str(folder))
    assert grid.thumbnails.rowCount() == 2000
    qtbot.wait(50)  # let the view paint
    loader = grid.thumbnails.loader
    first_screen = loader.requests_made
    assert 0 < first_screen < 100

    # Jump to the end: the rows there are asked for, the ones in between are not.
    grid.scrollToBottom()
    qtbot.wait(50)
    assert loader.requests_made - first_screen < 100
    last = grid.thumbnails.path_at(1999)
    qtbot.wait_until(lambda: loader.thumbnail(last) is not None, timeout=10000)


def test_scrolled_away_rows_are_taken_out_of_the_queue(qtbot, qapp, tmp_path, photo_factory):
    folder = tmp_path / "queue"
    photos = [str(photo_factory(folder / f"p{i}.jpg", 32, 32, seed=i)) for i in range(30)]
    loader = ThumbnailLoader(store=ThumbnailStore(tmp_path / "cache"), max_threads=1)
    done = []
    loader.ready.connect(done.append)
    for p in photos:
        loader.request(p)
    loader.discard(photos)  # the one or two already started finish; the rest never run
    loader.shutdown()
    qtbot.wait(50)  # deliver the finished jobs' signals
    assert not any(loader.is_pending(p) for p in photos)
    assert 0 < len(done) < 10
    # A discarded row that comes back into view is asked for again. (Which jobs got
    # to run before the discard depends on the pool thread's timing, so take one that did not.)
    comes_back = next(p for p in reversed(photos) if p not in done)
    assert loader.thumbnail(comes_back) is None and loader.is_pending(comes_back)
    with qtbot.wait_signal(loader.ready):
        pass
    assert loader.thumbnail(comes_back) is not None
    loader.shutdown()


def test_photos_with_color_hints_get_a_dot_of_the_hint_color(qtbot, grid, photo_folder):
    grid.set_folder(str(photo_folder))
    model = grid.thumbnails
    qtbot.wait_until(lambda: all(model.loader.thumbnail(model.path_at(r)) is not None
                                 for r in range(model.rowCount())), timeout=10000)

    def red_pixels_per_tile():
        image = grid.viewport().grab().toImage()
        counts = []
        for row in range(model.rowCount()):
            rect = grid.visualRect(model.index(row))
            counts.append(sum(1 for x in range(rect.left(), rect.right()) for y in range(rect.top(), rect.bottom())
                              if (c := image.pixelColor(x, y)).red() > c.green() + 80 and c.red() > c.blue() + 80))
        return counts

    assert red_pixels_per_tile() == [0, 0, 0]  # gray photos, nothing marked
    grid.set_badges({model.path_at(1): QColor(210, 30, 30)})
    qtbot.wait_until(lambda: red_pixels_per_tile()[1] > 20)
    assert red_pixels_per_tile()[0] == red_pixels_per_tile()[2] == 0
    assert grid.badge(model.path_at(1)) == QColor(210, 30, 30) and grid.badge(model.path_at(0)) is None
    grid.set_badges({})
    qtbot.wait_until(lambda: red_pixels_per_tile() == [0, 0, 0])


def _wait_for_thumbnail(qtbot, model, path):
    qtbot.wait_until(lambda: model.loader.thumbnail(str(path)) is not None
                     or model.loader.error(str(path)) is not None, timeout=10000)
    return model.loader.thumbnail(str(path))


def test_a_photo_changed_on_disk_gets_a_new_thumbnail_when_its_folder_is_listed_again(
        qtbot, grid, tmp_path, photo_factory):
    folder = tmp_path / "album"
    photo = photo_factory(folder / "scan.jpg", 120, 60)
    copying = folder / "copying.jpg"
    copying.write_bytes(b"")  # listed while a copy has only just begun
    grid.set_folder(str(folder))
    model = grid.thumbnails
    assert _wait_for_thumbnail(qtbot, model, photo).width() == 120
    assert _wait_for_thumbnail(qtbot, model, copying) is None and model.loader.error(str(copying))

    photo_factory(photo, 60, 120)  # retouched: cropped and turned in another program
    photo_factory(copying, 90, 90)  # the copy finished
    grid.set_folder(str(folder))

    assert _wait_for_thumbnail(qtbot, model, photo).width() == 60
    assert _wait_for_thumbnail(qtbot, model, copying).width() == 90


@pytest.mark.qt_log_ignore("allocation limit")  # Qt says it refused: the fallback is what is tested
def test_a_photo_too_large_for_qts_reader_still_gets_a_thumbnail(qapp, tmp_path, photo_factory):
    from PySide6.QtGui import QImageReader

    photo = photo_factory(tmp_path / "scan.png", 1200, 900)
    limit = QImageReader.allocationLimit()
    QImageReader.setAllocationLimit(1)  # MB: this photo is over it, as a 12000 x 9000 scan is over 256
    try:
        image = make_thumbnail(photo)
    finally:
        QImageReader.setAllocationLimit(limit)
    assert (image.width(), image.height()) == (THUMBNAIL_SIDE, THUMBNAIL_SIDE * 3 // 4)


@pytest.mark.parametrize("scale", ["1", "2"])
def test_thumbnails_are_made_for_the_screens_pixels(tmp_path, scale):
    """At a scale factor of 2 a 128-point tile has 256 pixels: made at 128, it
    would be blown up blurry. (A process of its own: the scale is set at start.)"""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale,
           "COLORIZER_DATA_DIR": str(tmp_path / "data")}
    script = ("from PySide6.QtWidgets import QApplication\n"
              "from colorizer_app.gui.thumbnails import ThumbnailModel\n"
              "app = QApplication([])\n"
              "print(ThumbnailModel().loader.side)\n")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout.split()[-1]) == 128 * int(scale)


def test_a_photo_without_read_permission_says_so(tmp_path, photo_factory):
    """Qt's reader says "File not found" for it, which sends a person looking for a
    file that is there. Root reads anything, so as root this runs without that power."""
    import json

    from tests.unprivileged import run_python_unprivileged

    locked = photo_factory(tmp_path / "locked.jpg")
    locked.chmod(0)
    script = ("import sys\n"
              "from PySide6.QtGui import QGuiApplication\n"
              "from colorizer_app.gui.thumbnails import make_thumbnail\n"
              "app = QGuiApplication([])\n"
              "try:\n    make_thumbnail(sys.argv[1])\nexcept OSError as e:\n    print(e)\n")
    out = run_python_unprivileged(script, str(locked), env={"QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == "no permission to read it", json.dumps(out.stderr[-500:])


def test_a_thumbnail_cut_short_by_a_full_disk_is_not_kept(qapp, tmp_path, monkeypatch):
    """A truncated JPEG in the cache would read back as a damaged thumbnail until the
    photo changes; nothing is kept instead, and the next showing makes it again."""
    import errno
    from pathlib import Path

    from PySide6.QtGui import QImage

    store = ThumbnailStore(tmp_path / "cache")
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor(90, 120, 150))

    def disk_full(self, data):
        with open(self, "wb") as f:
            f.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    store.write("k" * 40, image)
    assert store.read("k" * 40) is None
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    store.write("k" * 40, image)
    assert store.read("k" * 40) is not None
