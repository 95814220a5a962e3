"""Model files: safetensors + JSON round trip, pickle refused, mismatches reported."""

import json
import os

import cv2
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


def _variant(tmp_path, model_json, name, **meta_changes):
    """A copy of a model file with some JSON fields changed (the same weights)."""
    meta = json.loads(model_json.read_text())
    (tmp_path / f"{name}.json").write_text(json.dumps({**meta, **meta_changes, "weights": f"{name}.safetensors"}))
    (tmp_path / f"{name}.safetensors").write_bytes(model_json.with_suffix(".safetensors").read_bytes())
    return tmp_path / f"{name}.json"


def test_per_photo_gain_makes_up_the_chroma_the_readout_lost(tmp_path, tiny_model_json):
    """Without a cap, the per-photo gain brings the photo's mean |ab|^2 up to what the
    predicted distributions expect; with a cap, no photo gets more than the cap."""
    plain = load_model(tiny_model_json, device="cpu")
    free = load_model(_variant(tmp_path, tiny_model_json, "free", chroma_gain=100.0, chroma_gain_rule="per-photo"),
                      device="cpu")
    capped = load_model(_variant(tmp_path, tiny_model_json, "capped", chroma_gain=1.1, chroma_gain_rule="per-photo"),
                        device="cpu")
    assert free.gain_rule == "per-photo"
    rng = np.random.default_rng(0)
    L = cv2.GaussianBlur(rng.uniform(10, 90, (64, 96)).astype(np.float32), (0, 0), 3)
    with torch.no_grad():
        probs = torch.softmax(plain.net(torch.from_numpy(L)[None, None]).float(), dim=1)[0]
    expected = float(torch.einsum("qhw,q->hw", probs, plain.net.ab_bins.float().square().sum(1)).mean())
    ab_plain, ab_free = plain.predict_ab(L), free.predict_ab(L)
    gain = np.sqrt(expected / np.mean(np.sum(ab_plain**2, -1)))
    assert gain > 1.2, "the test photo should leave the readout short of chroma"
    np.testing.assert_allclose(np.mean(np.sum(ab_free**2, -1)), expected, rtol=1e-3)
    np.testing.assert_allclose(ab_free, gain * ab_plain, rtol=1e-3, atol=1e-2)
    np.testing.assert_allclose(capped.predict_ab(L), 1.1 * ab_plain, rtol=1e-4, atol=1e-3)


def test_per_photo_gain_is_measured_without_the_hints(tmp_path, tiny_model_json):
    """Adding a hint must not change how vivid the rest of the photo is, and the hint
    still comes out as asked: the network sees it divided by the photo's gain."""
    plain = load_model(tiny_model_json, device="cpu")
    gained = load_model(_variant(tmp_path, tiny_model_json, "pp", chroma_gain=100.0, chroma_gain_rule="per-photo"),
                        device="cpu")
    rng = np.random.default_rng(1)
    L = cv2.GaussianBlur(rng.uniform(10, 90, (64, 96)).astype(np.float32), (0, 0), 3)
    ab_plain = plain.predict_ab(L)
    gain = float(np.sum(gained.predict_ab(L) * ab_plain) / np.sum(ab_plain**2))
    assert gain > 1.2
    hint_ab = np.zeros((64, 96, 2), np.float32)
    hint_mask = np.zeros((64, 96), np.float32)
    hint_ab[10:20, 10:20], hint_mask[10:20, 10:20] = (40.0, -30.0), 1.0
    np.testing.assert_allclose(gained.predict_ab(L, hint_ab, hint_mask),
                               gain * plain.predict_ab(L, hint_ab / np.float32(gain), hint_mask), rtol=1e-3, atol=1e-2)


