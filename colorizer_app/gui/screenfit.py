"""Windows and panels sized to the screen they open on: a 1024×600 netbook as well
as a 4K monitor (the sizes that suit a desktop are taller than a small laptop)."""

from PySide6.QtCore import QPoint, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSplitter, QWidget


def fitted_size(widget: QWidget, width: int, height: int, share: float = 0.92) -> QSize:
    """``width`` × ``height``, or less: at most ``share`` of the screen's free area."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(width, height)
    free = screen.availableGeometry()
    return QSize(min(width, int(free.width() * share)), min(height, int(free.height() * share)))


def resize_to_fit(widget: QWidget, width: int, height: int) -> None:
    widget.resize(fitted_size(widget, width, height))


def place_beside(dialog: QWidget, point: QPoint, gap: int = 48) -> None:
    """Put ``dialog`` beside ``point`` (global), not over it: a color dialog opened
    for a spot of the photo should leave that spot in sight. It goes to the side
    with more room, within the screen."""
    screen = QGuiApplication.screenAt(point) or dialog.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    free = screen.availableGeometry()
    size = dialog.sizeHint()
    if point.x() - free.left() > free.right() - point.x():
        x = point.x() - gap - size.width()
    else:
        x = point.x() + gap
    x = max(free.left(), min(x, free.right() - size.width()))
    y = max(free.top(), min(point.y() - size.height() // 2, free.bottom() - size.height()))
    dialog.move(x, y)


def limit_first_pane(split: QSplitter, max_share: float, room: int = 480) -> None:
    """Where the second pane has less than ``room`` pixels, the first takes at most
    ``max_share`` of the split: a side panel remembered at 500 px on a big monitor
    leaves the photo room on a small one. A wide panel on a wide window is left be."""
    sizes = split.sizes()
    total = sum(sizes)
    if len(sizes) == 2 and total > 0 and sizes[1] < room and sizes[0] > total * max_share:
        first = int(total * max_share)
        split.setSizes([first, total - first])
