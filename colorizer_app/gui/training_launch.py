"""Become ``python -m training`` with stderr appended to a file and stdout discarded.

    python -m colorizer_app.gui.training_launch STDERR_FILE train --data ... --name ...

The app starts training runs detached, with the static ``QProcess.startDetached``
because it is the one that reports the process id in PySide6 (the member
``startDetached()`` returns only a bool there); that form cannot redirect output,
so this small module does it, then runs the training module in the same process
(same id). stdout is discarded because the training module writes the same JSON
lines to its run folder's log.jsonl, which the app reads. No Qt, no torch here.
"""

import os
import runpy
import sys


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.exit("usage: python -m colorizer_app.gui.training_launch STDERR_FILE ARGS...")
    stderr_path, args = argv[0], argv[1:]
    err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(err, 2)
    os.dup2(null, 1)
    os.close(err)
    os.close(null)
    sys.argv = ["training", *args]
    runpy.run_module("training", run_name="__main__", alter_sys=True)  # exits with its status


if __name__ == "__main__":
    main()