def test_regression_models_keep_a_fixed_gain(tmp_path, tiny_regression_model_json):
    plain = load_model(tiny_regression_model_json, device="cpu")
    gained = load_model(_variant(tmp_path, tiny_regression_model_json, "r", chroma_gain=1.5,
                                 chroma_gain_rule="per-photo"), device="cpu")
    assert gained.gain_rule == "fixed"
    L = np.random.default_rng(2).uniform(20, 80, (64, 96)).astype(np.float32)
    np.testing.assert_allclose(gained.predict_ab(L), 1.5 * plain.predict_ab(L), rtol=1e-4, atol=1e-3)


def test_gain_rule_sets_the_format_version(tmp_path, tiny_model_json):
    """A per-photo model is written as format 2, so an older Colorizer refuses it
    rather than applying its chroma gain to every photo; fixed-gain models stay 1."""
    net = load_model(tiny_model_json, device="cpu").net
    fixed = save_model(net, tmp_path / "fixed.json", {"chroma_gain": 1.5})
    per_photo = save_model(net, tmp_path / "pp.json", {"chroma_gain": 2.0, "chroma_gain_rule": "per-photo"})
    assert json.loads(fixed.read_text())["format_version"] == 1
    assert json.loads(per_photo.read_text())["format_version"] == 2
    assert load_model(per_photo, device="cpu").gain_rule == "per-photo"
    with pytest.raises(ModelFileError, match="gain rule"):
        read_model_json(_variant(tmp_path, tiny_model_json, "odd", chroma_gain_rule="loud"))


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
    (tmp_path / "lightning.CKPT").write_bytes(b"not really")
    (tmp_path / "good.json").write_text(json.dumps({**truncated, "name": "good", "weights": "good.safetensors"}))
    (tmp_path / "good.safetensors").write_bytes(tiny_model_json.with_suffix(".safetensors").read_bytes())
    weights = tiny_model_json.with_suffix(".safetensors").read_bytes()
    (tmp_path / "cut.json").write_text(json.dumps({**truncated, "name": "cut", "weights": "cut.safetensors"}))
    (tmp_path / "cut.safetensors").write_bytes(weights[: len(weights) - 100])  # a copy cut short
    entries = {e.name: e for e in ModelCatalog(bundled_dir=tmp_path, user_dir=tmp_path / "none").entries()}
    assert entries["good"].usable
    assert not entries["cut"].usable and f"cut short: {len(weights) - 100:,} of its {len(weights):,} bytes" in (
        entries["cut"].reason)
    assert not entries["garbage"].usable and "readable" in entries["garbage"].reason
    assert not entries["truncated"].usable and "safetensors" in entries["truncated"].reason
    assert not entries["old"].usable and "pickle" in entries["old"].reason
    assert not entries["lightning"].usable and "pickle" in entries["lightning"].reason
    with pytest.raises(ModelFileError):
        ModelCatalog(bundled_dir=tmp_path, user_dir=tmp_path / "none").load("garbage")


def test_catalog_default_and_user_models(tmp_path, tiny_model_json):
    user = tmp_path / "user"
    user.mkdir()
    for name in ("b-model", "a-model-2", "a-model"):  # '-' sorts before ".json": file names mislead
        meta = json.loads(tiny_model_json.read_text())
        (user / f"{name}.json").write_text(json.dumps({**meta, "name": name, "weights": f"{name}.safetensors"}))
        (user / f"{name}.safetensors").write_bytes(tiny_model_json.with_suffix(".safetensors").read_bytes())
    catalog = ModelCatalog(bundled_dir=tiny_model_json.parent, user_dir=user)
    names = [(e.origin, e.name) for e in catalog.entries()]
    assert names == [("bundled", "tiny-test"), ("user", "a-model"), ("user", "a-model-2"), ("user", "b-model")]
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
    with pytest.raises(KeyError, match=r"\(available: tiny-test\)"):  # named once, not once a file
        catalog.find("nope")

    (user / "tiny-test.safetensors").write_bytes(b"broken")  # a broken copy of mine hides nothing
    entries = catalog.entries()
    assert [(e.origin, e.usable) for e in entries] == [("bundled", True), ("user", False)]
    assert catalog.find("tiny-test").origin == "bundled"


