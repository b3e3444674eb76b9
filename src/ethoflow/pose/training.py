"""Training the pose network: targets, loss, augmentation, the seeded and resumable training
loop, and the ``pose_train`` stage.

Everything random (initialisation, batch order, augmentation) is seeded from the config.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from ethoflow.device import resolve_device, use_threads
from ethoflow.io.files import atomic_path
from ethoflow.pose.dataset import read_dataset
from ethoflow.pose.labels import load_images
from ethoflow.pose.network import STRIDE, build_model, pad16, resize, to_tensor
from ethoflow.pose.plots import plot_loss

log = logging.getLogger(__name__)

__all__ = [
    "TrainParams",
    "augment",
    "make_targets",
    "pose_loss",
    "train",
    "train_params",
    "train_shuffle",
]


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


def augment(image: np.ndarray, xy: np.ndarray, rng: np.random.Generator, flip_pairs: list[tuple[int, int]],
            scale: tuple[float, float] = (0.8, 1.25), rotation: float = 25.0, p_flip: float = 0.5,
            p_blur: float = 0.2, p_rotate: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Random scale, rotation (with probability ``p_rotate``), shift, horizontal flip (with
    probability ``p_flip``, swapping left/right bodyparts), brightness/contrast and blur;
    keypoints follow the image (NaN stays NaN)."""
    h, w = image.shape[:2]
    s = rng.uniform(*scale)
    a = rng.uniform(-rotation, rotation)
    if p_rotate < 1 and rng.random() >= p_rotate:  # (no draw at 1: earlier seeds unchanged)
        a = 0.0
    m = cv2.getRotationMatrix2D((w / 2, h / 2), a, s)
    m[:, 2] += rng.uniform(-0.1, 0.1, 2) * (w, h)
    # a constant border: a reflected one would mirror the animal into the picture, unlabelled
    out = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=tuple(float(v) for v in cv2.mean(image)[:3]))
    pts = np.concatenate([xy, np.ones((len(xy), 1))], axis=1) @ m.T
    if rng.random() < p_flip:
        out = out[:, ::-1]
        pts[:, 0] = w - 1 - pts[:, 0]  # pixel i's centre is at i: column i goes to w - 1 - i
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
    flip : bool
        Mirror half the training images left-right, swapping ``flip_pairs`` (for top or
        bottom views of a left-right symmetric animal; DLC's ``fliplr``).
    rotation : float
        Training images are rotated by a random angle in ``[-rotation, rotation]`` degrees.
        180 (any heading) suits top and bottom views, where the animal can face any way.
    rotation_p : float
        The share of training images that are rotated (the others keep their heading;
        DeepLabCut 3 applies its affine augmentation with probability 0.5).
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
    flip: bool = False
    rotation: float = 25.0
    rotation_p: float = 1.0
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
    model = build_model(len(bodyparts), params.width, params.backbone, params.pretrained).to(device)
    images = _pad_to(images)
    if params.downsample != 1.0:
        images, xy, _ = resize(images, np.asarray(xy, float), params.downsample)
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
    out_shape = (pad16(h) // STRIDE, pad16(w) // STRIDE)
    stats = folder / "learning_stats.csv"
    if start == 0:
        stats.write_text("iteration,loss,lr\n")
    model.train()
    running, tic = 0.0, time.perf_counter()
    for it in range(start, params.maxiters):
        idx = rng.integers(0, len(images), params.batch_size)
        batch, targets = [], []
        for i in idx:
            img, pts = augment(images[i], xy[i], rng, list(params.flip_pairs),
                               rotation=params.rotation, p_flip=0.5 if params.flip else 0.0,
                               p_rotate=params.rotation_p)
            batch.append(img)
            targets.append(make_targets(pts, out_shape))
        # NCHW-contiguous for training: oneDNN's channels-last backward kernels corrupt memory
        # with fewer than 8 channels on AVX2 CPUs (torch 2.13, seen on AMD EPYC); inference
        # keeps the faster channels-last layout _to_tensor gives.
        x = to_tensor(np.stack(batch), device).contiguous()
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


def train_params(config: Mapping) -> TrainParams:
    """Training settings from the config: ``pose.train`` plus the seed and the flip pairs
    as bodypart indices."""
    pose = config["pose"]
    parts = pose["bodyparts"]
    flips = tuple((parts.index(a), parts.index(b)) for a, b in pose["flip_pairs"])
    return TrainParams(**pose["train"], seed=config["seed"], flip_pairs=flips)


def train_shuffle(dataset_json: str, project: str, model_out: str, stats_out: str, loss_png: str,
                  config: Mapping, threads: int | None = None) -> None:
    """The ``pose_train`` stage: train the network of one shuffle on its training images;
    resumes an interrupted run.

    Snapshots (and the running loss log) are kept in ``train/`` beside ``model_out``, so
    an interrupted run resumes; ``stats_out`` is a copy of the loss log.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.bodyparts``, ``pose.flip_pairs``, ``pose.train``
        and ``seed``.
    """
    use_threads(threads)
    dataset, labels = read_dataset(dataset_json)
    idx = dataset["train"]
    images = load_images([labels.images[i] for i in idx], project)
    params = train_params(config)
    data_id = hashlib.sha256(Path(dataset_json).read_bytes()).hexdigest()
    folder = Path(model_out).parent / "train"
    log.info("training shuffle %s on %d images, %d bodyparts, %s", dataset["params"]["shuffle"],
             len(idx), len(labels.bodyparts), params)
    model = train(images, labels.xy[idx], labels.bodyparts, params, folder, data_id=data_id)
    if model.resolve() != Path(model_out).resolve():
        os.replace(model, model_out)
    stats = folder / "learning_stats.csv"
    if stats.resolve() != Path(stats_out).resolve():
        with atomic_path(stats_out) as tmp:
            shutil.copyfile(stats, tmp)
    plot_loss(stats_out, loss_png, title=f"shuffle {dataset['params']['shuffle']}")
