"""The GUI's plain classes and functions, tested without widgets."""

import os
import threading
from dataclasses import dataclass, field

import numpy as np
import pytest

from colorizer_app.gui.compare_view import ViewTransform
from colorizer_app.gui.imageconv import array_to_qimage, scaled_size
from colorizer_app.gui.model_selector import describe_entry, pick_model
from colorizer_app.gui.photolist import list_photos, natural_key
from colorizer_app.gui.savepaths import (
    SAVE_FORMATS, default_format, format_for_filter, refuse_reason, save_choice, suggested_save_path,
    with_format_suffix,
)
from colorizer_app.gui.settings import AppSettings, RecentFolders
from colorizer_app.gui.thumbnails import LruCache
from colorizer_app.gui.workers import RequestSequencer


class TestRecentFolders:
    def test_newest_first_without_duplicates(self, tmp_path):
        recent = RecentFolders(limit=3)
        for name in ("a", "b", "a", "c", "d"):
            recent.add(tmp_path / name)
        assert recent.items == [str(tmp_path / n) for n in ("d", "c", "a")]

    def test_same_folder_spelled_differently_is_one_entry(self, tmp_path):
        recent = RecentFolders()
        recent.add(tmp_path / "x")
        recent.add(f"{tmp_path}/y/../x/")
        assert recent.items == [str(tmp_path / "x")]

    def test_existing_leaves_out_missing_folders(self, tmp_path):
        (tmp_path / "here").mkdir()
        recent = RecentFolders([str(tmp_path / "here"), str(tmp_path / "gone")])
        assert recent.existing() == [str(tmp_path / "here")]
        assert len(recent.items) == 2

    def test_constructed_from_saved_order(self, tmp_path):
        saved = [str(tmp_path / "1"), str(tmp_path / "2")]
        assert RecentFolders(saved).items == saved


@pytest.mark.gui
class TestAppSettings:
    def test_round_trip(self, qsettings):
        settings = AppSettings(qsettings)
        settings.model = "vivid"
        settings.render_size = 768
        settings.saturation = 1.5
        settings.recent_folders = ["/one"]
        settings.last_folder = "/one"
        settings.sync()
        again = AppSettings(type(qsettings)(qsettings.fileName(), qsettings.format()))
        assert (again.model, again.render_size, again.saturation) == ("vivid", 768, 1.5)
        assert again.recent_folders == ["/one"]  # one item: ini gives a string back
        assert again.last_folder == "/one"

    def test_defaults_and_clamping(self, qsettings):
        settings = AppSettings(qsettings)
        assert (settings.render_size, settings.saturation) == (0, 1.0)  # 0: Auto
        qsettings.setValue("colorize/render_size", "99999")
        qsettings.setValue("colorize/saturation", "not a number")
        assert (settings.render_size, settings.saturation) == (1024, 1.0)
        qsettings.setValue("colorize/saturation", "nan")  # a damaged file: the app must still start
        qsettings.setValue("colorize/render_size", "inf")
        assert (settings.render_size, settings.saturation) == (0, 1.0)


def test_natural_order_and_only_photos(tmp_path):
    for name in ("img10.jpg", "img2.JPG", "Img1.png", ".hidden.jpg", "notes.txt", "scan.tiff"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "folder.jpg").mkdir()
    assert [os.path.basename(p) for p in list_photos(tmp_path)] == ["Img1.png", "img2.JPG", "img10.jpg", "scan.tiff"]
    assert list_photos(tmp_path / "missing") == []
    assert natural_key("a2") < natural_key("a10")


