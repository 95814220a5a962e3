"""The folder tree and the thumbnail grid: they display and forward, nothing more."""

import os
import time

from PySide6.QtCore import (
    QDir, QItemSelectionModel, QModelIndex, QPersistentModelIndex, QPoint, QPointF, QRect, QRectF, QSize,
    QStandardPaths, Qt, QTimer, Signal, Slot,
)
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView, QFileSystemModel, QListView, QStyle, QStyledItemDelegate,
    QStyleOptionViewItem, QTreeView, QWidget,
)

from colorizer_app.gui.compare_view import paint_hint_dot
from colorizer_app.gui.thumbnails import PATH_ROLE, THUMBNAIL_SIDE, ThumbnailLoader, ThumbnailModel


def standard_places() -> list[tuple[str, str]]:
    """(label, folder) for the usual places photos live, those that exist.

    The tree starts from the file system root, which says little to someone who
    keeps their photos in Pictures; these give them a one-click start.
    """
    places: list[tuple[str, str]] = []
    for label, location in (("Pictures", QStandardPaths.StandardLocation.PicturesLocation),
                            ("Desktop", QStandardPaths.StandardLocation.DesktopLocation),
                            ("Home", QStandardPaths.StandardLocation.HomeLocation)):
        folder = QStandardPaths.writableLocation(location)
        if folder and os.path.isdir(folder) and folder not in (known for _, known in places):
            places.append((label, folder))
    return places


