"""Shared fixtures: a real (small, untrained) model file, and an isolated user data folder."""

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def user_data_dir(tmp_path_factory, monkeypatch):
    """Every test gets its own user data folder: nothing touches the real one."""
    folder = tmp_path_factory.mktemp("userdata")
    monkeypatch.setenv("COLORIZER_DATA_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_model_json(tmp_path_factory):
    """A real model file pair (NAME.json + NAME.safetensors), randomly initialised.

    Same architecture and file format as the shipped model, so loading and
    running it exercises the real code; the seed makes its colors repeatable.
    """
    import torch

    from colorizer_app.core.modelfile import save_model
    from colorizer_app.models import UNetConfig, build_model

    torch.manual_seed(0)
    net = build_model(UNetConfig(head="classification", decoder_chs=(32, 24, 16)))
    with torch.no_grad():  # give the head some spread so colors are not all gray
        net.head[-1].weight.mul_(20.0)
    folder = tmp_path_factory.mktemp("models")
    return save_model(net, folder / "tiny-test.json", {"description": "untrained test model", "render_size": 128})


@pytest.fixture(scope="session")
def tiny_regression_model_json(tmp_path_factory):
    import torch

    from colorizer_app.core.modelfile import save_model
    from colorizer_app.models import UNetConfig, build_model

    torch.manual_seed(1)
    net = build_model(UNetConfig(head="regression", decoder_chs=(32, 24, 16)))
    folder = tmp_path_factory.mktemp("models_regression")
    return save_model(net, folder / "tiny-regression.json", {"description": "untrained regression model"})
