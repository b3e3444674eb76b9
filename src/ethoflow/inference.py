"""Analyse videos with a trained pose network: streamed, batched, into DLC pose tables."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np
import torch

from ethoflow.dlc import pose_dataframe, write_pose_table
from ethoflow.pose import load_model, predict
from ethoflow.video import VideoError, iter_frame_chunks

log = logging.getLogger(__name__)

__all__ = ["analyze_video", "pixel_errors"]


def analyze_video(
    model_path: str | os.PathLike,
    video: str | os.PathLike,
    out_h5: str | os.PathLike,
    scorer: str,
    batch_size: int = 8,
    downsample: float | None = None,
    device: str = "auto",
    nframes_expected: int | None = None,
    threads: int | None = None,
    csv: bool = False,
) -> dict:
    """Predict every frame of ``video`` and write the DLC pose table ``out_h5``.

    The video is decoded in a background thread and never held whole; frames go
    through the network ``batch_size`` at a time. Coordinates are in original
    pixels whatever ``downsample`` is (None: the factor the network was trained with).

    Returns
    -------
    dict
        ``frames``, ``seconds`` and ``fps`` of the analysis.

    Raises
    ------
    VideoError
        If the video decodes to a different frame count than ``nframes_expected``.
    """
    if threads:
        torch.set_num_threads(threads)
    model, bodyparts = load_model(model_path, device)
    tic = time.perf_counter()
    xys, liks = [], []
    n = 0
    for chunk in iter_frame_chunks(video, batch_size, gray=False):
        xy, lik = predict(model, chunk, downsample)
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
    if csv:
        write_pose_table(df, Path(out_h5).with_suffix(".csv"))
    log.info("%s: %d frames in %.1f s (%.1f frames/s)", Path(video).name, n, seconds, n / seconds)
    return {"frames": n, "seconds": seconds, "fps": n / seconds}


def pixel_errors(pred: np.ndarray, truth: np.ndarray, likelihood: np.ndarray | None = None,
                 pcutoff: float | None = None) -> np.ndarray:
    """Euclidean error per image and bodypart (NaN where the label is missing, or, with
    ``pcutoff``, where the prediction's likelihood is below it)."""
    err = np.linalg.norm(pred - truth, axis=-1)
    if pcutoff is not None and likelihood is not None:
        err = np.where(likelihood >= pcutoff, err, np.nan)
    return err