class TestSavePaths:
    def test_suggested_name_next_to_the_original(self, tmp_path):
        original = tmp_path / "grandma.jpg"
        original.write_bytes(b"x")
        assert suggested_save_path(original) == tmp_path / "grandma_color.jpg"
        (tmp_path / "grandma_color.jpg").write_bytes(b"x")
        assert suggested_save_path(original) == tmp_path / "grandma_color_2.jpg"

    @pytest.mark.parametrize("name, expected", [
        ("scan.tif", "TIFF"), ("photo.png", "PNG"), ("photo.jpeg", "JPEG"), ("photo.bmp", "JPEG"),
    ])
    def test_default_format_keeps_what_we_can_write(self, name, expected):
        assert default_format(name).name == expected

    def test_refuses_the_original_even_through_a_link(self, tmp_path):
        original = tmp_path / "photo.jpg"
        original.write_bytes(b"x")
        (tmp_path / "link.jpg").symlink_to(original)
        assert refuse_reason(original, original)
        assert refuse_reason(original, tmp_path / "sub" / ".." / "photo.jpg")
        assert refuse_reason(original, tmp_path / "link.jpg")
        assert refuse_reason(original, tmp_path / "photo.gif")
        assert refuse_reason(original, tmp_path / "photo_color.jpg") is None

    def test_a_suffix_added_after_the_dialog_was_never_confirmed(self, tmp_path):
        jpeg = SAVE_FORMATS[0]
        (tmp_path / "wedding.1951.jpg").write_bytes(b"an original")
        assert save_choice(tmp_path / "wedding.1951", jpeg) == (tmp_path / "wedding.1951.jpg", False)
        assert save_choice(tmp_path / "wedding.1951.jpg", jpeg) == (tmp_path / "wedding.1951.jpg", True)
        assert save_choice(tmp_path / "new", jpeg) == (tmp_path / "new.jpg", False)

    def test_suffix_follows_the_chosen_format(self):
        png = format_for_filter(SAVE_FORMATS[1].filter)
        assert png.name == "PNG"
        assert with_format_suffix("/x/photo_color", png).name == "photo_color.png"
        assert with_format_suffix("/x/photo.jpg", png).name == "photo.jpg"


def test_lru_cache_evicts_least_recently_used_by_cost():
    cache = LruCache(max_cost=10)
    cache.put("a", 1, cost=4)
    cache.put("b", 2, cost=4)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3, cost=4)
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.total_cost == 8
    cache.put("huge", 4, cost=100)  # never evicts the item just put
    assert list(cache._items) == ["huge"]


class TestViewTransform:
    def make(self, image=(400, 200), viewport=(200, 200)):
        t = ViewTransform()
        t.set_viewport_size(*viewport)
        t.set_image_size(*image)
        return t

    def test_fit_centers_the_whole_image(self):
        t = self.make()
        assert t.fit and t.scale == pytest.approx(0.5)
        assert t.image_rect() == pytest.approx((0, 50, 200, 100))

    def test_zoom_keeps_the_point_under_the_pointer(self):
        t = self.make()
        before = t.map_to_image(150, 100)
        t.zoom_by(4, anchor=(150, 100))
        assert not t.fit and t.scale == pytest.approx(2)
        assert t.map_to_image(150, 100) == pytest.approx(before)

    def test_pan_is_clamped_to_the_image(self):
        t = self.make()
        t.set_scale(1.0)
        t.pan_by(10_000, 0)
        x, y, w, h = t.image_rect()
        assert x == pytest.approx(0)  # left edge of the image at the left of the view
        assert y == pytest.approx(0)  # 200 px tall in a 200 px view: no vertical pan
        t.pan_by(-10_000, 0)
        assert t.image_rect()[0] + w == pytest.approx(200)

    def test_new_image_size_fits_again(self):
        t = self.make()
        t.zoom_by(3)
        t.set_image_size(400, 200)  # same size (preview replaced by full result): zoom kept
        assert not t.fit
        t.set_image_size(100, 100)
        assert t.fit


