"""A training run's lock: the process that trains a run folder holds it while it runs.

The operating system lets go of the lock when that process ends, however it ends
(a kill, a crash, a reboot), so a held lock means a live run and never a recycled
process id. The app asks it before it offers to resume or delete a run, and the
training module refuses to train a run another process is training.

POSIX: flock on the whole file. Windows: msvcrt.locking on its first byte; the
process id is written after that byte, where other processes can still read it.
"""

import os
import sys
from pathlib import Path

LOCK_FILE = "run.lock"

if sys.platform == "win32":  # pragma: no cover - Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class RunLock:
    """Held by the process that trains ``run_dir``; ``acquire`` says False when
    another process holds it."""

    def __init__(self, run_dir: str | os.PathLike) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        if not _try_lock(fd):
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f" {os.getpid()}\n".encode())  # byte 0 is the one Windows locks
        os.utime(self.path)  # when this start took it (the app compares it with its launch time)
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            _unlock(self._fd)
            os.close(self._fd)
            self._fd = None


def holder(run_dir: str | os.PathLike) -> int | None:
    """The process id training ``run_dir`` now (0 if it cannot be read), or None when
    no process holds its lock."""
    path = Path(run_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        if _try_lock(fd):
            _unlock(fd)
            return None
        try:
            os.lseek(fd, 1, os.SEEK_SET)
            return int(os.read(fd, 32).decode().strip() or 0)
        except (OSError, ValueError):
            return 0
    finally:
        os.close(fd)


# Stop, asked through the run folder. The app's Stop writes this file and the run
# checks for it every step, then saves a checkpoint and ends as SIGTERM would have
# ended it. On POSIX the app sends SIGTERM too; on Windows a signal would terminate
# the process on the spot (os.kill is TerminateProcess there), losing the steps
# since the last checkpoint, so the file is the only way to ask.
STOP_FILE = "stop.request"


def request_stop(run_dir: str | os.PathLike) -> None:
    """Ask the run training in run_dir to stop (best effort: a kill follows anyway)."""
    try:
        (Path(run_dir) / STOP_FILE).touch()
    except OSError:
        pass


def stop_requested(run_dir: str | os.PathLike) -> bool:
    return (Path(run_dir) / STOP_FILE).exists()


def clear_stop_request(run_dir: str | os.PathLike) -> None:
    """Remove the request: by the run once it acted on it, and by the app before it
    starts a run (one left by a run that was killed before it could act)."""
    try:
        (Path(run_dir) / STOP_FILE).unlink()
    except OSError:
        pass
