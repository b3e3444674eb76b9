"""Choosing frames to label, as DeepLabCut's ``extract_frames`` does, and writing them
(the ``extract_frames`` stage).

Two methods, both seeded:

``uniform``
    ``numframes2pick`` frames drawn at random, one from each of as many equal
    stretches of the ``[start, stop)`` part of the video (temporally spread).
``kmeans``
    frames sampled evenly over ``[start, stop)`` are downsampled to small gray
    thumbnails, clustered by appearance with k-means (``numframes2pick``
    clusters), and from each cluster the frame nearest its centre is taken, so
    rare postures are represented as well as common ones.

The frames are written as ``img<NNNNN>.png`` (DLC's ``labeled-data/<video>/``
layout), decoded from the video in one streamed pass. A folder that already
holds labels (``CollectedData_*``) is never written into.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from scipy.cluster.vq import kmeans2

from ethoflow.io.files import atomic_path, provenance, write_table
from ethoflow.io.video import iter_frame_chunks
from ethoflow.sessions.discover import video_info

log = logging.getLogger(__name__)

__all__ = ["extract_frames", "frame_name", "pick_kmeans", "pick_uniform", "write_frames"]


def _bounds(nframes: int, start: float, stop: float) -> tuple[int, int]:
    if not 0 <= start < stop <= 1:
        raise ValueError(f"need 0 <= start < stop <= 1, got start={start}, stop={stop}")
    return int(np.floor(start * nframes)), max(int(np.ceil(stop * nframes)), 1)


def pick_uniform(nframes: int, n: int, seed: int, start: float = 0.0, stop: float = 1.0) -> np.ndarray:
    """``n`` frame indices, one at random from each of ``n`` equal stretches of ``[start, stop)``."""
    lo, hi = _bounds(nframes, start, stop)
    n = min(n, hi - lo)
    rng = np.random.default_rng(seed)
    edges = np.linspace(lo, hi, n + 1).astype(int)
    return np.array([rng.integers(a, max(a + 1, b)) for a, b in zip(edges[:-1], edges[1:])])


def pick_kmeans(
    video: str | os.PathLike,
    nframes: int,
    n: int,
    seed: int,
    start: float = 0.0,
    stop: float = 1.0,
    max_candidates: int = 1000,
    thumb_width: int = 30,
    crop: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """``n`` frames that represent the video's appearance clusters (see the module doc).

    Parameters
    ----------
    video
        The video (streamed once; only thumbnails of candidate frames are kept).
    nframes
        Its decoded frame count.
    n
        Frames wanted (clusters).
    seed
        Seeds k-means.
    start, stop
        Fractions of the video to pick from.
    max_candidates
        At most this many evenly spaced frames are clustered.
    thumb_width
        Width of the thumbnails clustered (aspect kept).
    crop
        ``(x0, x1, y0, y1)`` region to look at, in pixels.
    """
    lo, hi = _bounds(nframes, start, stop)
    candidates = np.unique(np.linspace(lo, hi - 1, min(max_candidates, hi - lo)).astype(int))
    n = min(n, len(candidates))
    thumbs = []
    pos = 0
    for chunk in iter_frame_chunks(video, 256):
        sel = candidates[(candidates >= pos) & (candidates < pos + len(chunk))] - pos
        for i in sel:
            img = chunk[i]
            if crop is not None:
                img = img[crop[2] : crop[3], crop[0] : crop[1]]
            h = max(1, round(img.shape[0] * thumb_width / img.shape[1]))
            thumbs.append(cv2.resize(img, (thumb_width, h), interpolation=cv2.INTER_AREA).ravel())
        pos += len(chunk)
        if pos >= hi:
            break
    data = np.asarray(thumbs, np.float64)
    data -= data.mean(axis=0)
    centres, labels = kmeans2(data, n, minit="++", seed=np.random.default_rng(seed))
    picked = []
    for k in range(n):
        members = np.flatnonzero(labels == k)
        if len(members):
            d = ((data[members] - centres[k]) ** 2).sum(axis=1)
            picked.append(candidates[members[d.argmin()]])
    return np.unique(np.array(picked, dtype=int))


def frame_name(index: int, nframes: int) -> str:
    """DLC's image name for frame ``index``: ``img`` + zero-padded index (at least 5 digits)."""
    return f"img{index:0{max(5, len(str(nframes)))}d}.png"


def write_frames(
    video: str | os.PathLike,
    frames: np.ndarray,
    folder: str | os.PathLike,
    nframes: int,
    crop: tuple[int, int, int, int] | None = None,
    add_to_labelled: bool = False,
) -> list[Path]:
    """Decode ``video`` once and write the chosen frames as PNGs in ``folder``.

    With ``add_to_labelled`` (the outlier step), frames are added to a folder
    that holds labels; images already there are kept as they are, not rewritten.

    Raises
    ------
    FileExistsError
        If ``folder`` already holds labels (``CollectedData_*``): labelled frames
        are never overwritten.
    ValueError
        If the video ends before the last chosen frame.
    """
    folder = Path(folder)
    labels = sorted(folder.glob("CollectedData_*")) if folder.exists() else []
    if labels and not add_to_labelled:
        raise FileExistsError(f"{folder} already holds labels ({labels[0].name}); not overwriting it")
    folder.mkdir(parents=True, exist_ok=True)
    wanted = set(int(f) for f in frames)
    written = []
    pos = 0
    for chunk in iter_frame_chunks(video, 64, gray=False):
        for i in range(len(chunk)):
            if pos + i in wanted:
                img = chunk[i] if crop is None else chunk[i][crop[2] : crop[3], crop[0] : crop[1]]
                path = folder / frame_name(pos + i, nframes)
                if add_to_labelled and path.exists():
                    written.append(path)
                    continue
                with atomic_path(path) as tmp:
                    if not cv2.imwrite(str(tmp), img):
                        raise OSError(f"{path}: could not write the image")
                written.append(path)
        pos += len(chunk)
        if pos > max(wanted, default=-1):
            break
    if len(written) != len(wanted):
        raise ValueError(f"{video}: ended after {pos} frames, before frame {max(wanted)}")
    log.info("%s: wrote %d frames to %s", Path(video).name, len(written), folder)
    return written


def extract_frames(video: str, record_json: str, folder: str, out_tsv: str, config: Mapping) -> pd.DataFrame:
    """The ``extract_frames`` stage: pick frames of one session to label and write them into
    ``folder`` (``<project>/labeled-data/<session>``), with a table of what was picked.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.frames`` and ``seed``.
    """
    f, seed = config["pose"]["frames"], config["seed"]
    nframes = video_info(record_json, video)["nframes"]
    if f["method"] == "kmeans":
        picked = pick_kmeans(video, nframes, f["numframes2pick"], seed, f["start"], f["stop"])
    else:
        picked = pick_uniform(nframes, f["numframes2pick"], seed, f["start"], f["stop"])
    crop = tuple(f["crop"]) if f["crop"] else None
    paths = write_frames(video, picked, folder, nframes, crop=crop)
    table = pd.DataFrame({"frame": np.sort(picked), "image": [str(p) for p in sorted(paths)]})
    write_table(table, out_tsv, comment=provenance({**f, "seed": seed, "video": str(video)}))
    return table
