"""Outlier frames for the labelling loop (DLC's ``extract_outlier_frames``).

A frame is a candidate when, for any bodypart,

``jump``
    the prediction moves more than ``epsilon`` pixels from the previous frame;
``uncertain``
    the likelihood is below ``p_bound``;
``fitting``
    the prediction departs more than ``epsilon`` pixels from a state-space
    (constant-velocity Kalman) smoothing of the trajectory, which DLC calls
    the ARIMA/"fitting" method;
``swap``
    exchanging two bodyparts makes the body consistent again (two points traded places:
    a head-tail or left-right swap, see :mod:`ethoflow.pose.skeleton`), which a confident
    network can do for runs of frames without any jump or low likelihood inside the run;
``skeleton``
    a distance between two bodyparts is more than ``skeleton_z`` robust SDs from its
    usual value in the session (a bone too long or too short: a point on the wrong part).

``swap`` and ``skeleton`` learn the body from the session's own frames (every point at
least ``p_bound`` likely), so they hold while most frames are right.

Up to ``numframes2pick`` candidates, spread over the video, are extracted into
``labeled-data/<video>/`` next to any existing labels, with the network's
predictions in ``machinelabels-iter<N>.h5`` for a labelling tool to correct.
:func:`ethoflow.pose.labels.merge_machine_labels` folds them into the human labels.
:func:`outliers_session` is the ``pose_outliers_session`` stage.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.io.dlc import pose_arrays, pose_dataframe, read_pose_table, write_pose_table
from ethoflow.io.files import provenance, write_table
from ethoflow.pose.filtering import kalman_smooth
from ethoflow.pose.frames import frame_name, write_frames
from ethoflow.pose.skeleton import body_model, distance_z, find_swaps

log = logging.getLogger(__name__)

__all__ = ["METHODS", "extract_outliers", "outlier_flags", "outliers_session", "pick_outliers"]

METHODS = ("jump", "uncertain", "fitting", "swap", "skeleton")


def outlier_flags(df: pd.DataFrame, methods: list[str], epsilon: float = 20.0, p_bound: float = 0.01,
                  process_sd: float = 2.0, skeleton_z: float = 5.0) -> pd.DataFrame:
    """One boolean column per method: is frame ``t`` an outlier by that criterion?"""
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown outlier method(s) {unknown} (known: {', '.join(METHODS)})")
    _, xy, lik = pose_arrays(df)
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
    if {"swap", "skeleton"} & set(methods):
        body = body_model(xy, lik, p_bound)
        if body is None:
            log.warning("fewer than 10 frames with every bodypart found: swap and skeleton checks skipped")
        seen = np.where((lik >= p_bound)[..., None], xy, np.nan)
        if "swap" in methods:
            flags["swap"] = (find_swaps(body, seen)[0][:, 0] >= 0) if body else np.zeros(len(xy), bool)
        if "skeleton" in methods:
            if body:
                flags["skeleton"] = (np.abs(np.nan_to_num(distance_z(body, seen))) > skeleton_z).any(axis=1)
            else:
                flags["skeleton"] = np.zeros(len(xy), bool)
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
    parts, xy, lik = pose_arrays(df)
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


def outliers_session(video: str, pose_h5: str, folder: str, project: str, out_tsv: str,
                     config: Mapping) -> pd.DataFrame:
    """The ``pose_outliers_session`` stage: find one session's outlier frames and extract them
    for relabelling.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.outliers``, ``pose.filter.process_sd``,
        ``pose.dataset.iteration`` and ``seed``.
    """
    pose, seed = config["pose"], config["seed"]
    o = pose["outliers"]
    df = read_pose_table(pose_h5)
    flags = outlier_flags(df, o["methods"], o["epsilon"], o["p_bound"], pose["filter"]["process_sd"],
                          o["skeleton_z"])
    frames = np.sort(pick_outliers(flags, o["numframes2pick"], seed))
    extract_outliers(video, df, frames, folder, pose["dataset"]["iteration"], project)
    table = flags.iloc[frames].reset_index(names="frame")
    log.info("%s: %d candidate outlier frames (%s), %d extracted", video, int(flags.any(axis=1).sum()),
             ", ".join(f"{m}: {int(flags[m].sum())}" for m in flags), len(frames))
    write_table(table, out_tsv, comment=provenance({**o, "seed": seed, "folder": str(folder)}))
    return table
