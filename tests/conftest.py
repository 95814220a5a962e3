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


def gradient_photo(height: int, width: int, channels: int = 1, dtype=np.uint8) -> np.ndarray:
    """A deterministic gray photo-like image: gradients, a disc and some texture."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = 0.5 + 0.3 * np.sin(x / max(width, 1) * 6.0) * np.cos(y / max(height, 1) * 4.0)
    img += 0.25 * (((x - width / 2) ** 2 + (y - height / 2) ** 2) < (min(height, width) / 4) ** 2)
    img += 0.03 * np.sin(x * 1.7) * np.sin(y * 1.3)
    peak = 65535 if dtype == np.uint16 else 255
    gray = np.clip(img, 0, 1) * peak
    gray = gray.round().astype(dtype)
    return gray if channels == 1 else np.repeat(gray[..., None], channels, axis=2)
