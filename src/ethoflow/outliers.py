"""Outlier frames for the labelling loop (DLC's ``extract_outlier_frames``).

A frame is a candidate when, for any bodypart,

``jump``
    the prediction moves more than ``epsilon`` pixels from the previous frame;
``uncertain``
    the likelihood is below ``p_bound``;
``fitting``
    the prediction departs more than ``epsilon`` pixels from a state-space
    (constant-velocity Kalman) smoothing of the trajectory, which DLC calls
    the ARIMA/"fitting" method.

Up to ``numframes2pick`` candidates, spread over the video, are extracted into
``labeled-data/<video>/`` next to any existing labels, with the network's
predictions in ``machinelabels-iter<N>.h5`` for a labelling tool to correct.
:func:`ethoflow.labels.merge_machine_labels` folds them into the human labels.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.dlc import pose_dataframe, write_pose_table
from ethoflow.filtering import kalman_smooth
from ethoflow.frames import frame_name, write_frames

log = logging.getLogger(__name__)

__all__ = ["METHODS", "extract_outliers", "outlier_flags", "pick_outliers"]

METHODS = ("jump", "uncertain", "fitting")


def _arrays(df: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray]:
    scorer = df.columns.get_level_values("scorer")[0]
    parts = list(dict.fromkeys(df.columns.get_level_values("bodyparts")))
    xy = np.stack([df[scorer][bp][["x", "y"]].to_numpy(float) for bp in parts], 1)
    lik = np.stack([df[scorer][bp]["likelihood"].to_numpy(float) for bp in parts], 1)
    return parts, xy, lik


def outlier_flags(df: pd.DataFrame, methods: list[str], epsilon: float = 20.0, p_bound: float = 0.01,
                  process_sd: float = 2.0) -> pd.DataFrame:
    """One boolean column per method: is frame ``t`` an outlier by that criterion?"""
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown outlier method(s) {unknown} (known: {', '.join(METHODS)})")
    _, xy, lik = _arrays(df)
    flags = {}
    if "jump" in methods:
        step = np.zeros(lik.shape)
        step[1:] = np.linalg.norm(np.diff(xy, axis=0), axis=-1)
        flags["jump"] = (np.nan_to_num(step) > epsilon).any(axis=1)
    if "uncertain" in methods:
        flags["uncertain"] = (~(lik >= p_bound)).any(axis=1)
    if "fitting" in methods:
        dev = np.zeros(lik.shape)
        for k in range(xy.shape[1]):
            w = np.where(lik[:, k] >= p_bound, lik[:, k], 0.0)
            fit = np.stack([kalman_smooth(xy[:, k, c], w, process_sd) for c in (0, 1)], -1)
            dev[:, k] = np.linalg.norm(xy[:, k] - fit, axis=-1)
        flags["fitting"] = (np.nan_to_num(dev) > epsilon).any(axis=1)
    return pd.DataFrame(flags, index=df.index)


def pick_outliers(flags: pd.DataFrame, n: int, seed: int) -> np.ndarray:
    """Up to ``n`` flagged frames, one at random from each of ``n`` equal runs of the candidates."""
    candidates = np.flatnonzero(flags.any(axis=1).to_numpy())
    if len(candidates) <= n:
        return candidates
    rng = np.random.default_rng(seed)
    edges = np.linspace(0, len(candidates), n + 1).astype(int)
    return np.array([candidates[rng.integers(a, b)] for a, b in zip(edges[:-1], edges[1:])])


def extract_outliers(
    video: str | os.PathLike,
    df: pd.DataFrame,
    frames: np.ndarray,
    folder: str | os.PathLike,
    iteration: int,
    project: str | os.PathLike,
) -> pd.DataFrame:
    """Write the chosen frames into ``folder`` (keeping existing images and labels) and
    the predictions for them in ``machinelabels-iter<iteration>.h5``.

    Returns
    -------
    pandas.DataFrame
        The machine labels written, indexed by image path relative to ``project``.
    """
    folder = Path(folder)
    parts, xy, lik = _arrays(df)
    frames = np.asarray(frames, dtype=int)
    if len(frames) == 0:
        log.info("%s: no outlier frames", Path(video).name)
        return pose_dataframe(np.zeros((0, len(parts), 2)), np.zeros((0, len(parts))), parts,
                              df.columns.get_level_values("scorer")[0], index=[])
    write_frames(video, frames, folder, len(df), add_to_labelled=True)
    rel = folder.resolve().relative_to(Path(project).resolve())
    index = [str(rel / frame_name(int(f), len(df))) for f in frames]
    scorer = df.columns.get_level_values("scorer")[0]
    machine = pose_dataframe(xy[frames], lik[frames], parts, scorer, index=index)
    write_pose_table(machine, folder / f"machinelabels-iter{iteration}.h5")
    log.info("%s: %d outlier frames extracted to %s", Path(video).name, len(frames), folder)
    return machine
