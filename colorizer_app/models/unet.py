"""The colorization network: a U-Net on an EfficientNet-Lite0 encoder.

Input is the L* channel (0..100) plus optional user hints (an ab map and a
mask; all zeros means fully automatic). Output is at 1/4 of the input size:
either logits over quantized ab bins (classification head, read out with the
annealed mean) or ab directly (regression head). The app upsamples that ab
guided by the full-resolution L, so predicting at 1/4 costs nothing in detail.
"""

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from colorizer_app.models.abgrid import AB_LIMIT, in_gamut_bins
from colorizer_app.models.efficientnet_lite import EfficientNetLite0Encoder

HEADS = ("classification", "regression")


@dataclass
class UNetConfig:
    encoder: str = "efficientnet_lite0"
    head: str = "classification"
    decoder_chs: tuple[int, int, int] = (128, 96, 64)
    grid_step: int = 10  # ab bin size for the classification head
    num_bins: int = 0  # filled in from the grid when 0
    readout_temperature: float = 0.38  # annealed mean (Zhang et al.); 1.0 = plain mean

    def __post_init__(self):
        self.decoder_chs = tuple(self.decoder_chs)
        assert self.encoder == "efficientnet_lite0", f"unknown encoder {self.encoder!r}"
        assert self.head in HEADS, f"head must be one of {HEADS}, not {self.head!r}"

    def to_dict(self) -> dict:
        return asdict(self)