def test_weights_that_are_not_the_ones_saved_with_the_json_are_refused(tmp_path, tiny_model_json):
    """A damaged copy, or weights swapped by hand, would load and color wrongly."""
    meta = json.loads(tiny_model_json.read_text())
    (tmp_path / "copy.json").write_text(json.dumps({**meta, "name": "copy", "weights": "copy.safetensors"}))
    data = bytearray(tiny_model_json.with_suffix(".safetensors").read_bytes())
    (tmp_path / "copy.safetensors").write_bytes(data)
    load_model(tmp_path / "copy.json", device="cpu")  # the same bytes load

    data[-3] ^= 0x40  # one bit of one weight, past the header
    (tmp_path / "copy.safetensors").write_bytes(data)
    with pytest.raises(ModelFileError, match="not the weights copy.json was saved with"):
        load_model(tmp_path / "copy.json", device="cpu")


@pytest.mark.parametrize("change, reason", [
    ({"weights": "../x.safetensors"}, "weights must be a file beside it"),
    ({"weights": "/etc/passwd"}, "weights must be a file beside it"),
    ({"weights": 5}, "weights must be a file beside it"),
    ({"format_version": "2"}, "format_version"),
    ({"name": ["a"]}, "name is not text"),
    ({"render_size": "big"}, "render_size must be a number"),
    ({"render_size": -100}, "render_size must be a number"),
    ({"chroma_gain": "lots"}, "chroma_gain must be a number"),
    ({"config": {"readout_temperature": 0}}, "readout_temperature must be a number"),  # all-gray colors
    ({"config": {"decoder_chs": [100000, 96, 64]}}, "decoder_chs must be"),
    ({"config": {"grid_step": 0}}, "grid_step must be a number"),
], ids=lambda v: str(v)[:30])
def test_a_doctored_description_is_one_unusable_entry_and_hides_no_other_model(tmp_path, tiny_model_json,
                                                                            change, reason):
    meta = json.loads(tiny_model_json.read_text())
    if "config" in change:
        change = {"config": {**meta["config"], **change["config"]}}
    (tmp_path / "odd.json").write_text(json.dumps({**meta, "name": "odd", "weights": "odd.safetensors", **change}))
    (tmp_path / "odd.safetensors").write_bytes(tiny_model_json.with_suffix(".safetensors").read_bytes())
    (tmp_path / "good.json").write_text(json.dumps({**meta, "name": "good", "weights": "good.safetensors"}))
    (tmp_path / "good.safetensors").write_bytes(tiny_model_json.with_suffix(".safetensors").read_bytes())

    entries = {e.json_path.stem: e for e in ModelCatalog(bundled_dir=tmp_path, user_dir=tmp_path / "none").entries()}

    assert entries["good"].usable
    assert not entries["odd"].usable and reason in entries["odd"].reason


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_or_a_deep_nest_named_like_a_model_is_refused_without_waiting(tmp_path, tiny_model_json):
    os.mkfifo(tmp_path / "pipe.json")  # reading it would wait for a writer that never comes
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    entries = {e.json_path.stem: e for e in ModelCatalog(bundled_dir=tmp_path, user_dir=tmp_path / "x").entries()}
    assert "not a regular file" in entries["pipe"].reason
    assert "not a readable model description" in entries["deep"].reason


def test_a_network_larger_than_its_weights_is_refused_before_they_are_read(tmp_path, tiny_model_json):
    """Checked against the file's tensor shapes first (its header)."""
    meta = json.loads(tiny_model_json.read_text())
    big = {**meta, "name": "big", "weights": "big.safetensors",
           "config": {**meta["config"], "decoder_chs": [1024, 1024, 1024]}}
    (tmp_path / "big.json").write_text(json.dumps(big))
    (tmp_path / "big.safetensors").write_bytes(tiny_model_json.with_suffix(".safetensors").read_bytes())
    with pytest.raises(ModelFileError, match="weights do not match the network .*wrong shape"):
        load_model(tmp_path / "big.json", device="cpu")
