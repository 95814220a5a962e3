"""The main window: folder tree and thumbnails, model and tune controls, compare view.

The window wires widgets to the inference client and keeps settings; it holds no
colorization logic. Torch is never imported on this thread: the window shows at
once and the inference thread loads torch in the background (``start()``).

To extend it: actions are made in ``_create_actions``, placed in menus and
toolbars in ``_create_menus``/``_create_toolbars``, enabled in
``_update_actions``. Other parts of the app call the public methods
(``open_folder``, ``open_photo``, ``refresh_models``, ``set_device_preference``).
"""

import os
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QSize, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction, QActionGroup, QCloseEvent, QColor, QDragEnterEvent, QDropEvent, QKeySequence, QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication, QColorDialog, QFileDialog, QLabel, QLineEdit, QMainWindow, QMenu, QMessageBox, QSizePolicy, QSplitter,
    QStyle, QToolBar, QToolButton, QVBoxLayout, QWidget,
)

from colorizer_app.core.paths import user_hints_file, user_models_dir
from colorizer_app.gui.browser import FolderTree, ThumbnailGrid, standard_places
from colorizer_app.gui.compare_view import CompareView, ViewMode
from colorizer_app.gui.folder_watch import FolderWatch
from colorizer_app.gui.hint_keeper import HintKeeper
from colorizer_app.gui.model_selector import ModelSelector
from colorizer_app.gui.photolist import PHOTO_SUFFIXES, is_photo, subfolder_names
from colorizer_app.gui.savepaths import (
    SAVE_FORMATS, default_format, format_for_filter, refuse_reason, renamed_for_format, save_choice,
    suggested_save_path,
)
from colorizer_app.gui.screenfit import limit_first_pane, place_beside, resize_to_fit
from colorizer_app.gui.settings import AppSettings, RecentFolders
from colorizer_app.gui.statusbar import StatusBar
from colorizer_app.gui.throttle import Throttle
from colorizer_app.gui.thumbnails import ThumbnailLoader, file_stamp
from colorizer_app.gui.tune_panel import TunePanel
from colorizer_app.gui.typing_first import TypingFirst
from colorizer_app.gui.workers import ColorizeResult, InferenceClient, PhotoLoaded, SaveRequest, file_time

_TUNE_THROTTLE_MS = 250
_DETAIL_DELAY_MS = 300  # zooming has come to rest: colorize the detail it shows
_DETAIL_ENLARGEMENT = 1.5  # preview pixels shown this much larger look soft: time for full resolution
CLOSING_AFTER_SAVE = "Saving, then closing…"  # the window waits for a save asked for before it closed
_PREVIEW_MIN, _PREVIEW_MAX = 1024, 2560


def _unshowable_notice(names: list[str]) -> str:
    """What to say of photos left out of the grid for their names (not UTF-8)."""
    if not names:
        return ""
    many = len(names) != 1
    return (f"{len(names)} photo{'s' if many else ''} here cannot be shown: "
            f"{'their names are' if many else 'its name is'} not UTF-8 text ({names[0]}). "
            f"Rename {'them' if many else 'it'}, or export the folder with the command line "
            "(colorizer colorize), which reads such names")


