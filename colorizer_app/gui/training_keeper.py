"""A run that goes on after the Settings dialog closed, and the question asked before
closing while a run trains.

The dialog is short-lived (the main window deletes it on close), a run is not. When
a person closes Settings and leaves the run going, a ``RunKeeper`` made a child of
the window that opened the dialog keeps following it:

- when the run exports its model it calls the window's ``refresh_models()`` (the
  main window's public method for exactly this), so the model appears at once;
- when the window is closed it asks whether to stop the run or leave it running
  (an event filter on the window's Close event: the window needs no code for it);
- the next Settings dialog takes the run back (``take``), and the keeper goes away
  when the run ends.

Without a window (a dialog of its own), a run left going is found again from its
run folder by the next dialog (``TrainingProcess.attach``).
"""

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from colorizer_app.gui.training_process import TrainingProcess

LEAVE, STOP, CANCEL = "leave", "stop", "cancel"


def ask_stop_or_leave(parent: QWidget | None, run_name: str, quitting: bool) -> str:
    """Ask whether to stop a training run or leave it running: LEAVE, STOP or CANCEL."""
    closing = "Colorizer" if quitting else "Settings"
    box = QMessageBox(QMessageBox.Icon.Question, "Training in Progress",
                      f"The run “{run_name}” is still training.", QMessageBox.StandardButton.NoButton, parent)
    box.setInformativeText(
        f"Leave it running: it goes on after {closing} closes, exports its model when it is done, "
        "and Settings shows it again when you open it.\n\n"
        "Stop it: it keeps its last checkpoint, and you can resume it later from the list of runs.")
    leave = box.addButton("&Leave Running", QMessageBox.ButtonRole.AcceptRole)
    stop = box.addButton("&Stop Training", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(leave)
    box.exec()
    clicked = box.clickedButton()
    return LEAVE if clicked is leave else STOP if clicked is stop else CANCEL


class RunKeeper(QObject):
    """Follows a run for ``window`` while no Settings dialog shows it (see the module doc)."""

    def __init__(self, process: TrainingProcess, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._process = process
        process.setParent(self)
        process.model_exported.connect(self._on_exported)
        process.ended.connect(self._on_ended)
        window.installEventFilter(self)

    @staticmethod
    def find(window: QWidget | None) -> "RunKeeper | None":
        if window is None:
            return None
        return window.findChild(RunKeeper, options=Qt.FindChildOption.FindDirectChildrenOnly)

    @property
    def process(self) -> TrainingProcess:
        return self._process

    def take(self) -> TrainingProcess:
        """Hand the run back (to a new dialog, which reparents it); the keeper goes."""
        process = self._process
        process.model_exported.disconnect(self._on_exported)
        process.ended.disconnect(self._on_ended)
        self._window.removeEventFilter(self)
        process.setParent(None)
        self.setParent(None)  # find() no longer sees it
        self.deleteLater()
        return process

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Close and \
                self._process.state in ("starting", "running", "paused"):
            choice = ask_stop_or_leave(self._window, self._process.name, quitting=True)
            if choice == CANCEL:
                event.ignore()
                return True
            if choice == STOP:
                self._process.stop()
            else:
                self._process.resume()  # a paused run left alone would wait forever
        return False

    @Slot(str)
    def _on_exported(self, json_path: str) -> None:
        refresh = getattr(self._window, "refresh_models", None)
        if callable(refresh):
            refresh()

    @Slot(str, str)
    def _on_ended(self, status: str, message: str) -> None:
        self._window.removeEventFilter(self)
        self.deleteLater()
