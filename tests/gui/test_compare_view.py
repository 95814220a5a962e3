"""The before/after view, driven with real mouse, wheel and key events."""

import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QPixmap, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from colorizer_app.gui.compare_view import CompareView, ViewMode

pytestmark = pytest.mark.gui

ORIGINAL = QColor(100, 100, 100)
COLORIZED = QColor(200, 40, 40)


@pytest.fixture
def view(qtbot):
    widget = CompareView()
    qtbot.add_widget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.wait_exposed(widget)
    original, colorized = QPixmap(800, 600), QPixmap(800, 600)
    original.fill(ORIGINAL)
    colorized.fill(COLORIZED)
    widget.set_original(original)
    widget.set_colorized(colorized)
    return widget


def color_at(widget, x, y) -> QColor:
    return widget.grab().toImage().pixelColor(x, y)


def test_drag_the_divider(qtbot, view):
    assert view.divider == 0.5
    start = QPoint(round(view.divider_x()), 150)
    with qtbot.wait_signal(view.divider_changed):
        QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        QTest.mouseMove(view, QPoint(150, 150))
        QTest.mouseMove(view, QPoint(100, 160))
        QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(100, 160))
    assert view.divider == pytest.approx(100 / 400)
    # Left of the divider is the original, right of it the colorized photo.
    assert color_at(view, 60, 200) == ORIGINAL
    assert color_at(view, 140, 200) == COLORIZED


def test_a_drag_away_from_the_divider_does_not_move_it(view):
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(50, 150))
    QTest.mouseMove(view, QPoint(20, 150))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(20, 150))
    assert view.divider == 0.5


def test_divider_is_a_qt_property_and_clamped(view):
    view.setProperty("divider", 2.0)
    assert view.property("divider") == 1.0
    view.set_divider(-1)
    assert view.divider == 0.0


def test_side_by_side_shows_both_at_the_same_zoom(view):
    view.set_mode(ViewMode.SIDE_BY_SIDE)
    assert color_at(view, 100, 150) == ORIGINAL
    assert color_at(view, 300, 150) == COLORIZED
    # Half the width each: fit scale follows the pane, not the whole widget.
    assert view.transform.viewport_size[0] == pytest.approx((400 - 4) / 2)


@pytest.mark.parametrize("mode", list(ViewMode))
def test_hold_to_see_the_original(view, mode):
    view.set_mode(mode)
    view.setFocus()
    QTest.keyPress(view, Qt.Key.Key_Space)
    assert view.showing_original
    assert color_at(view, 300, 150) == ORIGINAL
    QTest.keyRelease(view, Qt.Key.Key_Space)
    assert not view.showing_original


def test_single_mode_mouse_hold_shows_the_original(view):
    view.set_mode(ViewMode.SINGLE)
    assert color_at(view, 200, 150) == COLORIZED
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(200, 150))
    assert view.showing_original and color_at(view, 200, 150) == ORIGINAL
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(200, 150))
    assert not view.showing_original


def test_wheel_zoom_fit_and_actual_size(qtbot, view):
    assert view.fit and view.zoom == pytest.approx(0.5 * view.devicePixelRatioF())
    pos = QPointF(120, 100)
    event = QWheelEvent(pos, view.mapToGlobal(pos), QPoint(), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    with qtbot.wait_signal(view.zoom_changed):
        QApplication.sendEvent(view, event)
    assert not view.fit and view.zoom == pytest.approx(0.6)
    view.zoom_actual()
    assert view.zoom == pytest.approx(1.0)
    view.zoom_fit()
    assert view.fit


def test_pan_moves_both_halves_together(view):
    view.set_mode(ViewMode.SIDE_BY_SIDE)
    view.zoom_actual()
    center = view.transform.center
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(100, 150))
    QTest.mouseMove(view, QPoint(60, 120))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(60, 120))
    moved = view.transform.center
    assert moved == pytest.approx((center[0] + 40, center[1] + 30))


def test_same_source_size_keeps_zoom_new_size_fits(view):
    view.zoom_actual()
    view.set_original(QPixmap(400, 300), QSize(800, 600))  # preview of the same photo
    assert not view.fit
    view.set_original(QPixmap(100, 100))
    assert view.fit


def test_empty_view_paints_a_hint(qtbot):
    widget = CompareView()
    qtbot.add_widget(widget)
    widget.resize(300, 200)
    widget.clear("Nothing here")
    assert not widget.has_photo()
    assert widget.grab().size() == QSize(300, 200)


def click(view, x, y, release_at=None):
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(x, y))
    if release_at is not None:
        QTest.mouseMove(view, QPoint(*release_at))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(*(release_at or (x, y))))