class MainWindow(QMainWindow):
    """Browse, pick a model, compare before/after, save and export.

    Collaborators come in with defaults so tests inject their own: ``catalog``
    (a core ModelCatalog, default the real one), ``settings`` (a QSettings),
    ``client`` (an InferenceClient), ``thumbnail_loader``.

    Signals:
        photo_opened(str): a photo became the current one.
        result_shown(object): a ColorizeResult for the current photo is on screen.
        models_refreshed(list): the model list was (re)read.
        save_finished(str): a colorized photo was written to this path.
    """

    photo_opened = Signal(str)
    result_shown = Signal(object)
    models_refreshed = Signal(list)
    save_finished = Signal(str)

    def __init__(self, parent: QWidget | None = None, catalog=None, settings=None,
                 client: InferenceClient | None = None,
                 thumbnail_loader: ThumbnailLoader | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._settings = AppSettings(settings)
        self._client = client if client is not None else InferenceClient(self, catalog)
        self._recent = RecentFolders(self._settings.recent_folders)
        self._folder = ""
        self._subfolders: frozenset[str] = frozenset()  # of the open folder
        self._siblings: frozenset[str] = frozenset()  # of the folder it is in
        self._photo = ""
        self._photo_stamp: tuple[int, int] | None = None  # its size and time when opened: retouched since?
        self._photo_unreadable = False  # it could not be opened: nothing to save, copy or hint
        self._full_size_asked = False  # the latest colorize request is at full resolution
        self._result: ColorizeResult | None = None
        self._original_key = 0
        self._models_known = False
        self._model_stamps: dict[str, float] = {}  # each listed model's JSON time: a retrained one colors again
        self._device_text = ""
        self._started = False
        self._batch_dialog = None
        self._batch_progress = (0, 0)  # photos done, of how many, in the export under way
        self._saves_pending = 0  # asked for, not yet written or failed
        self._close_when_saved = False  # the window was closed with a save still to write
        self._device_preference = "auto"
        self._photo_notice = ""  # added to the next "colorized" message for this photo
        self._copy_pending = False  # a full-resolution result is on its way to the clipboard
        self._hints_moved_from: dict[str, str] = {}  # photos whose hints came after a move, till shown
        self._hints = HintKeeper(user_hints_file(), self)
        self._folder_watch = FolderWatch(self)  # photos added or removed elsewhere show
        self._models_watcher: QFileSystemWatcher | None = None  # made at start()

        self.setWindowTitle("Colorizer")
        self.setAcceptDrops(True)
        self._create_widgets(thumbnail_loader)
        self._create_actions()
        self._create_menus()
        self._create_toolbars()
        self._connect()
        self._recolorize = Throttle(self._request_colorize, _TUNE_THROTTLE_MS, self)
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(_DETAIL_DELAY_MS)
        self._detail_timer.timeout.connect(self._colorize_detail)
        self._restore_settings()
        self._update_actions()
        self._show_hint_badges()
        self._hints.save_if_stale()
        if self._hints.load_problem:
            self._status.show_error(self._hints.load_problem)

    # Construction ----------------------------------------------------------
    def _create_widgets(self, thumbnail_loader: ThumbnailLoader | None) -> None:
        self._tree = FolderTree(self)
        self._grid = ThumbnailGrid(self, thumbnail_loader)
        self._view = CompareView(self)
        self._models = ModelSelector(self)
        TypingFirst(self._tree, self._grid, self._models)  # "h" finds harbor.jpg, not Color Hints
        self._tune = TunePanel(self)
        self._status = StatusBar(self)
        self.setStatusBar(self._status)

        self._browser_split = QSplitter(Qt.Orientation.Vertical, self)
        self._browser_split.addWidget(self._tree)
        self._browser_split.addWidget(self._grid)
        self._browser_split.setStretchFactor(0, 1)
        self._browser_split.setStretchFactor(1, 3)
        # Dragged to nothing, a pane would leave a 4 px strip, and no menu brings it back.
        for pane in (0, 1):
            self._browser_split.setCollapsible(pane, False)

        viewer = QWidget(self)
        self._view_bar = QToolBar("View", viewer)
        self._view_bar.setIconSize(QSize(16, 16))
        self._view_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout = QVBoxLayout(viewer)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._view_bar)
        layout.addWidget(self._view, 1)

        self._main_split = QSplitter(Qt.Orientation.Horizontal, self)
        self._main_split.addWidget(self._browser_split)
        self._main_split.addWidget(viewer)
        self._main_split.setStretchFactor(0, 0)
        self._main_split.setStretchFactor(1, 1)
        self._main_split.setSizes([330, 1000])
        self._main_split.setCollapsible(0, False)
        self._main_split.setCollapsible(1, False)
        self.setCentralWidget(self._main_split)

    def _create_actions(self) -> None:
        style = self.style()

        def action(text, slot, shortcut=None, icon=None, tip=None, checkable=False):
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            if icon is not None:
                act.setIcon(style.standardIcon(icon))
            if tip:
                act.setToolTip(tip)
                act.setStatusTip(tip)
            act.setCheckable(checkable)
            act.triggered.connect(slot)
            return act

        px = QStyle.StandardPixmap
        self._open_folder_act = action("Open &Folder…", self._choose_folder, QKeySequence.StandardKey.Open,
                                       px.SP_DirOpenIcon, "Open a folder of photos")
        self._open_photo_act = action("Open &Photo…", self._choose_photo, "Ctrl+Shift+O",
                                      tip="Open a single photo")
        self._save_act = action("&Save Colorized As…", self._save_as, QKeySequence.StandardKey.Save,
                                px.SP_DialogSaveButton, "Save the colorized photo at full resolution")
        self._copy_act = action("&Copy Colorized", self.copy_colorized, QKeySequence.StandardKey.Copy,
                                tip="Copy the colorized photo at full resolution, to paste into another program")
        self._export_act = action("&Batch Export…", self._batch_export, "Ctrl+E",
                                  px.SP_DriveHDIcon, "Colorize a whole folder into another folder")
        self._settings_act = action("S&ettings…", self._open_settings, QKeySequence.StandardKey.Preferences,
                                    tip="Devices, defaults and training your own model")
        self._settings_act.setMenuRole(QAction.MenuRole.PreferencesRole)
        if self._settings_act.shortcut().isEmpty():  # Linux desktops have no standard key for it
            self._settings_act.setShortcut(QKeySequence("Ctrl+,"))
        self._quit_act = action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self._quit_act.setMenuRole(QAction.MenuRole.QuitRole)
        self._refresh_models_act = action("Reload &Models", self.refresh_models,
                                          tip="Read the list of models again")

        self._next_act = action("&Next Photo", lambda: self._grid.step(1), "Alt+Right")
        self._prev_act = action("&Previous Photo", lambda: self._grid.step(-1), "Alt+Left")

        self._mode_group = QActionGroup(self)
        self._mode_acts: dict[ViewMode, QAction] = {}
        for mode, text, key, tip in (
            (ViewMode.SPLIT, "&Split", "Alt+1", "Original left of the divider, colorized right of it"),
            (ViewMode.SIDE_BY_SIDE, "Side &by Side", "Alt+2", "Original and colorized next to each other"),
            (ViewMode.SINGLE, "Sin&gle", "Alt+3", "The colorized photo; hold the mouse button to see the original"),
        ):
            act = action(text, lambda checked=False, m=mode: self._set_mode(m), key, tip=tip, checkable=True)
            self._mode_group.addAction(act)
            self._mode_acts[mode] = act

        self._fit_act = action("&Fit", self._view.zoom_fit, "Ctrl+0", tip="Fit the photo in the window")
        self._actual_act = action("&100%", self._view.zoom_actual, "Ctrl+1",
                                  tip="One photo pixel per screen pixel")
        self._zoom_in_act = action("Zoom &In", self._view.zoom_in, QKeySequence.StandardKey.ZoomIn)
        self._zoom_out_act = action("Zoom &Out", self._view.zoom_out, QKeySequence.StandardKey.ZoomOut)
        # Ctrl++ needs Shift on most keyboards; Ctrl+= is the same key without it.
        self._zoom_in_act.setShortcuts([*QKeySequence.keyBindings(QKeySequence.StandardKey.ZoomIn),
                                        QKeySequence("Ctrl+=")])
        self._full_res_act = action("Full &Resolution", self._request_colorize, "Ctrl+R",
                                    tip="Colorize at full resolution instead of a screen-sized preview",
                                    checkable=True)
        self._hint_act = action("Color &Hints", self.set_hint_tool, "H", checkable=True,
                                tip="Click the photo to give a spot its color; the area around it follows")
        self._undo_hint_act = action("&Undo Color Hint", self.undo_hint, QKeySequence.StandardKey.Undo,
                                     tip="Remove this photo's last color hint")
        self._clear_hints_act = action("&Clear Color Hints", self.clear_hints,
                                       tip="Remove this photo's color hints")
        self._reset_tune_act = action("Reset &Tuning", self._tune.reset,
                                      tip="Render size Auto (the model's own), saturation 1.0")
        self._about_act = action("&About Colorizer", self._about)
        self._reload_act = action("Re&load", self.reload, QKeySequence.StandardKey.Refresh,
                                  tip="List the folder and the models again: what changed elsewhere shows")

    def _create_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        menu.addAction(self._open_folder_act)
        menu.addAction(self._open_photo_act)
        self._recent_menu = QMenu("Open &Recent", self)  # and the usual places
        self._recent_menu.setToolTipsVisible(True)
        self._recent_menu.aboutToShow.connect(self._fill_recent_menu)
        menu.addMenu(self._recent_menu)
        menu.addSeparator()
        menu.addAction(self._save_act)
        menu.addAction(self._copy_act)
        menu.addAction(self._export_act)
        menu.addSeparator()
        menu.addAction(self._settings_act)
        menu.addSeparator()
        menu.addAction(self._quit_act)

        menu = self.menuBar().addMenu("&View")
        for act in self._mode_acts.values():
            menu.addAction(act)
        menu.addSeparator()
        for act in (self._fit_act, self._actual_act, self._zoom_in_act, self._zoom_out_act):
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction(self._next_act)
        menu.addAction(self._prev_act)
        menu.addAction(self._reload_act)

        menu = self.menuBar().addMenu("&Colorize")
        menu.addAction(self._full_res_act)
        menu.addAction(self._hint_act)
        menu.addAction(self._undo_hint_act)
        menu.addAction(self._clear_hints_act)
        menu.addAction(self._reset_tune_act)
        menu.addAction(self._refresh_models_act)

        menu = self.menuBar().addMenu("&Help")
        menu.addAction(self._about_act)

    def _create_toolbars(self) -> None:
        bar = self.addToolBar("Main")
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(18, 18))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        open_button = QToolButton(self)  # click: open a folder; arrow: recent folders
        open_button.setDefaultAction(self._open_folder_act)
        open_button.setMenu(self._recent_menu)
        open_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        open_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addWidget(open_button)
        bar.addAction(self._save_act)
        bar.addAction(self._export_act)
        bar.addSeparator()
        model_label = QLabel("  &Model ", self)
        model_label.setBuddy(self._models)
        bar.addWidget(model_label)
        bar.addWidget(self._models)
        bar.addSeparator()
        bar.addWidget(self._tune)

        view_bar = self._view_bar
        for act in self._mode_acts.values():
            view_bar.addAction(act)
        view_bar.addSeparator()
        view_bar.addAction(self._fit_act)
        view_bar.addAction(self._actual_act)
        view_bar.addAction(self._full_res_act)
        view_bar.addAction(self._hint_act)
        self._zoom_label = QLabel(self)  # read-out, not a button: dimmer, after the buttons
        self._zoom_label.setMinimumWidth(80)
        self._zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._zoom_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._zoom_label.setToolTip("Zoom: 100% shows one photo pixel per screen pixel")
        view_bar.addWidget(self._zoom_label)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        view_bar.addWidget(spacer)
        self._hold_button = QToolButton(self)
        self._hold_button.setText("Hold for Original")
        self._hold_button.setToolTip("Press and hold to see the original photo "
                                     "(or hold Space, in the photo or the thumbnails)")
        view_bar.addWidget(self._hold_button)

    def _connect(self) -> None:
        self._tree.folder_selected.connect(self._on_tree_folder)
        self._grid.photo_selected.connect(self._on_photo_selected)
        self._grid.hold_original.connect(self._view.set_showing_original)
        self._models.model_selected.connect(self._on_model_selected)
        self._tune.changed.connect(self._on_tune_changed)
        self._view.zoom_changed.connect(self._on_zoom_changed)
        self._view.hint_requested.connect(self._on_hint_requested)
        self._hints.changed.connect(self._on_hints_changed)
        self._hints.moved_found.connect(self._on_moved_hints_found)
        self._hints.save_failed.connect(self._status.show_error)
        self._folder_watch.changed.connect(self._on_folder_changed_on_disk)
        self._hold_button.pressed.connect(lambda: self._view.set_showing_original(True))
        self._hold_button.released.connect(lambda: self._view.set_showing_original(False))

        client = self._client
        client.device_ready.connect(self._on_device_ready)
        client.models_listed.connect(self._on_models_listed)
        client.photo_loaded.connect(self._on_photo_loaded)
        client.finished.connect(self._on_finished)
        client.failed.connect(self._on_failed)
        client.saved.connect(self._on_saved)
        client.save_failed.connect(self._on_save_failed)
        client.busy.connect(self._on_busy)

    def _restore_settings(self) -> None:
        s = self._settings
        if not s.geometry.isEmpty():
            self.restoreGeometry(s.geometry)  # Qt shrinks it onto a smaller screen than it was saved on
        else:
            resize_to_fit(self, 1280, 800)
        if not s.splitter_state.isEmpty():
            self._main_split.restoreState(s.splitter_state)
        if not s.browser_splitter_state.isEmpty():
            self._browser_split.restoreState(s.browser_splitter_state)
        self._tune.blockSignals(True)
        self._tune.render_size = s.render_size
        self._tune.saturation = s.saturation
        self._tune.blockSignals(False)
        try:
            mode = ViewMode(s.view_mode)
        except ValueError:
            mode = ViewMode.SPLIT
        self._set_mode(mode)
        self._status.set_device("")

    def _save_settings(self) -> None:
        s = self._settings
        s.geometry = self.saveGeometry()
        s.splitter_state = self._main_split.saveState()
        s.browser_splitter_state = self._browser_split.saveState()
        s.view_mode = self._view.mode.value
        s.render_size = self._tune.render_size
        s.saturation = self._tune.saturation
        if self._models.current_model():
            s.model = self._models.current_model()
        s.recent_folders = self._recent.items
        if self._folder:
            s.last_folder = self._folder
        s.sync()

    # Public API --------------------------------------------------------------
    @property
    def client(self) -> InferenceClient:
        return self._client

    @property
    def compare_view(self) -> CompareView:
        return self._view

    @property
    def thumbnail_grid(self) -> ThumbnailGrid:
        return self._grid

    @property
    def folder_tree(self) -> FolderTree:
        return self._tree

    @property
    def model_selector(self) -> ModelSelector:
        return self._models

    @property
    def tune_panel(self) -> TunePanel:
        return self._tune

    @property
    def status(self) -> StatusBar:
        return self._status

    @property
    def app_settings(self) -> AppSettings:
        return self._settings

    @property
    def recent_folders(self) -> RecentFolders:
        return self._recent

    @property
    def current_folder(self) -> str:
        return self._folder

    @property
    def current_photo(self) -> str:
        return self._photo

    @property
    def current_result(self) -> ColorizeResult | None:
        return self._result

    def start(self) -> None:
        """Call once the window is visible: starts the inference thread (torch loads
        there) and reopens the last folder."""
        if self._started:
            return
        self._started = True
        limit_first_pane(self._main_split, 0.4)  # now that the window has its size on this screen
        self._grid.setFocus()  # arrow keys browse photos from the start
        self._device_preference = self._settings.device  # the Settings dialog's choice, kept
        if self._device_preference != "auto":
            self._client.set_device_preference(self._device_preference)  # before torch picks one
        self._client.start()
        self._watch_models_folder()
        self._grid.thumbnails.loader.prune_disk_cache()
        last = self._settings.last_folder
        if not self._folder and last and Path(last).is_dir():
            self.open_folder(last)
        elif not self._folder:
            places = standard_places()  # somewhere familiar to start from: Pictures, else home
            self._tree.reveal(places[0][1] if places else str(Path.home()))

    def open_folder(self, folder: str | os.PathLike, select: str = "") -> bool:
        """Show ``folder``'s photos; ``select`` (or the current photo, or the first)
        becomes current. False if not a folder."""
        folder = os.path.abspath(os.fspath(folder))
        if not Path(folder).is_dir():
            self._status.show_error(f"Not a folder: {folder}")
            return False
        self._folder = folder
        self._folder_watch.watch(folder)
        # The tree lists them again when they change (it does not watch folders itself).
        self._subfolders = subfolder_names(folder)
        self._siblings = subfolder_names(os.path.dirname(folder))
        self._grid.set_folder(folder)
        self._tree.show_folder(folder)
        self._recent.add(folder)
        self._settings.last_folder = folder
        self._settings.recent_folders = self._recent.items
        count = self._grid.thumbnails.rowCount()
        self._status.show_info(f"{count} photo{'s' if count != 1 else ''} in {folder}")
        # so that their thumbnails show the hints mark before they are opened
        self._hints.search_moved(self._grid.thumbnails.paths())
        if count == 0:
            self._close_photo(f"No photos in {Path(folder).name or folder}")
        elif not self._grid.select_path(select or self._photo):
            self._grid.step(1)
        unshowable = _unshowable_notice(self._grid.thumbnails.unshowable)
        if unshowable and self._photo and self._result is None:
            self._photo_notice += f"; {unshowable}"  # said with the first photo's colors, not hidden by them
        if unshowable:
            self._status.show_error(unshowable)
        self._update_actions()
        return True

    def _watch_models_folder(self) -> None:
        """A model exported while the app runs (by a run started from a terminal, or
        one left running from an earlier session) appears without a restart; one
        retrained under the same name colors the photo again."""
        folder = self._catalog.user_dir if self._catalog is not None else user_models_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        self._models_timer = QTimer(self)
        self._models_timer.setSingleShot(True)
        self._models_timer.setInterval(500)  # a model is two files: list once both are there
        self._models_timer.timeout.connect(self.refresh_models)
        self._models_watcher = QFileSystemWatcher([str(folder)], self)
        self._models_watcher.directoryChanged.connect(lambda _: self._models_timer.start())

    def reload(self) -> None:
        """F5: the folder's photos and the models, listed again."""
        self.refresh_models()
        self.reload_folder()

    def reload_folder(self) -> bool:
        """List the current folder again (F5): what other programs added, renamed, deleted
        or retouched shows; the current photo stays current if it is still there."""
        if not self._folder:
            return False
        if not Path(self._folder).is_dir():
            gone = self._folder
            self._close_gone_folder()
            self._tree.refresh(os.path.dirname(gone))
            return False
        for folder in (self._folder, os.path.dirname(self._folder)):  # made, renamed or deleted elsewhere
            self._tree.refresh(folder)
        return self.open_folder(self._folder)

    @Slot()
    def _on_folder_changed_on_disk(self) -> None:
        """Another program (or our own Save) added, removed or replaced photos in the
        open folder: the grid follows without moving, the current photo stays, and
        if it went away, its neighbour in the list takes its place."""
        folder = self._folder
        if not folder:
            return
        if not Path(folder).is_dir():
            self._close_gone_folder()
            self._tree.refresh(os.path.dirname(folder))
            return
        subfolders, siblings = subfolder_names(folder), subfolder_names(os.path.dirname(folder))
        if subfolders != self._subfolders:  # an export's output folder, say
            self._subfolders = subfolders
            self._tree.refresh(folder)
        if siblings != self._siblings:
            self._siblings = siblings
            self._tree.refresh(os.path.dirname(folder))
        listed_before = self._photo and self._grid.thumbnails.row_of(self._photo) >= 0
        row = self._grid.currentIndex().row()
        relisted = self._grid.relist()
        if relisted:
            self._hints.search_moved(self._grid.thumbnails.paths())
        paths = self._grid.thumbnails.paths()
        if relisted or self._grid.thumbnails.has_fresh_files():
            self._folder_watch.check_again_soon()  # a photo still being copied in: read it once whole
        if listed_before and self._photo not in paths:
            gone = Path(self._photo).name
            if not paths:
                self._close_photo(f"{gone} is no longer there, and no photos are left in {Path(folder).name}")
            else:
                self._grid.select_path(paths[min(row, len(paths) - 1)])
                self._photo_notice = f"; {gone} is no longer there (deleted, moved or renamed elsewhere)"
                self._status.show_info(self._photo_notice[2:])
        elif self._photo in paths and self._photo_retouched():
            self._show_photo(self._photo)
        self._update_actions()

    def _photo_retouched(self) -> bool:
        """The open photo's file changed since it was opened (retouched, replaced)."""
        try:
            return file_stamp(self._photo) != self._photo_stamp
        except OSError:
            return False  # gone: the folder's listing says so

    def open_photo(self, path: str | os.PathLike) -> bool:
        """Open one photo: its folder is shown and the photo selected in it."""
        path = os.path.abspath(os.fspath(path))
        if not Path(path).is_file():
            self._status.show_error(f"Not a photo: {path}")
            return False
        if not is_photo(path):
            self._status.show_error(f"{Path(path).name}: not a photo format Colorizer reads "
                                    f"({', '.join(sorted(PHOTO_SUFFIXES))})")
            return False
        parent = str(Path(path).parent)
        if parent != self._folder:
            self.open_folder(parent, select=path)  # selecting it shows it
        if path != self._photo and not self._grid.select_path(path):  # not listed: show it anyway
            self._show_photo(path)
        return True

    def select_model(self, name: str) -> bool:
        return self._models.select(name)

    def refresh_models(self) -> None:
        """Read the model list again (call after a new model was exported)."""
        self._client.list_models()

    def set_device_preference(self, preference: str) -> None:
        """'auto', 'cpu' or 'cuda:N' (for the settings dialog)."""
        self._device_preference = preference
        self._client.set_device_preference(preference)
        self._request_colorize()
        self._keep_batch_dialog_current()

    def save_to(self, path: str | os.PathLike, overwrite: bool = False) -> bool:
        """Save the current photo, colorized at full resolution, to ``path``.

        Refuses (False, with a message) when ``path`` is the original or has no
        format we write. The work happens on the inference thread; ``save_finished``
        or an error message follows.
        """
        if not self._photo:
            return False
        reason = refuse_reason(self._photo, path)
        if reason:
            self._status.show_error(reason)
            self._warn("Cannot Save Here", reason)
            return False
        model = self._models.current_model()
        if not model:
            self._status.show_error("No usable model is selected")
            return False
        self._client.save(SaveRequest(
            path=self._photo, out_path=os.fspath(path), model=model,
            render_size=self._tune.render_size, saturation=self._tune.saturation,
            overwrite=overwrite, hints=self._hints.hints(self._photo)))
        self._saves_pending += 1
        return True

    def set_hint_tool(self, on: bool) -> None:
        """Turn the hint tool on (a click on the photo asks for a color there) or off."""
        self._hint_act.setChecked(on)
        self._view.set_hint_mode(on)

    def add_hint(self, x: float, y: float, color: QColor) -> None:
        """Give the current photo's spot (x, y), relative to its size, the color
        ``color``; the area around it follows. Colorizes again."""
        if self._photo:
            self._hints.add(self._photo, x, y, tuple(color.getRgb()[:3]))
            self._photo_hints_changed()

    def undo_hint(self) -> None:
        """Remove the current photo's last color hint; colorizes again."""
        if self._hints.undo(self._photo):
            self._photo_hints_changed()

    def clear_hints(self) -> None:
        """Remove the current photo's color hints; colorizes again."""
        if self._hints.clear(self._photo):
            self._photo_hints_changed()

    def _photo_hints_changed(self) -> None:
        self._view.set_hint_marks(self._hint_marks())
        self._update_actions()
        self._request_colorize()

    @Slot()
    def _on_hints_changed(self) -> None:
        self._show_hint_badges()
        if self._batch_dialog is not None:  # it stays open while one browses: keep it current
            self._batch_dialog.set_hints(self._hints.index())

    def _show_hint_badges(self) -> None:
        self._grid.set_badges({photo: QColor(*rgb) for photo, rgb in self._hints.first_colors().items()})

    @Slot(object)
    def _on_moved_hints_found(self, old_paths: dict[str, str]) -> None:
        self._hints_moved_from.update(old_paths)
        count = len(old_paths) - (self._photo in old_paths)  # the open photo says so itself
        if not count:
            return
        notice = (f"the color hints of {count} {'other ' if self._photo in old_paths else ''}"
                  f"photo{'s' if count != 1 else ''} here, set before they were moved, came with them")
        self._status.show_info(notice[0].upper() + notice[1:], 10000)
        if self._photo and not (self._result and self._result.full_resolution):
            # The open photo's "colorized" message is still to come and would hide this one.
            self._photo_notice += f"; {notice}"

    def _hint_marks(self) -> list[tuple[float, float, QColor]]:
        return [(hint.x, hint.y, QColor(*rgb)) for hint, rgb in self._hints.marks(self._photo)]

    def make_save_dialog(self) -> QFileDialog:
        """The Save dialog, set up with the suggested name and the format choice."""
        fmt = default_format(self._photo)
        suggested = suggested_save_path(self._photo, fmt)
        dialog = QFileDialog(self, "Save Colorized Photo", str(suggested.parent))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilters([f.filter for f in SAVE_FORMATS])
        dialog.selectNameFilter(fmt.filter)
        dialog.setDefaultSuffix(fmt.suffix.lstrip("."))
        dialog.selectFile(suggested.name)

        # The name as typed: Qt's own dialog swaps any ".xxx" ending for the new type's
        # before it tells of the change ("wedding.1951" would become "wedding.tif").
        typed = [suggested.name]
        name_edit = dialog.findChild(QLineEdit, "fileNameEdit")  # None in a native dialog
        if name_edit is not None:
            name_edit.textEdited.connect(lambda text: typed.__setitem__(0, text))
            dialog.currentChanged.connect(  # a file clicked in the list
                lambda path: os.path.isdir(path) or typed.__setitem__(0, Path(path).name))

        def on_filter(name_filter: str) -> None:  # keep the typed name, swap the suffix
            new = format_for_filter(name_filter)
            dialog.setDefaultSuffix(new.suffix.lstrip("."))
            chosen = dialog.selectedFiles()
            name = typed[0] if name_edit is not None else Path(chosen[0]).name if chosen else ""
            if name:
                typed[0] = renamed_for_format(name, new)
                dialog.selectFile(typed[0])

        dialog.filterSelected.connect(on_filter)
        return dialog

    # Slots: browsing ---------------------------------------------------------
    @Slot()
    def _choose_folder(self) -> None:
        start = self._folder or self._settings.last_folder or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open Folder", start)
        if folder:
            self.open_folder(folder)

    @Slot()
    def _choose_photo(self) -> None:
        start = self._folder or self._settings.last_folder or str(Path.home())
        patterns = " ".join(f"*{s}" for s in sorted(PHOTO_SUFFIXES))
        path, _ = QFileDialog.getOpenFileName(self, "Open Photo", start,
                                              f"Photos ({patterns});;All files (*)")
        if path:
            self.open_photo(path)

    @Slot()
    def _fill_recent_menu(self) -> None:
        menu = self._recent_menu
        menu.clear()
        folders = self._recent.existing()
        for folder in folders:
            act = menu.addAction(folder)
            act.triggered.connect(lambda checked=False, f=folder: self.open_folder(f))
        if not folders:
            menu.addAction("No recent folders").setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear Menu")
        clear.setEnabled(bool(folders))
        clear.triggered.connect(self._clear_recent)
        menu.addSection("Places")
        for label, folder in standard_places():
            act = menu.addAction(label)
            act.setToolTip(folder)
            act.setData(folder)
            act.triggered.connect(lambda checked=False, f=folder: self.open_folder(f))

    @Slot()
    def _clear_recent(self) -> None:
        self._recent.clear()
        self._settings.recent_folders = []

    @Slot(str)
    def _on_tree_folder(self, folder: str) -> None:
        if self._folder and not Path(self._folder).is_dir():
            # The folder on show was deleted or moved, and the tree moved on to a
            # neighbour by itself: say so rather than open (and remember) that one.
            self._close_gone_folder()
        elif not os.path.isdir(folder):  # deleted or moved since the tree listed it
            self._tree.refresh(os.path.dirname(folder))
            self._status.show_error(f"The folder {folder} is no longer there (deleted or moved?)")
        elif os.path.abspath(folder) != self._folder:
            self.open_folder(folder)

    def _close_gone_folder(self) -> None:
        """The open folder was deleted or moved: nothing of it stays on show."""
        gone, self._folder = self._folder, ""
        self._folder_watch.stop()
        self._grid.thumbnails.set_paths([])
        self._close_photo(f"The folder {Path(gone).name} is no longer there")
        self._status.show_error(f"The folder {gone} is no longer there (deleted or moved?)")

    @Slot(str)
    def _on_photo_selected(self, path: str) -> None:
        if path != self._photo or not self._view.has_photo() or self._photo_retouched():
            self._show_photo(path)

    def _show_photo(self, path: str) -> None:
        self._photo = path
        self._photo_unreadable = False
        try:
            self._photo_stamp = file_stamp(path)
        except OSError:
            self._photo_stamp = None
        self._folder_watch.follow_photo(path)  # written over in place by an editor: colored again
        self._result = None
        self._original_key = 0
        self._photo_notice = ""
        self._hints.find_moved(path)  # at once, not waiting for the folder's search to get here
        old_path = self._hints_moved_from.pop(path, None)
        if old_path is not None:  # said once the photo is colorized, so that message does not hide this one
            self._photo_notice = f"; the color hints set on it at {old_path} came with it"
        self._view.clear()
        self._view.set_hint_marks(self._hint_marks())
        self._view.set_note(f"Loading {Path(path).name}…")
        self.setWindowTitle(f"{Path(path).name} — Colorizer")
        self.photo_opened.emit(path)
        self._request_colorize()
        self._update_actions()

    def _close_photo(self, message: str = "") -> None:
        self._client.cancel()
        self._photo = ""
        self._result = None
        self._original_key = 0
        self._view.clear(message)
        self._view.set_hint_marks([])
        self._view.set_note("")
        self.setWindowTitle("Colorizer")
        self._update_actions()

    # Slots: colorizing -------------------------------------------------------
    @Slot(str)
    def _on_model_selected(self, name: str) -> None:
        self._settings.model = name
        self._status.set_model(name)
        self._recolorize.cancel()
        self._request_colorize()
        self._keep_batch_dialog_current()

    def _keep_batch_dialog_current(self) -> None:
        """The export dialog stays open while one browses: it exports with what the
        window shows now, not what it showed when the dialog opened."""
        if self._batch_dialog is not None:
            self._batch_dialog.set_colorize_settings(self._models.current_model(), self._tune.render_size,
                                                     self._tune.saturation, self._device_preference)

    @Slot()
    def _on_tune_changed(self) -> None:
        self._settings.render_size = self._tune.render_size
        self._settings.saturation = self._tune.saturation
        self._recolorize()
        self._keep_batch_dialog_current()

    @Slot()
    def _request_colorize(self) -> None:
        if self._copy_pending:  # its result would be dropped as stale: the photo or a setting changed
            self._copy_pending = False
            self._status.show_info("Copy cancelled: the photo or its settings changed")
        self._colorize(None if self._full_res_act.isChecked() else self._preview_side())

    def _colorize(self, max_side: int | None) -> bool:
        if not self._photo or not self._models_known:
            return False  # models_listed will ask again
        model = self._models.current_model()
        if not model:
            self._client.cancel()
            self._view.set_note("No usable model: see the model list")
            return False
        self._client.colorize(self._photo, model, self._tune.render_size, self._tune.saturation, max_side,
                              self._hints.hints(self._photo))
        self._full_size_asked = max_side is None
        return True

    def _shows_enlarged_preview(self) -> bool:
        """Zoomed in so far that the preview's pixels (the original's too) show
        enlarged and soft, where the photo itself has the detail."""
        result = self._result
        if result is None or result.full_resolution or result.path != self._photo:
            return False
        preview_scale = result.colorized.width() / max(1, result.source_size.width())
        return self._view.zoom > _DETAIL_ENLARGEMENT * preview_scale

    @Slot()
    def _colorize_detail(self) -> None:
        """Zoomed in past the preview: colorize the photo at full resolution, once per
        setting (a new preview comes first when a setting changes)."""
        if self._shows_enlarged_preview() and not self._full_size_asked and not self._recolorize.pending:
            self._colorize(None)

    def copy_colorized(self) -> None:
        """Put the colorized photo on the clipboard, at full resolution: at once if
        that is what shows, else once it is colorized at full size (on the inference
        thread)."""
        result = self._result
        if (result is not None and result.full_resolution and result.seq == self._client.latest
                and not self._recolorize.pending):  # the full-size result of the current settings
            self._status.show_info(self._copy_to_clipboard(result))
        elif self._colorize(None):
            self._copy_pending = True
            self._status.show_info(f"Colorizing {Path(self._photo).name} at full resolution to copy it…")

    def _copy_to_clipboard(self, result: ColorizeResult) -> str:
        """Returns the message that says so."""
        QApplication.clipboard().setImage(result.colorized)
        size = result.colorized.size()
        return (f"Copied {Path(result.path).name}, colorized with {result.model} "
                f"({size.width()}×{size.height()}), to the clipboard")

    def _preview_side(self) -> int:
        """About the screen's size in device pixels: enough for fit-to-window."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return _PREVIEW_MIN
        geometry = screen.geometry()
        side = round(max(geometry.width(), geometry.height()) * screen.devicePixelRatio())
        return min(max(side, _PREVIEW_MIN), _PREVIEW_MAX)

    @Slot(str)
    def _on_device_ready(self, text: str) -> None:
        self._device_text = text
        self._status.set_device(text)

    @Slot(list, str)
    def _on_models_listed(self, entries: list, default: str) -> None:
        first = not self._models_known
        self._models_known = True
        before = self._models.current_model()
        stamps, self._model_stamps = self._model_stamps, {e.name: file_time(e.json_path) for e in entries}
        self._models.set_entries(entries, preferred=before or self._settings.model, default=default)
        if (before and self._models.current_model() == before and before in stamps
                and stamps[before] != self._model_stamps.get(before)):
            self._request_colorize()  # retrained under the same name: its colors changed
        arrived = [e.name for e in entries if e.usable and e.name not in stamps]
        if stamps and arrived:  # a run that finished while nobody watched says so here
            self._status.show_info(f"New model: {', '.join(arrived)} (choose it in the model list)", 15000)
        if not self._models.current_model():
            self._status.show_error("No usable model found: reinstall Colorizer, or train one in Settings")
        self._status.set_model(self._result.model if self._result else self._models.current_model())
        self.models_refreshed.emit(entries)
        if first and self._models.current_model() == before:
            self._request_colorize()  # set_entries emitted nothing, but a photo may be waiting
        if first and not self._photo and self._models.current_model():
            self._client.prepare(self._models.current_model())  # ready before the first photo
        self._update_actions()

    @Slot(object)
    def _on_photo_loaded(self, loaded: PhotoLoaded) -> None:
        if loaded.path != self._photo:
            return
        if self._photo_unreadable:  # readable after all (retouched, or the failure was something else)
            self._photo_unreadable = False
            self._update_actions()
        key = loaded.original.cacheKey()
        if key != self._original_key:
            self._original_key = key
            self._view.set_original(QPixmap.fromImage(loaded.original), loaded.source_size)
            if loaded.pages > 1 and "pages" not in self._photo_notice:
                self._photo_notice += (f"; only the first of its {loaded.pages} pages is colorized "
                                       "(the others are not read)")

    @Slot(object)
    def _on_finished(self, result: ColorizeResult) -> None:
        if result.path != self._photo:
            return
        self._result = result
        self._view.set_colorized(QPixmap.fromImage(result.colorized))
        self._view.set_note("")
        self._status.set_model(result.model)
        if self._shows_enlarged_preview():  # a setting changed while zoomed in: the detail follows
            self._detail_timer.start()
        size = result.colorized.size()
        what = "full resolution" if result.full_resolution else f"preview {size.width()}×{size.height()}"
        message = f"{Path(result.path).name}: colorized with {result.model} ({what}) in {result.seconds:.1f} s"
        if self._copy_pending and result.full_resolution:
            self._copy_pending = False
            message = self._copy_to_clipboard(result)
        if self._photo_notice:
            self._status.show_info(message + self._photo_notice, 15000)
            if result.full_resolution:  # said once, with the final result
                self._photo_notice = ""
        else:
            self._status.show_info(message)
        self._update_actions()
        self.result_shown.emit(result)

    @Slot(float, float)
    def _on_hint_requested(self, x: float, y: float) -> None:
        with self._folder_watch.held():  # the hint goes to the photo it was asked on
            dialog = QColorDialog(self._colorized_color_at(x, y), self)
            dialog.setWindowTitle("Color Hint")
            place_beside(dialog, self._view.photo_point(x, y))
            if dialog.exec() == QColorDialog.DialogCode.Accepted and dialog.selectedColor().isValid():
                self.add_hint(x, y, dialog.selectedColor())

    def _colorized_color_at(self, x: float, y: float) -> QColor:
        """The colorized photo's color at (x, y): where the color dialog starts."""
        pixmap = self._view.colorized_pixmap()
        if pixmap is None:
            return QColor(128, 128, 128)
        image = pixmap.toImage()
        return image.pixelColor(min(image.width() - 1, int(x * image.width())),
                                min(image.height() - 1, int(y * image.height())))

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._copy_pending = False
        self._status.show_error(message)
        self._view.set_note(message if not self._view.has_result() else "")
        if self._photo and not self._view.has_photo():
            self._photo_unreadable = True
            self._update_actions()

    @Slot(str)
    def _on_busy(self, text: str) -> None:
        if self._close_when_saved:  # what the window waits for, whatever the thread does first
            self._status.set_job(CLOSING_AFTER_SAVE)
        elif text:
            self._status.set_job(text)
            if self._view.has_photo() or text.startswith("Colorizing"):
                self._view.set_note(text)
        elif self._batch_dialog is not None and self._batch_dialog.running:
            self._on_batch_progress(*self._batch_progress)  # the export's progress shows again
            if self._view.note.startswith(("Colorizing", "Saving")):
                self._view.set_note("")
        else:
            self._status.clear_job()
            if self._view.note.startswith(("Colorizing", "Saving")):
                self._view.set_note("")

    # Slots: saving and exporting ---------------------------------------------
    @Slot()
    def _save_as(self) -> None:
        if not self._photo:
            return
        with self._folder_watch.held():  # the photo on show stays the one being saved
            dialog = self.make_save_dialog()
            if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
                return
            chosen, confirmed = save_choice(dialog.selectedFiles()[0], format_for_filter(dialog.selectedNameFilter()))
            if chosen.exists() and not confirmed:
                answer = QMessageBox.question(self, "Replace File?", f"{chosen.name} already exists in "
                                              f"{chosen.parent}. Replace it with the colorized photo?")
                if answer != QMessageBox.StandardButton.Yes:
                    return
            self.save_to(chosen, overwrite=chosen.exists())

    @Slot(str, str)
    def _on_saved(self, path: str, left_out: str) -> None:
        if left_out:  # a JPEG's room for EXIF and XMP is small: say what the photo lost
            self._status.show_info(f"Saved {path}, but {left_out}", 30000)
        else:
            self._status.show_info(f"Saved {path}", 10000)
        self._saves_pending = max(0, self._saves_pending - 1)
        self.save_finished.emit(path)
        if self._close_when_saved and not self._saves_pending:
            self.close()

    @Slot(str)
    def _on_save_failed(self, message: str) -> None:
        self._saves_pending = max(0, self._saves_pending - 1)
        self._close_when_saved = False  # the window stays, to say why, and the person decides
        self._status.clear_job()
        self._status.show_error(message)
        self._warn("Save Failed", message)

    @Slot()
    def _batch_export(self) -> None:
        self.open_batch_dialog().show()

    def open_batch_dialog(self):
        """The batch export dialog, made once and kept while it is open (non-modal:
        browsing goes on while a folder exports). Its progress shows in the status bar."""
        from colorizer_app.gui.batch_dialog import BatchDialog

        if self._batch_dialog is not None:
            self._batch_dialog.raise_()
            return self._batch_dialog
        dialog = BatchDialog(self, source=self._folder, model=self._models.current_model(),
                             render_size=self._tune.render_size, saturation=self._tune.saturation,
                             catalog=self._catalog, settings=self._settings,
                             device=self._device_preference, hints=self._hints.index())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.progress.connect(self._on_batch_progress)
        dialog.batch_finished.connect(self._on_batch_finished)
        dialog.batch_failed.connect(self._on_batch_failed)
        dialog.destroyed.connect(self._on_batch_dialog_gone)
        self._batch_dialog = dialog
        return dialog

    @Slot(int, int)
    def _on_batch_progress(self, done: int, total: int) -> None:
        self._batch_progress = (done, total)
        self._status.set_job(f"Exporting {done} / {total}" if total else "Exporting…", done, total)

    def _export_may_stop(self) -> bool:
        """Before quitting: True when no batch export runs or the person agrees to stop it.
        A folder of thousands of photos takes hours, so quitting does not end it unasked."""
        if self._batch_dialog is None or not self._batch_dialog.running:
            return True
        done, total = self._batch_progress
        again = ("starting the same export again does only the rest" if self._batch_dialog.job().skip_existing
                 else "starting it again with \"Skip photos already exported\" does only the rest")
        box = QMessageBox(QMessageBox.Icon.Question, "Stop the Export?",
                          f"A batch export is still running: {done} of {total} photos done.\n\n"
                          f"Quitting stops it. The photos already exported are kept, and {again}.",
                          parent=self)
        stop = box.addButton("Stop and Quit", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton("Keep Exporting", QMessageBox.ButtonRole.RejectRole))
        box.exec()
        return box.clickedButton() is stop

    @Slot(object)
    def _on_batch_finished(self, report) -> None:
        self._status.clear_job()
        self._batch_progress = (0, 0)
        if self._batch_dialog is not None and self._batch_dialog.output_folder:
            output = os.path.abspath(self._batch_dialog.output_folder)
            for folder in (os.path.dirname(output), output):  # the folders it made show in the tree
                self._tree.refresh(folder)
        failed = f", {len(report.failed)} failed" if report.failed else ""
        if report.stopped:  # a full disk, or a folder it cannot write: the dialog says which
            self._status.show_error(f"Export stopped: {report.stopped}")
            return
        what = "Export cancelled" if report.cancelled else "Export finished"
        self._status.show_info(f"{what}: {report.done} colorized{failed}", 10000)

    @Slot(str)
    def _on_batch_failed(self, message: str) -> None:
        self._status.clear_job()  # it may have shown "Exporting 0 / N" before it failed
        self._batch_progress = (0, 0)
        self._status.show_error("The export did not start: the Batch Export window says why")

    @Slot()
    def _on_batch_dialog_gone(self) -> None:
        self._batch_dialog = None

    @Slot()
    def _open_settings(self) -> None:
        """Opens the settings dialog; a model its training exports is listed at once."""
        from colorizer_app.gui.settings_dialog import SettingsDialog  # the training views: not at start

        dialog = SettingsDialog(self)
        dialog.models_changed.connect(self.refresh_models)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @Slot()
    def _about(self) -> None:
        QMessageBox.about(self, "About Colorizer",
                          "<b>Colorizer</b><p>Brings color to black-and-white photographs, "
                          "offline, on your own machine.</p>")

    # View ---------------------------------------------------------------------
    def _set_mode(self, mode: ViewMode) -> None:
        self._view.set_mode(mode)
        self._mode_acts[mode].setChecked(True)
        self._settings.view_mode = mode.value

    @Slot(float)
    def _on_zoom_changed(self, zoom: float) -> None:
        self._zoom_label.setText(f"Zoom {zoom * 100:.0f}%" if self._view.has_photo() else "")
        if self._shows_enlarged_preview():
            self._detail_timer.start()

    def _update_actions(self) -> None:
        has_photo = bool(self._photo) and not self._photo_unreadable
        has_model = bool(self._models.current_model())
        self._save_act.setEnabled(has_photo and has_model)
        self._copy_act.setEnabled(has_photo and has_model)
        self._export_act.setEnabled(bool(self._folder) and has_model)
        for act in (self._fit_act, self._actual_act, self._zoom_in_act, self._zoom_out_act, self._hint_act):
            act.setEnabled(has_photo)
        has_hints = bool(self._hints.marks(self._photo))
        self._clear_hints_act.setEnabled(has_hints)
        self._undo_hint_act.setEnabled(has_hints)
        count = self._grid.thumbnails.rowCount()
        self._next_act.setEnabled(count > 1)
        self._prev_act.setEnabled(count > 1)

    def _warn(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, does not block the event loop

    # Events -------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_path(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_path(event.mimeData().urls())
        if not path:
            event.ignore()
            return
        event.acceptProposedAction()
        if Path(path).is_dir():
            self.open_folder(path)
        else:
            self.open_photo(path)

    @staticmethod
    def _dropped_path(urls: list[QUrl]) -> str:
        for url in urls:
            if url.isLocalFile():
                path = url.toLocalFile()
                if Path(path).is_dir() or (Path(path).is_file() and is_photo(path)):
                    return path
        return ""

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._saves_pending:  # Save, then closing at once: the window waits for the file
            self._close_when_saved = True
            self._status.set_job(CLOSING_AFTER_SAVE)
            event.ignore()
            return
        if not self._export_may_stop():
            event.ignore()
            return
        self._save_settings()
        self.hide()  # the waits below end work under way: the window need not stay for them
        self._folder_watch.stop()
        if self._models_watcher is not None:
            self._models_watcher.removePaths(self._models_watcher.directories())
        self._recolorize.cancel()
        if self._batch_dialog is not None:
            self._batch_dialog.stop_and_wait()  # at most the photo being colorized
        self._client.stop()
        self._grid.thumbnails.loader.shutdown()
        self._hints.shutdown()
        super().closeEvent(event)
