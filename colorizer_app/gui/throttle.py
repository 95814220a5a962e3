"""Call a function at most once per interval, and always once after the last call."""

from collections.abc import Callable

from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Slot


class Throttle(QObject):
    """Rate-limit bursts, like a slider being dragged (after qutebrowser's throttle.py).

    The first call in a quiet period runs at once; calls within ``delay_ms`` of the
    previous run are folded into one run at the end of the interval, so the last
    value always gets through.
    """

    def __init__(self, func: Callable[[], None], delay_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        assert delay_ms >= 0
        self._func = func
        self._delay_ms = delay_ms
        self._since_last = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._call_pending)

    def __call__(self) -> None:
        if self._timer.isActive():
            return  # a run is already scheduled; it will see the latest state
        if not self._since_last.isValid() or self._since_last.elapsed() >= self._delay_ms:
            self._run()
        else:
            self._timer.start(self._delay_ms - self._since_last.elapsed())

    def cancel(self) -> None:
        self._timer.stop()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    @Slot()
    def _call_pending(self) -> None:
        self._run()

    def _run(self) -> None:
        self._since_last.start()
        self._func()
