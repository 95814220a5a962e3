"""The bundle's smoke check (colorizer_app.selftest) and what the bundle relies on.

Building the bundle itself is packaging/build.sh's job (minutes, hundreds of MB);
these are the quick parts: the self-test passes with a model and fails when it
should, the CLI reaches it, and resources are found inside a frozen app.
"""

import fnmatch
import importlib.util
import shutil
import sys
from pathlib import Path

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


def test_a_plain_install_carries_every_package_and_the_resources():
    """pyproject names the packages one by one (resources/ is mapped into the package
    as colorizer_app.resources): a new sub-package or kind of resource left out
    there would be missing after `pip install .`, though a clone runs fine."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    root = Path(__file__).resolve().parents[1]
    setup = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {".".join(init.parent.relative_to(root).parts)
                for top in ("colorizer_app", "training") for init in (root / top).rglob("__init__.py")}
    resources = {f"colorizer_app.resources.{d.name}" for d in (root / "resources").iterdir() if d.is_dir()}
    assert set(setup["packages"]) == packages | resources
    assert setup["package-dir"]["colorizer_app.resources"] == "resources"
    shipped = [f.relative_to(root / "resources") for f in (root / "resources").rglob("*") if f.is_file()]
    left_out = [f for f in shipped if not any(
        fnmatch.fnmatch(f.name, pattern)
        for pattern in setup["package-data"].get(f"colorizer_app.resources.{f.parent.as_posix()}", []))]
    assert shipped and left_out == []


def test_resources_inside_an_installed_package(tmp_path):
    """`pip install .` puts resources/ inside the package; paths.py finds it there."""
    package = tmp_path / "site-packages" / "colorizer_app"
    (package / "core").mkdir(parents=True)
    (package / "resources" / "models").mkdir(parents=True)
    shutil.copy(paths.__file__, package / "core" / "paths.py")
    spec = importlib.util.spec_from_file_location("installed_paths", package / "core" / "paths.py")
    installed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(installed)
    assert installed.bundled_models_dir() == package / "resources" / "models"
    assert paths.resources_dir() == Path(__file__).resolve().parents[1] / "resources"  # this clone