class ConvNormAct(nn.Sequential):
    def __init__(self, in_chs: int, out_chs: int, kernel: int = 3, act_layer=nn.ReLU):
        super().__init__(
            nn.Conv2d(in_chs, out_chs, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(out_chs),
            act_layer(inplace=True),
        )


class Up(nn.Module):
    """Upsample x2, concatenate the skip, two 3x3 convs."""

    def __init__(self, in_chs: int, skip_chs: int, out_chs: int):
        super().__init__()
        self.conv1 = ConvNormAct(in_chs + skip_chs, out_chs)
        self.conv2 = ConvNormAct(out_chs, out_chs)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        x = torch.cat([x, skip], dim=1)
        return self.conv2(self.conv1(x))


class UNet(nn.Module):
    # Multiple of this the input height and width must be.
    size_multiple = 16  # the hint pooling at 1/16 must tile the input exactly
    hint_chs = 3  # a/110, b/110, mask

    def __init__(self, config: UNetConfig):
        super().__init__()
        bins = torch.from_numpy(in_gamut_bins(config.grid_step))
        if config.num_bins == 0:
            config.num_bins = len(bins)
        assert config.num_bins == len(bins), "grid_step and num_bins disagree"
        self.config = config
        # Stored with the weights, so a model file carries its own color grid.
        self.register_buffer("ab_bins", bins)  # (Q, 2)

        # Stem: the ImageNet encoder sees the gray photo only.
        self.encoder = EfficientNetLite0Encoder()

        # Middle stages: decoder from 1/32 back to 1/4. Hints, average-pooled,
        # join every stage: at 1/16 they spread over a region, at 1/4 they act
        # locally. Keeping them out of the encoder means a frozen encoder needs
        # no backward pass at all, which is what makes CPU training practical.
        c16, c8, c4 = config.decoder_chs
        e4, e8, e16, e32 = self.encoder.feature_chs
        h = self.hint_chs
        self.up16 = Up(e32, e16 + h, c16)
        self.up8 = Up(c16, e8 + h, c8)
        self.up4 = Up(c8, e4 + h, c4)

        # Head
        out_chs = config.num_bins if config.head == "classification" else 2
        self.head = nn.Sequential(ConvNormAct(c4, c4), nn.Conv2d(c4, out_chs, 1))

        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    def train(self, mode: bool = True):
        """Encoder BatchNorm statistics stay frozen: batches are small and gray."""
        super().train(mode)
        for m in self.encoder.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self

    @staticmethod
    def encoder_input(L: torch.Tensor) -> torch.Tensor:
        """L* (0..100) to the gray sRGB image the ImageNet encoder expects."""
        fy = (L + 16.0) / 116.0
        Y = torch.where(fy > 6.0 / 29.0, fy**3, (fy - 4.0 / 29.0) * (3.0 * (6.0 / 29.0) ** 2))
        Y = Y.clamp(0.0, 1.0)
        srgb = torch.where(Y <= 0.0031308, 12.92 * Y, 1.055 * Y.clamp_min(1e-8) ** (1 / 2.4) - 0.055)
        gray = (srgb * 255.0 - 127.0) / 128.0
        return gray.expand(-1, 3, -1, -1)

    def forward_features(self, L, hint_ab=None, hint_mask=None) -> torch.Tensor:
        B, _, H, W = L.shape
        assert H % self.size_multiple == 0 and W % self.size_multiple == 0, (H, W)
        if hint_ab is None:
            hints = L.new_zeros(B, self.hint_chs, H, W)
        else:
            hints = torch.cat([hint_ab / AB_LIMIT * hint_mask, hint_mask], dim=1)
        f4, f8, f16, f32 = self.encoder(self.encoder_input(L))
        x = self.up16(f32, torch.cat([f16, self._pool_hints(hints, 16)], dim=1))  # (B, c16, H/16, W/16)
        x = self.up8(x, torch.cat([f8, self._pool_hints(hints, 8)], dim=1))  # (B, c8, H/8, W/8)
        x = self.up4(x, torch.cat([f4, self._pool_hints(hints, 4)], dim=1))  # (B, c4, H/4, W/4)
        return x

    @staticmethod
    def _pool_hints(hints: torch.Tensor, factor: int) -> torch.Tensor:
        """Average hint color over the hinted pixels of each cell, plus hint coverage."""
        pooled = F.avg_pool2d(hints, factor)
        coverage = pooled[:, 2:]
        ab = pooled[:, :2] / coverage.clamp_min(1e-4) * (coverage > 0)
        return torch.cat([ab, coverage], dim=1)

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x)  # (B, Q or 2, H/4, W/4)

    def forward(self, L, hint_ab=None, hint_mask=None) -> torch.Tensor:
        return self.forward_head(self.forward_features(L, hint_ab, hint_mask))

    def readout(self, out: torch.Tensor, temperature: float | None = None) -> torch.Tensor:
        """Head output to ab in Lab units, (B, 2, h, w)."""
        out = out.float()
        if self.config.head == "regression":
            return (out * AB_LIMIT).clamp(-AB_LIMIT, AB_LIMIT)
        t = self.config.readout_temperature if temperature is None else temperature
        probs = torch.softmax(out / t, dim=1)  # annealed mean: softmax(log p / T)
        return torch.einsum("bqhw,qc->bchw", probs, self.ab_bins.float())

    def chroma_shortfall(self, out: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        """Per photo, how much duller the readout `ab` (of `out`) is than the predicted colors, (B,).

        sqrt(expected |ab|^2 under the predicted distributions / |readout|^2), both
        averaged over the photo. Where the network is unsure between hues, their mean
        is nearly gray although every color it considers is not; where it is sure, the
        two agree and this is near 1. Classification heads only.
        """
        probs = torch.softmax(out.float(), dim=1)
        expected = torch.einsum("bqhw,q->bhw", probs, self.ab_bins.float().square().sum(1)).mean((1, 2))
        readout = ab.float().square().sum(1).mean((1, 2))
        return (expected / readout.clamp_min(1e-6)).sqrt()

    @torch.no_grad()
    def predict_ab(self, L, hint_ab=None, hint_mask=None, temperature=None) -> torch.Tensor:
        return self.readout(self(L, hint_ab, hint_mask), temperature)


def build_model(config: UNetConfig | dict, pretrained_encoder: bool = False) -> UNet:
    if isinstance(config, dict):
        config = UNetConfig(**config)
    model = UNet(config)
    if pretrained_encoder:
        model.encoder.load_pretrained()
    return model