def test_request_sequencer_latest_wins_across_threads():
    seq = RequestSequencer()
    first = seq.next()
    assert seq.is_current(first)
    numbers = []
    threads = [threading.Thread(target=lambda: numbers.append(seq.next())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == list(range(2, 10)) and not seq.is_current(first)
    seq.invalidate()
    assert not any(seq.is_current(n) for n in numbers)


@dataclass
class Entry:
    name: str
    usable: bool = True
    origin: str = "bundled"
    reason: str = ""
    meta: dict = field(default_factory=dict)


@pytest.mark.parametrize("preferred, default, expected", [
    ("mine", "vivid", "mine"),
    ("broken", "vivid", "vivid"),
    ("gone", None, "vivid"),
    (None, None, "vivid"),
])
def test_pick_model(preferred, default, expected):
    entries = [Entry("broken", usable=False), Entry("vivid"), Entry("mine", origin="user")]
    assert pick_model(entries, preferred, default) == expected
    assert pick_model([Entry("broken", usable=False)], preferred, default) is None


def test_model_tooltip_says_why_unusable_and_shows_metrics():
    assert "cannot" in describe_entry(Entry("x", usable=False, reason="weights missing")).lower()
    text = describe_entry(Entry("mine", origin="user", meta={"description": "family photos",
                                                             "metrics": {"psnr": 24.25}}))
    assert "Your own" in text and "family photos" in text and "psnr 24.2" in text


@pytest.mark.gui
@pytest.mark.parametrize("shape, dtype", [((5, 7), np.uint8), ((5, 7, 3), np.uint8), ((5, 7, 3), np.uint16)])
def test_array_to_qimage(qapp, shape, dtype):
    pixels = (np.arange(np.prod(shape)).reshape(shape) % 200).astype(dtype)
    if dtype == np.uint16:
        pixels = pixels * 257
    image = array_to_qimage(pixels)
    assert (image.width(), image.height()) == (7, 5)
    color = image.pixelColor(3, 2)
    expected = pixels[2, 3] if pixels.ndim == 2 else pixels[2, 3, 0]
    assert color.red() == int(expected) // (257 if dtype == np.uint16 else 1)


def test_scaled_size_never_enlarges():
    assert scaled_size(6000, 4000, 1500) == (1500, 1000)
    assert scaled_size(600, 400, 1500) == (600, 400)
    assert scaled_size(600, 400, None) == (600, 400)


@pytest.mark.parametrize("portable", [True, False])
def test_window_settings_go_to_the_data_folder_of_a_portable_install(tmp_path, portable):
    """COLORIZER_DATA_DIR keeps the window's settings too (run in a process of its own:
    QSettings' default place is global)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "COLORIZER_DATA_DIR"}
    env["HOME"] = env["XDG_CONFIG_HOME"] = str(tmp_path / "home")  # never the real config
    if portable:
        env["COLORIZER_DATA_DIR"] = str(tmp_path / "portable")
    script = ("from PySide6.QtCore import QCoreApplication, QSettings\n"
              "from colorizer_app.gui.settings import use_app_settings_location\n"
              "app = QCoreApplication([])\n"
              "use_app_settings_location()\n"
              "s = QSettings(); s.setValue('window/folder', 'x'); s.sync(); print(s.fileName())\n")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    written = out.stdout.strip()
    assert os.path.isfile(written)
    assert written.startswith(str(tmp_path / ("portable" if portable else "home")))


def test_no_display_is_said_plainly_before_qt_aborts(monkeypatch):
    import sys

    from colorizer_app.gui.app import display_problem

    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert "no graphical display" in display_problem(["colorizer"])
    assert display_problem(["colorizer", "-platform", "offscreen"]) == ""
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert display_problem(["colorizer"]) == ""


def test_programs_the_bundle_starts_get_the_systems_libraries(monkeypatch):
    """PyInstaller's LD_LIBRARY_PATH (the bundle's own libraries) is not passed on to
    xdg-open and the file manager; the user's own setting is."""
    import os
    import sys

    from colorizer_app.gui.app import give_children_the_system_libraries

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/colorizer/_internal")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/usr/local/lib")
    give_children_the_system_libraries()
    assert os.environ["LD_LIBRARY_PATH"] == "/usr/local/lib" and "LD_LIBRARY_PATH_ORIG" not in os.environ
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/colorizer/_internal")
    give_children_the_system_libraries()  # the user had none
    assert "LD_LIBRARY_PATH" not in os.environ


def test_the_folder_watch_holds_its_news_while_a_dialog_is_open(qtbot, tmp_path):
    """Save As or a hint's color dialog is about the photo on show: the grid must not
    move it away underneath. What changed meanwhile is told when the dialog closes."""
    from colorizer_app.gui.folder_watch import FolderWatch

    watch = FolderWatch(interval_ms=50)
    assert watch.watch(tmp_path)
    told = []
    watch.changed.connect(lambda: told.append(1))
    with watch.held():
        (tmp_path / "new.jpg").write_bytes(b"x")
        qtbot.wait(400)
        assert told == []
    qtbot.wait_until(lambda: told == [1], timeout=5000)


def test_a_wide_side_panel_is_left_be_where_the_photo_still_has_room(qtbot):
    from PySide6.QtWidgets import QSplitter, QWidget

    from colorizer_app.gui.screenfit import limit_first_pane

    split = QSplitter()
    split.addWidget(QWidget())
    split.addWidget(QWidget())
    qtbot.add_widget(split)
    split.resize(1500, 400)
    split.show()
    split.setSizes([700, 800])
    limit_first_pane(split, 0.4)
    assert abs(split.sizes()[0] - 700) <= 2  # 800 px left for the photo: the person's choice stands
    split.setSizes([1200, 300])
    limit_first_pane(split, 0.4)
    assert split.sizes()[0] <= 0.4 * sum(split.sizes()) + 1
