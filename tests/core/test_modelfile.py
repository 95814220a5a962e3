"""Model files: safetensors + JSON round trip, pickle refused, mismatches reported."""

import json
import os

import numpy as np
import pytest
import torch

from colorizer_app.core.catalog import ModelCatalog
from colorizer_app.core.modelfile import ModelFileError, load_model, read_model_json, save_model
from colorizer_app.models import UNetConfig, build_model


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    torch.manual_seed(3)
    net = build_model(UNetConfig(head="regression", decoder_chs=(32, 24, 16))).eval()
    path = save_model(net, tmp_path / "m.json", {"metrics": {"auc": 0.9}, "render_size": 256}, half=False)
    assert (tmp_path / "m.safetensors").is_file()
    model = load_model(path, device="cpu")
    assert model.meta["metrics"]["auc"] == 0.9 and model.render_size == 256
    for k, v in net.state_dict().items():
        assert torch.equal(v, model.net.state_dict()[k]), k
    assert not list(tmp_path.glob(".*")), "a temporary file was left behind"
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "m.safetensors").stat().st_mode & 0o777 == 0o666 & ~umask


def test_predict_ab_shape(tiny_model_json):
    model = load_model(tiny_model_json, device="cpu")
    ab = model.predict_ab(np.full((64, 96), 50.0, np.float32))
    assert ab.shape == (16, 24, 2) and ab.dtype == np.float32


def test_chroma_gain_scales_the_colors_but_not_the_hints(tmp_path, tiny_model_json):
    meta = json.loads(tiny_model_json.read_text())
    (tmp_path / "gain.json").write_text(json.dumps({**meta, "chroma_gain": 2.0, "weights": "gain.safetensors"}))
    (tmp_path / "gain.safetensors").write_bytes(tiny_model_json.with_suffix(".safetensors").read_bytes())
    plain, gained = load_model(tiny_model_json, device="cpu"), load_model(tmp_path / "gain.json", device="cpu")
    assert plain.chroma_gain == 1.0 and gained.chroma_gain == 2.0
    rng = np.random.default_rng(0)
    L = rng.uniform(20, 80, (64, 96)).astype(np.float32)
    np.testing.assert_allclose(gained.predict_ab(L), 2.0 * plain.predict_ab(L), rtol=1e-4, atol=1e-3)
    hint_ab = np.zeros((64, 96, 2), np.float32)
    hint_mask = np.zeros((64, 96), np.float32)
    hint_ab[10:20, 10:20], hint_mask[10:20, 10:20] = (40.0, -30.0), 1.0
    # The network is asked for half the hint's chroma, then its answer is doubled.
    np.testing.assert_allclose(gained.predict_ab(L, hint_ab, hint_mask),
                               2.0 * plain.predict_ab(L, hint_ab / 2.0, hint_mask), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("suffix", [".pth", ".pt", ".ckpt"])
def test_pickle_files_are_refused(tmp_path, suffix):
    path = tmp_path / f"evil{suffix}"
    torch.save({"x": torch.zeros(1)}, path)
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(path)


def test_mismatched_weights_are_reported(tmp_path, tiny_model_json):
    meta = json.loads(tiny_model_json.read_text())
    meta["config"]["decoder_chs"] = [64, 48, 32]  # claims a bigger decoder than the weights have
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(meta))
    (tmp_path / meta["weights"]).write_bytes(tiny_model_json.with_suffix(".safetensors").read_bytes())
    with pytest.raises(ModelFileError, match="wrong shape"):
        load_model(bad, device="cpu")


def test_broken_files_are_listed_unusable_with_reason(tmp_path, tiny_model_json):
    (tmp_path / "garbage.json").write_text("{not json")
    truncated = json.loads(tiny_model_json.read_text())
    (tmp_path / "truncated.json").write_text(json.dumps({**truncated, "weights": "truncated.safetensors"}))
    (tmp_path / "truncated.safetensors").write_bytes(b"\x10\x00\x00\x00")
    (tmp_path / "old.pth").write_bytes(b"not really")
    (tmp_path / "good.json").write_text(json.dumps({**truncated, "name": "good", "weights": "good.safetensors"}))
    (tmp_path / "good.safetensors").write_bytes(tiny_model_json.with_suffix(".safetensors").read_bytes())
    entries = {e.name: e for e in ModelCatalog(bundled_dir=tmp_path, user_dir=tmp_path / "none").entries()}
    assert entries["good"].usable
    assert not entries["garbage"].usable and "readable" in entries["garbage"].reason
    assert not entries["truncated"].usable and "safetensors" in entries["truncated"].reason
    assert not entries["old"].usable and "pickle" in entries["old"].reason
    with pytest.raises(ModelFileError):
        ModelCatalog(bundled_dir=tmp_path, user_dir=tmp_path / "none").load("garbage")


def test_catalog_default_and_user_models(tmp_path, tiny_model_json):
    user = tmp_path / "user"
    user.mkdir()
    for name in ("a-model", "b-model"):
        meta = json.loads(tiny_model_json.read_text())
        (user / f"{name}.json").write_text(json.dumps({**meta, "name": name, "weights": f"{name}.safetensors"}))
        (user / f"{name}.safetensors").write_bytes(tiny_model_json.with_suffix(".safetensors").read_bytes())
    catalog = ModelCatalog(bundled_dir=tiny_model_json.parent, user_dir=user)
    names = [(e.origin, e.name) for e in catalog.entries()]
    assert names == [("bundled", "tiny-test"), ("user", "a-model"), ("user", "b-model")]
    assert catalog.default().name == "tiny-test"
    assert catalog.load("b-model", device="cpu").name == "b-model"
    with pytest.raises(KeyError, match="available"):
        catalog.find("nope")
    assert read_model_json(tiny_model_json)["architecture"] == "unet"


def test_a_user_model_replaces_the_bundled_one_of_the_same_name(tmp_path, tiny_model_json):
    user = tmp_path / "user"
    user.mkdir()
    meta = json.loads(tiny_model_json.read_text())
    (user / "tiny-test.json").write_text(json.dumps({**meta, "description": "retrained by me"}))
    (user / "tiny-test.safetensors").write_bytes(tiny_model_json.with_suffix(".safetensors").read_bytes())
    catalog = ModelCatalog(bundled_dir=tiny_model_json.parent, user_dir=user)
    entries = catalog.entries()
    assert [(e.origin, e.usable) for e in entries] == [("bundled", False), ("user", True)]
    assert "replaced by your own model" in entries[0].reason
    assert catalog.find("tiny-test").json_path == user / "tiny-test.json"
    assert catalog.default().origin == "user"
    assert catalog.load("tiny-test", device="cpu").meta["description"] == "retrained by me"

    (user / "tiny-test.safetensors").write_bytes(b"broken")  # a broken copy of mine hides nothing
    entries = catalog.entries()
    assert [(e.origin, e.usable) for e in entries] == [("bundled", True), ("user", False)]
    assert catalog.find("tiny-test").origin == "bundled"
