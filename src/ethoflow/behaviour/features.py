"""Egocentric posture features, as VAME aligns pose before embedding it.

Keypoints below the likelihood cut-off are interpolated over time, the ``origin`` keypoint
is moved to (0, 0) and the body is rotated so the ``heading`` keypoint lies on the +x axis.
What is left (every other keypoint's x and y, and the heading keypoint's distance) describes
the animal's posture, free of its place and direction in the arena.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ethoflow.io.dlc import pose_arrays, read_pose_table

__all__ = ["EMBED_KEYS", "egocentric_features", "session_features"]

#: The config's ``embed`` keys the VAE and the embeddings depend on (recorded with them).
EMBED_KEYS = ("pose", "align", "pcutoff", "model")


def egocentric_features(df: pd.DataFrame, origin: str, heading: str, pcutoff: float = 0.6,
                        source: str | os.PathLike = "pose table") -> tuple[np.ndarray, list[str]]:
    """Egocentrically aligned posture features of one session.

    Parameters
    ----------
    df
        A DLC pose table: columns ``(scorer, bodyparts, coords)`` with x, y, likelihood.
    origin, heading
        Bodyparts: ``origin`` goes to (0, 0) and ``heading`` onto the +x axis (VAME's
        ``pose_ref_index``; e.g. the body centre and the neck).
    pcutoff
        Points with a likelihood below this are replaced by linear interpolation in time
        (VAME's ``pose_confidence``); leading/trailing gaps take the nearest good value.
    source
        Named in error messages (the file the table came from).

    Returns
    -------
    features : numpy.ndarray
        ``(n_frames, 2 * n_bodyparts - 3)`` float32: x, y of every bodypart but the two
        reference points, then the heading point's x (its distance from the origin).
    names : list of str
        ``"<bodypart>_x"`` / ``"<bodypart>_y"`` per column.

    Raises
    ------
    ValueError
        If a reference bodypart is not in the table or a bodypart is never above ``pcutoff``.
    """
    parts, xy, lik = pose_arrays(df)
    for name, part in (("origin", origin), ("heading", heading)):
        if part not in parts:
            raise ValueError(f"{source}: embed.align {name} bodypart '{part}' is not in the pose "
                             f"table (bodyparts: {', '.join(parts)})")
    if origin == heading:
        raise ValueError(f"{source}: embed.align needs two different bodyparts, got '{origin}' twice")
    if lik is not None:
        xy[lik < pcutoff] = np.nan
    good = np.isfinite(xy).all(axis=-1)
    never = [p for p, ok in zip(parts, good.any(axis=0)) if not ok]
    if never:
        raise ValueError(f"{source}: bodypart(s) {', '.join(never)} never above the likelihood "
                         f"cut-off {pcutoff}: lower embed.pcutoff or check the pose")
    frames = np.arange(len(xy))
    for k in range(xy.shape[1]):
        bad = ~good[:, k]
        if bad.any():
            for c in range(2):
                xy[bad, k, c] = np.interp(frames[bad], frames[~bad], xy[~bad, k, c])
    o, h = parts.index(origin), parts.index(heading)
    centred = xy - xy[:, o : o + 1]
    angle = np.arctan2(centred[:, h, 1], centred[:, h, 0])
    cos, sin = np.cos(-angle)[:, None], np.sin(-angle)[:, None]
    x = centred[..., 0] * cos - centred[..., 1] * sin
    y = centred[..., 0] * sin + centred[..., 1] * cos
    others = [k for k in range(len(parts)) if k not in (o, h)]
    features = np.concatenate([np.stack([x[:, others], y[:, others]], axis=-1).reshape(len(xy), -1),
                               x[:, h : h + 1]], axis=1)
    names = [f"{parts[k]}_{c}" for k in others for c in "xy"] + [f"{parts[h]}_x"]
    return features.astype(np.float32), names


def session_features(pose_h5: str | os.PathLike, embed: Mapping) -> tuple[np.ndarray, list[str]]:
    """Egocentric features of one session's pose table, with the config's ``embed.align`` and
    ``embed.pcutoff`` (``embed`` is that section)."""
    origin, heading = embed["align"]
    return egocentric_features(read_pose_table(pose_h5), origin, heading, embed["pcutoff"],
                               source=pose_h5)
