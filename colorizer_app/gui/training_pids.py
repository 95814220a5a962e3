"""A detached training process, by its id: is it alive, pause it, continue it, stop it.

Plain OS calls, no Qt. On POSIX: signal 0 to probe, SIGSTOP/SIGCONT to pause and
continue, SIGTERM to stop. On Windows a process cannot be suspended with a signal
(``CAN_PAUSE`` is False there) and ``os.kill`` terminates it; aliveness is asked of
kernel32, because ``os.kill(pid, 0)`` would terminate the process there.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

CAN_PAUSE = hasattr(signal, "SIGSTOP") and hasattr(signal, "SIGCONT")

_STILL_ACTIVE = 259  # GetExitCodeProcess's value for a process that has not exited
_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000


def process_alive(pid: int, marker: str = "") -> bool:
    """Whether ``pid`` names a process that has not exited.

    A zombie (exited, not yet reaped: a detached child whose new parent does not
    reap) counts as gone. With ``marker``, on Linux the process's command line must
    also contain it, so a recycled process id is not taken for the run.
    """
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return not marker  # someone else's process: not ours unless we cannot tell
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            stat = (proc / "stat").read_text()
            if stat[stat.rindex(")") + 2:].startswith(("Z", "X")):
                return False
            if marker and marker.encode() not in (proc / "cmdline").read_bytes().replace(b"\0", b" "):
                return False
        except (OSError, ValueError):
            return False  # it went away while we looked
    return True


def process_paused(pid: int) -> bool:
    """Whether the process is stopped by a signal (POSIX; False on Windows)."""
    if sys.platform == "win32" or pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ps_state(pid).startswith("T")  # macOS has no /proc
    return stat[stat.rindex(")") + 2:].startswith("T")


def ps_state(pid: int) -> str:
    """The process's state letters as ps shows them ("T" stopped, "S" sleeping, ...);
    "" when it is gone or ps cannot tell."""
    try:
        done = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def pause(pid: int) -> None:
    """Suspend the process (POSIX only). Raises ProcessLookupError if it is gone."""
    assert CAN_PAUSE, "pausing needs SIGSTOP (POSIX)"
    assert pid > 0, "never signal a process group"
    os.kill(pid, signal.SIGSTOP)


def resume(pid: int) -> None:
    """Let a suspended process go on (POSIX only)."""
    assert CAN_PAUSE, "pausing needs SIGSTOP (POSIX)"
    assert pid > 0, "never signal a process group"
    os.kill(pid, signal.SIGCONT)


def terminate(pid: int) -> None:
    """Ask the process to end (SIGTERM). A paused process is continued too, so it can
    act on the signal. Gone already: no error. Nothing on Windows, where os.kill
    would end it on the spot, without its checkpoint: there the run's stop request
    file asks it (core.runlock.request_stop), and ``kill`` is the last resort."""
    if pid <= 0 or sys.platform == "win32":  # ids 0 and below name process groups: ours included
        return
    try:
        os.kill(pid, signal.SIGTERM)
        if CAN_PAUSE:
            os.kill(pid, signal.SIGCONT)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def kill(pid: int) -> None:
    """End the process now (SIGKILL; TerminateProcess on Windows). Gone already: no error."""
    if pid <= 0:
        return
    try:
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    except (ProcessLookupError, PermissionError, OSError):
        pass


def _windows_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.windll.kernel32
    handle = kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return False
        return code.value == _STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)
