"""Become ``python -m training`` with stderr appended to a file and stdout discarded.

    python -m colorizer_app.gui.training_launch STDERR_FILE train --data ... --name ...

The app starts training runs detached, with the static ``QProcess.startDetached``
because it is the one that reports the process id in PySide6 (the member
``startDetached()`` returns only a bool there); that form cannot redirect output,
so this small module does it, then runs the training module in the same process
(same id). stdout is discarded because the training module writes the same JSON
lines to its run folder's log.jsonl, which the app reads. No Qt here; torch only
in the bundle (see _stand_in_for_torch_compiler).
"""

import os
import runpy
import sys
import types


def _stand_in_for_torch_compiler() -> None:
    """The PyInstaller bundle leaves out torch's compiler (torch._dynamo and the sympy
    stack it imports: 37 MB). Training never compiles, but torch.optim still asks
    torch._dynamo to *disable* compilation around a few methods and to break graphs;
    in the bundle those requests get a stand-in that leaves every function as it is."""
    import torch

    try:
        import torch._dynamo as dynamo
    except ImportError:
        dynamo = None
    if dynamo is not None and hasattr(dynamo, "disable"):
        return  # the real one is there

    def disable(fn=None, recursive=True, wrapping=True):
        return fn if fn is not None else (lambda f: f)

    stand_in = types.ModuleType("torch._dynamo")
    stand_in.disable = disable
    stand_in.graph_break = lambda: None
    stand_in.is_compiling = lambda: False
    sys.modules["torch._dynamo"] = stand_in
    torch._dynamo = stand_in


def _redirect_output(stderr_path: str) -> None:
    """Point file descriptors 1 and 2, and sys.stdout and sys.stderr with them, at
    the null device and the stderr file.

    A process started without standard handles (from a GUI-only parent, pythonw on
    Windows) has no descriptors 0-2: they are taken first, so that the files below
    land on 1 and 2 and not on the first free number. Python's own streams are made
    anew on the descriptors, because on Windows a stream it opened on a console
    writes to the console, wherever the descriptor points now (or is None without one).
    """
    while (spare := os.open(os.devnull, os.O_RDWR)) <= 2:
        pass
    os.close(spare)
    err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(err, 2)
    os.dup2(null, 1)
    os.close(err)
    os.close(null)
    sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.exit("usage: python -m colorizer_app.gui.training_launch STDERR_FILE ARGS...")
    stderr_path, args = argv[0], argv[1:]
    _redirect_output(stderr_path)
    if getattr(sys, "frozen", False):
        _stand_in_for_torch_compiler()
    sys.argv = ["training", *args]
    runpy.run_module("training", run_name="__main__", alter_sys=True)  # exits with its status


if __name__ == "__main__":
    main()
