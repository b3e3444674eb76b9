"""Labelled videos: the predicted pose drawn on every frame (DLC's ``create_labeled_video``),
and the ``pose_video`` stage."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ethoflow.exceptions import VideoError
from ethoflow.io.dlc import pose_arrays, read_pose_table
from ethoflow.io.files import atomic_path
from ethoflow.io.video import iter_frame_chunks

log = logging.getLogger(__name__)

__all__ = ["labeled_video", "labeled_video_session"]


def _colours(n: int) -> list[tuple[int, int, int]]:
    """Distinct BGR colours along the hue circle, one per bodypart."""
    hsv = np.stack([np.linspace(0, 170, max(n, 1)), np.full(max(n, 1), 230), np.full(max(n, 1), 255)], 1)
    bgr = cv2.cvtColor(hsv.astype(np.uint8)[None], cv2.COLOR_HSV2BGR)[0]
    return [tuple(int(v) for v in c) for c in bgr[:n]]


def labeled_video(
    video: str | os.PathLike,
    pose: pd.DataFrame,
    out: str | os.PathLike,
    skeleton: list[tuple[str, str]] | None = None,
    pcutoff: float = 0.6,
    trail: int = 0,
    radius: int = 3,
    fps: float | None = None,
) -> int:
    """Write ``out`` (mp4): ``video`` with the pose drawn on each frame.

    Points whose likelihood is below ``pcutoff`` are not drawn; skeleton edges
    are drawn where both ends are. ``trail`` > 0 also draws each bodypart's
    positions over that many previous frames, fading. The video is streamed.

    Returns
    -------
    int
        Frames written.

    Raises
    ------
    VideoError
        If the video and the pose table have different numbers of frames.
    """
    parts, xy, lik = pose_arrays(pose)
    ok = (lik >= pcutoff) & np.isfinite(xy).all(-1)
    colours = _colours(len(parts))
    edges = [(parts.index(a), parts.index(b)) for a, b in (skeleton or []) if a in parts and b in parts]
    if fps is None:
        cap = cv2.VideoCapture(str(video))
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        cap.release()
    writer = None
    n = 0
    tic = time.perf_counter()
    with atomic_path(out) as tmp:
        try:
            for chunk in iter_frame_chunks(video, 64, gray=False):
                for frame in chunk:
                    if n >= len(xy):
                        raise VideoError(video, f"has more frames than the pose table ({len(xy)})")
                    if writer is None:
                        h, w = frame.shape[:2]
                        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"mp4v"), float(fps), (w, h))
                        if not writer.isOpened():
                            raise OSError(f"{out}: OpenCV cannot open an mp4v video writer here")
                    frame = np.ascontiguousarray(frame)
                    for back in range(min(trail, n), 0, -1):
                        t = n - back
                        for k, c in enumerate(colours):
                            if ok[t, k]:
                                fade = tuple(int(v * (1 - back / (trail + 1))) for v in c)
                                cv2.circle(frame, _pt(xy[t, k]), max(1, radius - 2), fade, -1, cv2.LINE_AA)
                    for a, b in edges:
                        if ok[n, a] and ok[n, b]:
                            cv2.line(frame, _pt(xy[n, a]), _pt(xy[n, b]), (200, 200, 200), 1, cv2.LINE_AA)
                    for k, c in enumerate(colours):
                        if ok[n, k]:
                            cv2.circle(frame, _pt(xy[n, k]), radius, c, -1, cv2.LINE_AA)
                    writer.write(frame)
                    n += 1
                if n % 1024 < 64:
                    log.info("%s: %d/%d frames drawn (%.0f frames/s)", Path(video).name, n, len(xy),
                             n / (time.perf_counter() - tic))
            if n != len(xy):
                raise VideoError(video, f"ended after {n} frames but the pose table has {len(xy)}")
        finally:
            if writer is not None:
                writer.release()
    log.info("%s: labelled video %s (%d frames)", Path(video).name, out, n)
    return n


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(p[0])), int(round(p[1]))


def labeled_video_session(video: str, pose_h5: str, out_mp4: str, config: Mapping) -> int:
    """The ``pose_video`` stage: the labelled video of one session.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.skeleton``, ``pose.evaluate.pcutoff`` and
        ``pose.video`` (trail, radius).
    """
    pose = config["pose"]
    v = pose["video"]
    return labeled_video(video, read_pose_table(pose_h5), out_mp4, [tuple(e) for e in pose["skeleton"]],
                         pose["evaluate"]["pcutoff"], v["trail"], v["radius"])