@pytest.mark.parametrize("mode", [ViewMode.SPLIT, ViewMode.SINGLE])
def test_hint_mode_click_asks_for_a_hint_at_that_point(qtbot, view, mode):
    view.set_mode(mode)
    view.set_divider(0.9)  # the click is well away from the handle
    asked = []
    view.hint_requested.connect(lambda x, y: asked.append((x, y)))
    click(view, 100, 150)
    assert asked == []  # not in hint mode: a click is only a (tiny) pan
    view.set_hint_mode(True)
    click(view, 100, 150)
    assert asked == [(pytest.approx(0.25, abs=0.01), pytest.approx(0.5, abs=0.01))]
    assert not view.showing_original  # single mode: no "hold for the original" in hint mode
    click(view, 100, 150, release_at=(160, 150))  # a drag pans, it is not a click
    assert len(asked) == 1


def test_hint_mode_ignores_clicks_off_the_photo(view):
    view.set_original(QPixmap(300, 600))  # a tall photo: bars left and right of it
    view.set_hint_mode(True)
    asked = []
    view.hint_requested.connect(lambda x, y: asked.append((x, y)))
    click(view, 20, 150)
    assert asked == []
    click(view, 170, 150)  # the photo is 150 px wide here, from x = 125
    assert asked == [(pytest.approx(0.3, abs=0.01), pytest.approx(0.5, abs=0.01))]


def test_hint_marks_are_drawn_in_their_color(view):
    green = QColor(20, 220, 20)
    assert color_at(view, 300, 75) == COLORIZED
    view.set_hint_marks([(0.75, 0.25, green)])
    assert color_at(view, 300, 75) == green
    view.set_hint_marks([])
    assert color_at(view, 300, 75) == COLORIZED


def test_keys_move_the_divider_and_pan_a_zoomed_photo(view):
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Right)  # the whole photo shown: Left/Right move the divider
    assert view.divider == pytest.approx(0.55)
    QTest.keyClick(view, Qt.Key.Key_Left)
    QTest.keyClick(view, Qt.Key.Key_Left)
    assert view.divider == pytest.approx(0.45)

    view.zoom_actual()  # 800×600 in a 400×300 view: now the arrows pan
    before = view._transform.center
    QTest.keyClick(view, Qt.Key.Key_Right)
    QTest.keyClick(view, Qt.Key.Key_Down)
    after = view._transform.center
    assert after[0] > before[0] and after[1] > before[1]  # further right and down in the photo
    assert view.divider == pytest.approx(0.45)
    QTest.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # Shift: the divider still
    assert view.divider == pytest.approx(0.5)


def test_plus_and_minus_zoom_the_photo(view):
    view.setFocus()
    fit = view.zoom
    QTest.keyClick(view, Qt.Key.Key_Plus)
    assert view.zoom > fit
    QTest.keyClick(view, Qt.Key.Key_Minus)
    assert view.zoom == pytest.approx(fit)
    QTest.keyClick(view, Qt.Key.Key_Equal)  # + without Shift
    assert view.zoom > fit


def test_hint_mode_places_a_hint_with_the_keyboard(qtbot, view):
    view.set_hint_mode(True)
    view.setFocus()
    with qtbot.wait_signal(view.hint_requested) as blocker:
        QTest.keyClick(view, Qt.Key.Key_Return)  # at the middle of the photo first
    assert blocker.args == pytest.approx([0.5, 0.5], abs=0.01)
    for _ in range(2):
        QTest.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # 32 px each
    QTest.keyClick(view, Qt.Key.Key_Up)  # 8 px
    with qtbot.wait_signal(view.hint_requested) as blocker:
        QTest.keyClick(view, Qt.Key.Key_Enter)
    # The 800×600 photo is shown at half size in the 400×300 view.
    assert blocker.args == pytest.approx([0.5 + 64 / 400, 0.5 - 8 / 300], abs=0.01)
    assert view.divider == 0.5  # the arrows moved the crosshair, not the divider


def test_the_hint_crosshair_stays_inside_a_view_that_shrank(qtbot, view):
    view.set_hint_mode(True)
    view.setFocus()
    for _ in range(10):
        QTest.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # to the right edge
    view.resize(200, 150)
    with qtbot.wait_signal(view.hint_requested) as blocker:
        QTest.keyClick(view, Qt.Key.Key_Return)
    x, y = blocker.args
    assert 0.9 < x <= 1.0 and 0.9 < y <= 1.0  # the corner of the photo as it is shown now


def test_a_long_note_keeps_its_ends_in_a_narrow_view(view):
    """"Saving <long file name> at full resolution…" in a window snapped to half a
    small screen: what is happening stays readable, the file name's middle goes."""
    note = "Saving Grandma and Grandpa wedding day 1948 (scan 1, 600 dpi)_color.jpg at full resolution…"
    view.set_note(note)
    view.resize(1200, 400)
    assert view.shown_note() == note
    view.resize(300, 400)
    shown = view.shown_note()
    assert shown.startswith("Saving") and shown.endswith("resolution…") and "…" in shown[:-1]
    assert view.fontMetrics().horizontalAdvance(shown) <= 300
