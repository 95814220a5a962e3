"""Shared fixtures: a real (small, untrained) model file, and an isolated user data folder."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def user_data_dir(tmp_path_factory, monkeypatch):
    """Every test gets its own user data folder: nothing touches the real one."""
    folder = tmp_path_factory.mktemp("userdata")
    monkeypatch.setenv("COLORIZER_DATA_DIR", str(folder))
    return folder


def _save_tiny_model(folder, name: str, head: str, seed: int, meta: dict, head_gain: float = 1.0):
    """A real model file pair (NAME.json + NAME.safetensors), randomly initialised.

    Same architecture and file format as the shipped model, only a smaller
    decoder, so loading and running it exercises the real code; the seed makes
    its colors repeatable.
    """
    import torch

    from colorizer_app.core.modelfile import save_model
    from colorizer_app.models import UNetConfig, build_model

    torch.manual_seed(seed)
    net = build_model(UNetConfig(head=head, decoder_chs=(32, 24, 16)))
    with torch.no_grad():
        net.head[-1].weight.mul_(head_gain)
    return save_model(net, folder / f"{name}.json", meta)


@pytest.fixture(scope="session")
def tiny_model_json(tmp_path_factory):
    """The classification test model; its head is scaled up so colors are not all gray."""
    return _save_tiny_model(tmp_path_factory.mktemp("models"), "tiny-test", "classification", seed=0,
                            meta={"description": "untrained test model", "render_size": 128}, head_gain=20.0)


@pytest.fixture(scope="session")
def tiny_regression_model_json(tmp_path_factory):
    return _save_tiny_model(tmp_path_factory.mktemp("models_regression"), "tiny-regression", "regression", seed=1,
                            meta={"description": "untrained regression model"})