class FolderTree(QTreeView):
    """Folders only, from the file system root; picking one opens it.

    The tree does not watch the folders it lists: QFileSystemModel would take every
    change in a folder of thousands of photos (an export writing into it) through
    all its files on the GUI thread, for a tree that shows none of them. The window
    calls ``refresh`` where folders may have come or gone.

    Signals:
        folder_selected(str): the user moved to this folder.
    """

    folder_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Folders")
        self._fs = QFileSystemModel(self)
        self._fs.setOption(QFileSystemModel.Option.DontWatchForChanges)
        self._fs.setFilter(QDir.Filter.AllDirs | QDir.Filter.NoDotAndDotDot | QDir.Filter.Drives)
        self._fs.setRootPath(QDir.rootPath())
        self.setModel(self._fs)
        for column in range(1, self._fs.columnCount()):
            self.hideColumn(column)
        self.setHeaderHidden(True)
        self.setUniformRowHeights(True)
        self.setAnimated(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._quiet = False
        self._by_key = False  # inside a key press: the current folder moves because the user moves it
        self._expanding_to_show = False
        # QFileSystemModel lists folders on a background thread, and rows above the one
        # we want to show keep arriving (and get sorted) after we scrolled to it. For a
        # few seconds, or until the user takes over, scroll to it again when they do.
        self._scroll_target: tuple[str, QAbstractItemView.ScrollHint] | None = None
        self._follow_until = 0.0
        # Scroll after the view's own delayed layout, or the scroll range is still the old one.
        self._scroll_timer = QTimer(self)
        self._scroll_timer.setSingleShot(True)
        self._scroll_timer.setInterval(0)
        self._scroll_timer.timeout.connect(self._scroll_to_target)
        # Arrowing through the tree passes many folders on the way to one: open the
        # one it rests on, not each (listing, colorizing, Open Recent) in between.
        self._open_timer = QTimer(self)
        self._open_timer.setSingleShot(True)
        self._open_timer.setInterval(400)
        self._open_timer.timeout.connect(self._open_current)
        self._fs.directoryLoaded.connect(self._on_rows_moved)
        self._fs.rowsInserted.connect(self._on_rows_moved)
        self._fs.layoutChanged.connect(self._on_rows_moved)
        self.selectionModel().currentChanged.connect(self._on_current_changed)
        self.clicked.connect(self._on_clicked)
        self.expanded.connect(self._on_expanded)

    def current_folder(self) -> str:
        index = self.currentIndex()
        return self._fs.filePath(index) if index.isValid() else ""

    def show_folder(self, folder: str) -> None:
        """Select and reveal ``folder`` without emitting folder_selected."""
        index = self._fs.index(os.path.abspath(folder))
        if not index.isValid():
            return
        self._quiet = True
        try:
            self.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        finally:
            self._quiet = False
        self._bring_into_view(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def refresh(self, folder: str) -> None:
        """List ``folder``'s subfolders again, if the tree has listed it."""
        folder = os.path.abspath(folder)
        if not self._fs.index(folder).isValid() or folder == QDir.rootPath():
            return
        current = self.current_folder()
        if current and not os.path.isdir(current):
            # Gone: when its row goes, Qt would make a neighbour current, and open it.
            self.selectionModel().clear()
        # QFileSystemModel has no call for this. It lists a folder again when the folder
        # becomes its root path after having stopped being it (it then marks the folder
        # unlisted); the view's top stays where it is. tests/gui check that it works.
        for root in (folder, QDir.rootPath(), folder, QDir.rootPath()):
            self._fs.setRootPath(root)

    def reveal(self, folder: str) -> None:
        """Expand the tree down to ``folder`` and scroll to it, without selecting it."""
        index = self._fs.index(os.path.abspath(folder))
        if index.isValid():
            self._bring_into_view(index, QAbstractItemView.ScrollHint.PositionAtTop)

    def _bring_into_view(self, index: QModelIndex, hint: QAbstractItemView.ScrollHint) -> None:
        ancestor = index
        self._expanding_to_show = True
        try:
            while ancestor.isValid():
                self.expand(ancestor)
                ancestor = ancestor.parent()
        finally:
            self._expanding_to_show = False
        self._scroll_target = (self._fs.filePath(index), hint)
        self._follow_until = time.monotonic() + 3.0
        self._on_rows_moved()

    @Slot()
    def _on_rows_moved(self, *_) -> None:
        if self._scroll_target is None:
            return
        if time.monotonic() > self._follow_until:
            self._scroll_target = None
            return
        self._scroll_timer.start()

    @Slot()
    def _scroll_to_target(self) -> None:
        if self._scroll_target is not None:
            target, hint = self._scroll_target
            self.scrollTo(self._fs.index(target), hint)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._scroll_target = None  # the user takes over; stop moving the view
        super().mousePressEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._scroll_target = None
        super().wheelEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._scroll_target = None
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._open_timer.stop()
            self._open_current()
            return
        self._by_key = True
        try:
            super().keyPressEvent(event)
        finally:
            self._by_key = False

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        # Only the arrow keys open what they rest on (a click opens at once). Qt also
        # moves the current row on its own (focus in, a folder's row gone after a
        # refresh): that is no choice of the user's.
        if self._by_key and not self._quiet and current.isValid():
            self._open_timer.start()

    @Slot(QModelIndex)
    def _on_expanded(self, index: QModelIndex) -> None:
        """Opened by the user: list it again, as the tree does not watch folders."""
        if not self._expanding_to_show:
            self.refresh(self._fs.filePath(index))

    @Slot()
    def _open_current(self) -> None:
        if self.currentIndex().isValid():
            self.folder_selected.emit(self._fs.filePath(self.currentIndex()))

    @Slot(QModelIndex)
    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self._open_timer.stop()  # a click opens at once
            self.folder_selected.emit(self._fs.filePath(index))


_CELL = QSize(THUMBNAIL_SIDE + 20, THUMBNAIL_SIDE + 34)


class ThumbnailDelegate(QStyledItemDelegate):
    """A tile: the thumbnail centered in a square, the file name under it (elided in
    the middle, so "…_0013.jpg" stays readable), a rounded highlight when selected,
    and a dot of its first hint's color on a photo that has color hints."""

    def __init__(self, grid: "ThumbnailGrid") -> None:
        super().__init__(grid)
        self._grid = grid

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return _CELL

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        tile = QRectF(option.rect.adjusted(3, 3, -3, -3))
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected or option.state & QStyle.StateFlag.State_MouseOver:
            color = QColor(palette.color(QPalette.ColorRole.Highlight))
            # Full strength while the keys go to the grid; paler while they go elsewhere.
            color.setAlpha((220 if self._grid.hasFocus() else 110) if selected else 60)
            path = QPainterPath()
            path.addRoundedRect(tile, 6, 6)
            painter.fillPath(path, color)
        image_box = QRect(option.rect.left() + (option.rect.width() - THUMBNAIL_SIDE) // 2,
                          option.rect.top() + 8, THUMBNAIL_SIDE, THUMBNAIL_SIDE)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if pixmap is not None and not pixmap.isNull():
            size = pixmap.size().scaled(image_box.size(), Qt.AspectRatioMode.KeepAspectRatio) \
                if pixmap.width() > image_box.width() or pixmap.height() > image_box.height() \
                else pixmap.size()
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(image_box.center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(target, pixmap)
            badge = self._grid.badge(index.data(PATH_ROLE))
            if badge is not None:  # drawn like the hint dots on the photo itself
                paint_hint_dot(painter, QPointF(target.right() - 7, target.top() + 7), badge, 5.0)
        text_rect = QRect(option.rect.left() + 6, image_box.bottom() + 4,
                          option.rect.width() - 12, option.fontMetrics.height())
        name = option.fontMetrics.elidedText(str(index.data(Qt.ItemDataRole.DisplayRole) or ""),
                                             Qt.TextElideMode.ElideMiddle, text_rect.width())
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(palette.color(role))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, name)
        painter.restore()


class ThumbnailGrid(QListView):
    """Icon-mode list of the open folder's photos.

    Uniform item sizes keep layout O(1) for thousands of rows, and the view asks the
    model for icons only while painting, so only visible rows get thumbnails made.
    Arrow keys, Home/End and Page Up/Down move through the photos.

    Signals:
        photo_selected(str): the current photo changed (mouse or keyboard).
        hold_original(bool): Space pressed (True) or released (False): show the
            original photo meanwhile, as Space does over the photo itself.
    """

    photo_selected = Signal(str)
    hold_original = Signal(bool)

    def __init__(self, parent: QWidget | None = None, loader: ThumbnailLoader | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Photos in the folder")
        self._model = ThumbnailModel(self, loader)
        self._badges: dict[str, QColor] = {}
        self._restoring = False
        self.setModel(self._model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setItemDelegate(ThumbnailDelegate(self))
        self.setIconSize(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        self.setGridSize(_CELL)
        self.setSpacing(0)
        self.setMouseTracking(True)  # hover highlight
        self.setUniformItemSizes(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWrapping(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        self.selectionModel().currentChanged.connect(self._on_current_changed)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)

    @property
    def thumbnails(self) -> ThumbnailModel:
        return self._model

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self.hold_original.emit(True)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self.hold_original.emit(False)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def set_badges(self, badges: dict[str, QColor]) -> None:
        """Mark these photos (by path) with a dot of the given color: those with color hints."""
        self._badges = dict(badges)
        self.viewport().update()

    def badge(self, path: str) -> QColor | None:
        return self._badges.get(path)

    def set_folder(self, folder: str) -> None:
        self._model.set_folder(folder)
        self.scrollToTop()

    def relist(self) -> bool:
        """List the folder again after it changed on disk, keeping the scroll position
        and, if it is still there, the current photo (without photo_selected: a photo
        the window opened that is not in the list, a hidden one, stays on show).
        True if photos came or went."""
        current = self.current_path()
        scroll = self.verticalScrollBar().value()
        if not self._model.relist():
            return False
        self.doItemsLayout()  # the scroll range of the new rows, before scrolling back
        self.verticalScrollBar().setValue(scroll)
        row = self._model.row_of(current) if current else -1
        if row >= 0:  # not select_path: that would scroll to it
            self._restoring = True  # the same photo as before: not a new choice to announce
            try:
                self.selectionModel().setCurrentIndex(self._model.index(row),
                                                      QItemSelectionModel.SelectionFlag.ClearAndSelect)
            finally:
                self._restoring = False
        return True

    def current_path(self) -> str:
        index = self.currentIndex()
        return index.data(PATH_ROLE) if index.isValid() else ""

    def select_path(self, path: str) -> bool:
        """Make ``path`` current (emits photo_selected); False if it is not listed."""
        row = self._model.row_of(path)
        if row < 0:
            return False
        index = self._model.index(row)
        self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.scrollTo(index)
        return True

    def step(self, delta: int) -> None:
        """Move the current photo by ``delta`` rows, staying in range."""
        count = self._model.rowCount()
        if not count:
            return
        row = self.currentIndex().row() if self.currentIndex().isValid() else -1
        new_row = min(max(row + delta, 0), count - 1)
        if new_row != row:
            self.select_path(self._model.path_at(new_row))

    def visible_rows(self) -> tuple[int, int]:
        """First and last row at least partly on screen, (0, -1) when empty."""
        if not self._model.rowCount():
            return 0, -1
        rect = self.viewport().rect()
        first = self.indexAt(rect.topLeft() + QPoint(4, 4))
        last = self.indexAt(rect.bottomRight() - QPoint(4, 4))
        first_row = first.row() if first.isValid() else 0
        if last.isValid():
            last_row = last.row()
        else:  # the last row is partly filled: take the last item there is
            per_row = max(1, rect.width() // max(1, self.gridSize().width()))
            rows_on_screen = rect.height() // max(1, self.gridSize().height()) + 1
            last_row = min(self._model.rowCount() - 1, first_row + per_row * (rows_on_screen + 1))
        return first_row, last_row

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if current.isValid() and not self._restoring:
            self.photo_selected.emit(current.data(PATH_ROLE))

    @Slot(int)
    def _on_scrolled(self, value: int) -> None:
        first, last = self.visible_rows()
        self._model.set_visible_rows(first, last)
