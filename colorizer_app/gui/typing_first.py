"""Letters typed into a list, a tree or a drop-down go to it, not to a shortcut."""

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QWidget

# Shift makes capitals and Keypad digits: still typing. Ctrl, Alt and Meta make shortcuts.
_TYPING_MODIFIERS = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier


def is_typing(event: QKeyEvent) -> bool:
    """A key that types a visible character (not Space, which the thumbnails use to
    show the original), with no Ctrl, Alt or Meta."""
    text = event.text()
    return (bool(text) and text.isprintable() and not text.isspace()
            and not event.modifiers() & ~_TYPING_MODIFIERS)


class TypingFirst(QObject):
    """Installed on a widget that finds an item by the letters typed into it (Qt's
    keyboard search in item views and combo boxes), it keeps those letters from the
    window's one-letter shortcuts: H for Color Hints would otherwise take every "h"
    typed into the photo list to find "harbor.jpg"."""

    def __init__(self, *widgets: QWidget) -> None:
        super().__init__(widgets[0])
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.ShortcutOverride and is_typing(event):
            event.accept()  # accepted: Qt delivers the key to the widget as a key press
            return True
        return False
