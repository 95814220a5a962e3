"""Run a Python snippet as a user without root's power to read any file, for tests of
what happens when a folder or a photo cannot be read (root ignores chmod 000)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_python_unprivileged(script: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -c script args`` with this checkout importable; as root, through setpriv
    without the read-anything capabilities (skipped where setpriv is missing)."""
    command = [sys.executable, "-c", script, *args]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv to drop the power to read anything")
        command = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                   "--bounding-set=-dac_override,-dac_read_search", *command]
    return subprocess.run(command, capture_output=True, text=True, check=True,
                          env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)})
