"""Run Qt's event loop until something has happened: for scripts that drive the
real window (the self-test, the screenshot scripts), where pytest-qt's qtbot is
not there."""

import time

from PySide6.QtCore import QEventLoop, QTimer


def wait_until(condition, timeout_s: float, poll_ms: int = 20) -> bool:
    """Process events until condition() is true; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        loop = QEventLoop()
        QTimer.singleShot(poll_ms, loop.quit)
        loop.exec()
    return True
