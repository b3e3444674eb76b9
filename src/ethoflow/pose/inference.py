"""Pose from frames: decoding the network's output, predicting batches of images, and the
``pose_infer`` stage (streamed, batched video analysis into DLC pose tables)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from ethoflow.device import use_threads
from ethoflow.exceptions import VideoError
from ethoflow.io.dlc import pose_dataframe, write_pose_table
from ethoflow.io.video import iter_frame_chunks
from ethoflow.pose.network import STRIDE, PoseNet, load_model, resize, to_tensor
from ethoflow.sessions.discover import video_info

log = logging.getLogger(__name__)

__all__ = ["LIKELIHOODS", "analyze_session", "analyze_video", "decode", "flip_pairs", "fuse_flipped",
           "predict", "predict_images", "predict_likelihoods", "scorer_name"]


LIKELIHOODS = ("unique", "peak")
# flip test: a frame's and its mirror's points this many heatmap cells apart are one answer
FLIP_TOLERANCE_CELLS = 2.0


def decode(heat_logits: torch.Tensor, offsets: torch.Tensor, likelihood: str = "unique",
           radius: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (B, K, 2) in input pixels and likelihoods (B, K) from network outputs.

    The coordinate is the best heatmap cell's centre plus its offset. The likelihood is

    ``peak``
        the sigmoid of the best cell's logit, ``p1``, as DeepLabCut reports it;
    ``unique``
        that, times the best cell's share of the two best separate places,
        ``p1 * p1 / (p1 + p2)``, where ``p2`` is the sigmoid of the best other local
        maximum of the heatmap more than ``radius`` cells from the peak (0 if none). A
        network torn between two places (the snout on the snout or on the tail base) is
        at most half sure, however strong both peaks are; a single clear peak keeps its
        likelihood.
    """
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {', '.join(LIKELIHOODS)}, got {likelihood!r}")
    b, k, h, w = heat_logits.shape
    flat = heat_logits.reshape(b, k, -1)
    peak, idx = flat.max(dim=-1)
    iy, ix = idx // w, idx % w
    off = offsets.reshape(b, k, 2, -1).gather(3, idx[:, :, None, None].expand(b, k, 2, 1))[..., 0]
    x = (ix.float() + 0.5 + off[..., 0]) * STRIDE
    y = (iy.float() + 0.5 + off[..., 1]) * STRIDE
    xy = torch.stack([x, y], dim=-1)
    lik = torch.sigmoid(peak)
    if likelihood == "unique":
        gy = torch.arange(h, device=flat.device).view(1, 1, h, 1)
        gx = torch.arange(w, device=flat.device).view(1, 1, 1, w)
        near = (gy - iy[..., None, None]) ** 2 + (gx - ix[..., None, None]) ** 2 <= radius**2
        local = heat_logits >= F.max_pool2d(heat_logits, 3, 1, 1)
        other = heat_logits.masked_fill(near | ~local, float("-inf")).reshape(b, k, -1).amax(dim=-1)
        lik = lik * lik / (lik + torch.sigmoid(other))
    return xy.cpu().numpy().astype(np.float64), lik.cpu().numpy().astype(np.float64)


def flip_pairs(model: PoseNet) -> list[tuple[int, int]]:
    """The left/right keypoint index pairs ``model`` was trained to swap under a mirror.

    Raises
    ------
    ValueError
        If the network was not trained on mirrored images (``pose.train.flip``): its
        predictions on a mirrored frame would mean nothing.
    """
    params = getattr(model, "train_params", {})
    if not params.get("flip"):
        raise ValueError("flip_test needs a network trained with pose.train.flip: true "
                         "(this one never saw a mirrored image)")
    return [tuple(p) for p in params.get("flip_pairs", ())]


def fuse_flipped(xy: np.ndarray, lik: np.ndarray, xy_m: np.ndarray, lik_m: np.ndarray,
                 tolerance: float, likelihood: str = "unique") -> tuple[np.ndarray, np.ndarray]:
    """One prediction from a frame's and its mirror's (both in the frame's pixels).

    Where the two are within ``tolerance`` pixels they are one answer seen twice: the mean
    of the points and of the likelihoods (the average cancels errors that change sign with
    the mirror). Where they are farther apart the network is torn between two places: the
    more likely point is kept, and with the ``unique`` likelihood its likelihood becomes
    ``p1 * p1 / (p1 + p2)``, as for two peaks of one heatmap (see :func:`decode`).
    """
    near = np.linalg.norm(xy - xy_m, axis=-1) <= tolerance
    first = lik >= lik_m
    p1, p2 = np.where(first, lik, lik_m), np.where(first, lik_m, lik)
    apart_lik = p1 * p1 / np.maximum(p1 + p2, 1e-12) if likelihood == "unique" else p1
    out_xy = np.where(near[..., None], (xy + xy_m) / 2, np.where(first[..., None], xy, xy_m))
    out_lik = np.where(near, (lik + lik_m) / 2, apart_lik)
    return out_xy, out_lik


