"""Files written whole or not at all: models, hints, checkpoints, run records."""

import os

import pytest

from colorizer_app.core.atomicfile import write_atomically, write_text_atomically


def test_a_write_that_fails_halfway_leaves_the_old_file_and_no_temp_file(tmp_path):
    path = tmp_path / "hints.json"
    write_text_atomically(path, '{"photos": {"wedding.jpg": []}}')

    def half_then_disk_full(f):
        f.write(b'{"photos": {"wed')
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, half_then_disk_full)
    assert path.read_text() == '{"photos": {"wedding.jpg": []}}'
    assert os.listdir(tmp_path) == ["hints.json"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_the_file_gets_the_permissions_of_any_new_file(tmp_path):
    """Not mkstemp's owner-only 0600: a model copied to a shared folder stays readable."""
    before = os.umask(0o022)
    try:
        write_text_atomically(tmp_path / "model.json", "{}")
    finally:
        os.umask(before)
    assert (tmp_path / "model.json").stat().st_mode & 0o777 == 0o644
