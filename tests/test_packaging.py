"""The bundle's smoke check (colorizer_app.selftest) and what the bundle relies on.

Building the bundle itself is packaging/build.sh's job (minutes, hundreds of MB);
these are the quick parts: the self-test passes with a model and fails when it
should, the CLI reaches it, and resources are found inside a frozen app.
"""

import shutil
import sys

import numpy as np
import pytest
from PIL import Image

from colorizer_app import cli, selftest
from colorizer_app.core import paths


@pytest.fixture
def user_model(tiny_model_json, user_data_dir):
    """The fixture model installed as a user model, so the test does not depend on
    which model resources/models holds."""
    folder = user_data_dir / "models"
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".json", ".safetensors"):
        shutil.copy(tiny_model_json.with_suffix(suffix), folder)
    return tiny_model_json.stem


@pytest.mark.gui
def test_self_test_passes(user_model, tmp_path, capsys):
    code = selftest.main(["--model", user_model, "--device", "cpu", "--output", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "self-test passed" in out.out
    assert (tmp_path / "landscape_color.png").is_file()


def test_self_test_refuses_a_color_sample(user_model, tmp_path):
    """A sample that already has color would make the color check meaningless."""
    from colorizer_app.core.catalog import ModelCatalog

    colorful = tmp_path / "color.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(colorful)
    model = ModelCatalog().load(user_model, device="cpu")
    with pytest.raises(selftest.CheckFailed, match="not a gray photo"):
        selftest._check_colorize(model, colorful, tmp_path)


def test_self_test_refuses_network_use():
    import socket

    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo
    with pytest.raises(selftest.CheckFailed, match="network"):
        with selftest._no_network():
            socket.create_connection(("127.0.0.1", 9))
    assert socket.socket.connect is connect and socket.getaddrinfo is getaddrinfo


def test_cli_reaches_self_test(monkeypatch):
    seen = []
    monkeypatch.setattr(selftest, "main", lambda argv: seen.append(argv) or 0)
    assert cli.main(["--self-test", "--device", "cpu"]) == 0
    assert cli.main(["self-test"]) == 0
    assert seen == [["--device", "cpu"], []]


def test_self_test_help_exits_cleanly(capsys):
    assert selftest.main(["--help"]) == 0
    assert "self-test" in capsys.readouterr().out


def test_resources_inside_a_frozen_app(monkeypatch, tmp_path):
    # PyInstaller (one-folder, 6.x) sets sys._MEIPASS to the _internal folder,
    # where the spec puts resources/.
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    assert paths.resources_dir() == tmp_path / "_internal" / "resources"
    assert paths.bundled_models_dir() == tmp_path / "_internal" / "resources" / "models"


def test_shipped_resources_exist():
    resources = paths.resources_dir()
    assert (resources / selftest.ICON).is_file()
    sample = resources / selftest.SAMPLES / selftest.DEFAULT_SAMPLE
    assert sample.is_file()
    assert Image.open(sample).mode == "L"  # a gray photo: the color check means something