def predict(model: PoseNet, images: np.ndarray, downsample: float | None = None,
            likelihood: str = "unique", flip_test: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (B, K, 2) in original pixels and likelihoods (B, K) for BGR images (B, H, W, 3).

    ``downsample`` > 1 shrinks the images before the network (faster); coordinates are
    reported in the original pixels. None: the factor the network was trained with.
    ``likelihood``: see :func:`decode`. ``flip_test``: also predict the mirrored images
    (the flip test of human-pose networks; twice the compute) and fuse the two answers
    (:func:`fuse_flipped`); only for a network trained with mirrored images.
    """
    xy, liks = predict_likelihoods(model, images, downsample, (likelihood,), flip_test)
    return xy, liks[likelihood]


@torch.inference_mode()
def predict_likelihoods(model: PoseNet, images: np.ndarray, downsample: float | None = None,
                        likelihoods: tuple[str, ...] = LIKELIHOODS, flip_test: bool = False
                        ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`predict` with several likelihoods from one pass through the network: the
    keypoints and a dict of (B, K) likelihoods. With ``flip_test`` the keypoints are those
    the first likelihood fuses."""
    device = next(model.parameters()).device
    if downsample is None:
        downsample = getattr(model, "downsample", 1.0)
    pairs = flip_pairs(model) if flip_test else []
    scale = (1.0, 1.0)
    if downsample != 1.0:
        shrunk, _, scale = resize(list(images), None, downsample)
        images = np.stack(shrunk)
    outputs = model(to_tensor(images, device))
    mirrored = model(to_tensor(images[:, :, ::-1], device)) if flip_test else None
    order = np.arange(outputs[0].shape[1])
    for i, j in pairs:
        order[[i, j]] = order[[j, i]]
    xy, liks = None, {}
    for kind in likelihoods:
        xy_k, liks[kind] = decode(*outputs, kind)
        if flip_test:
            xy_m, lik_m = decode(*mirrored, kind)
            xy_m, lik_m = xy_m[:, order], lik_m[:, order]
            xy_m[..., 0] = images.shape[2] - 1 - xy_m[..., 0]  # column c of the mirror is w - 1 - c
            xy_k, liks[kind] = fuse_flipped(xy_k, liks[kind], xy_m, lik_m, FLIP_TOLERANCE_CELLS * STRIDE, kind)
        if xy is None:
            xy = (xy_k + 0.5) / np.asarray(scale) - 0.5
    return xy, liks


def predict_images(model: PoseNet, images: list[np.ndarray], batch_size: int = 8,
                   likelihood: str = "unique", flip_test: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Predictions for a list of images (batched where consecutive images share a size)."""
    xys, liks = [], []
    i = 0
    while i < len(images):
        j = i + 1
        while j < len(images) and j - i < batch_size and images[j].shape == images[i].shape:
            j += 1
        xy, lik = predict(model, np.stack(images[i:j]), likelihood=likelihood, flip_test=flip_test)
        xys.append(xy)
        liks.append(lik)
        i = j
    return np.concatenate(xys), np.concatenate(liks)


def analyze_video(
    model: PoseNet,
    bodyparts: list[str],
    video: str | os.PathLike,
    out_h5: str | os.PathLike,
    scorer: str,
    batch_size: int = 8,
    downsample: float | None = None,
    nframes_expected: int | None = None,
    likelihood: str = "unique",
    flip_test: bool = False,
) -> dict:
    """Predict every frame of ``video`` and write the DLC pose table ``out_h5``.

    The video is decoded in a background thread and never held whole; frames go
    through the network ``batch_size`` at a time. Coordinates are in original
    pixels whatever ``downsample`` is (None: the factor the network was trained with).

    Parameters
    ----------
    model, bodyparts
        From :func:`ethoflow.pose.network.load_model`.
    likelihood
        ``unique`` or ``peak`` (DLC's): see :func:`decode`.
    flip_test
        Also predict each mirrored frame and fuse the two (see :func:`predict`).

    Returns
    -------
    dict
        ``frames``, ``seconds`` and ``fps`` of the analysis.

    Raises
    ------
    VideoError
        If the video decodes to a different frame count than ``nframes_expected``.
    """
    tic = time.perf_counter()
    xys, liks = [], []
    n = 0
    for chunk in iter_frame_chunks(video, batch_size, gray=False):
        xy, lik = predict(model, chunk, downsample, likelihood, flip_test)
        xys.append(xy)
        liks.append(lik)
        n += len(chunk)
        if n % (batch_size * 100) < batch_size:
            log.info("%s: %d frames, %.1f frames/s", Path(video).name, n, n / (time.perf_counter() - tic))
    if nframes_expected is not None and n != nframes_expected:
        raise VideoError(video, f"decoded {n} frames but discovery counted {nframes_expected}")
    seconds = time.perf_counter() - tic
    df = pose_dataframe(np.concatenate(xys), np.concatenate(liks), bodyparts, scorer)
    write_pose_table(df, out_h5)
    log.info("%s: %d frames in %.1f s (%.1f frames/s)", Path(video).name, n, seconds, n / seconds)
    return {"frames": n, "seconds": seconds, "fps": n / seconds}


def scorer_name(train_params: Mapping, iteration: int, shuffle: int) -> str:
    """Scorer of the pose tables, naming the network as DLC does (backbone, iteration, shuffle,
    training iterations)."""
    return f"ethoflow_{train_params['backbone']}_iter{iteration}_shuffle{shuffle}_{train_params['maxiters']}"


def analyze_session(model_pt: str, video: str, record_json: str, out_h5: str, config: Mapping,
                    threads: int | None = None) -> dict:
    """The ``pose_infer`` stage: analyse one session's video into a DLC pose table.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.inference`` (shuffle, batch size, downsampling,
        likelihood, flip test, device) and ``pose.dataset.iteration`` (both name the network in the scorer).
    """
    info = video_info(record_json, video)
    inf = config["pose"]["inference"]
    use_threads(threads)
    model, bodyparts = load_model(model_pt, inf["device"])
    scorer = scorer_name(model.train_params, config["pose"]["dataset"]["iteration"], inf["shuffle"])
    return analyze_video(model, bodyparts, video, out_h5, scorer, batch_size=inf["batch_size"],
                         downsample=inf["downsample"], nframes_expected=info["nframes"],
                         likelihood=inf["likelihood"], flip_test=inf["flip_test"])
