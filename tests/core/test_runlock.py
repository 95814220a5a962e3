"""A run's lock: held by the process training it, let go when it ends however it ends."""

import os
import subprocess
import sys

from colorizer_app.core.runlock import RunLock, holder


def test_a_held_lock_names_its_process_and_a_second_one_is_refused(tmp_path):
    lock = RunLock(tmp_path)
    assert holder(tmp_path) is None and lock.acquire()
    assert holder(tmp_path) == os.getpid()
    assert not RunLock(tmp_path).acquire()
    lock.release()
    assert holder(tmp_path) is None
    again = RunLock(tmp_path)
    assert again.acquire()
    again.release()


def test_a_killed_process_leaves_no_lock_behind(tmp_path):
    script = ("import sys, time; from colorizer_app.core.runlock import RunLock; "
              "assert RunLock(sys.argv[1]).acquire(); print('locked', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        assert holder(tmp_path) == proc.pid
    finally:
        proc.kill()
        proc.wait()
    assert holder(tmp_path) is None  # the lock file is still there, but nobody holds it
    assert (tmp_path / "run.lock").exists()
