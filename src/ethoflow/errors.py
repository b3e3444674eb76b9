"""Pixel errors of predicted keypoints: against human labels (train/test splits, with and
without a likelihood cut-off) and against known true keypoints (the demo's ground truth)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.files import provenance, write_table
from ethoflow.labels import read_dataset

log = logging.getLogger(__name__)

__all__ = ["error_table", "truth_errors"]


def _mean(err: np.ndarray) -> float:
    return float(np.nanmean(err)) if np.isfinite(err).any() else float("nan")


def error_table(err: np.ndarray, lik: np.ndarray, train: np.ndarray, test: np.ndarray,
                bodyparts: list[str], pcutoff: float) -> pd.DataFrame:
    """Mean pixel errors per bodypart (and ``all``) for the train and test images.

    Parameters
    ----------
    err
        (n_images, n_bodyparts) Euclidean errors, NaN where the label is missing.
    lik
        (n_images, n_bodyparts) likelihoods of the predictions.
    """
    rows = []
    cut = np.where(lik >= pcutoff, err, np.nan)
    for name, cols in [("all", slice(None))] + [(bp, k) for k, bp in enumerate(bodyparts)]:
        row = {"bodypart": name}
        for split, idx in (("train", train), ("test", test)):
            e, c = err[idx][:, cols], cut[idx][:, cols]
            row[f"{split}_error_px"] = _mean(e)
            row[f"{split}_error_pcutoff_px"] = _mean(c)
            row[f"{split}_n"] = int(np.isfinite(e).sum())
            row[f"{split}_n_pcutoff"] = int(np.isfinite(c).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def truth_errors(pose_files: list[str], truth_files: list[str], sessions: list[str], out_tsv: str,
                 dataset_json: str | None = None, pcutoff: float = 0.6) -> pd.DataFrame:
    """Errors of analysed videos against known true keypoints (the demo's ground truth).

    For every session and bodypart (and ``all``): the mean Euclidean error in
    pixels over every frame, over the frames above ``pcutoff``, and, when a
    dataset is given, over the frames that were its test images (never trained on).
    """
    from ethoflow.dlc import read_pose_table

    test_frames: dict[str, set[int]] = {}
    if dataset_json:
        dataset, _ = read_dataset(dataset_json)
        for i in dataset["test"]:
            parts = Path(dataset["images"][i]).parts  # labeled-data/<session>/img<NNNNN>.png
            test_frames.setdefault(parts[-2], set()).add(int(Path(parts[-1]).stem[3:]))
    rows = []
    for session, pose_file, truth_file in zip(sessions, pose_files, truth_files):
        pred, truth = read_pose_table(pose_file), read_pose_table(truth_file)
        parts = list(dict.fromkeys(truth.columns.get_level_values("bodyparts")))
        ps, ts = pred.columns[0][0], truth.columns[0][0]
        p = np.stack([pred[ps][bp][["x", "y"]].to_numpy(float) for bp in parts], 1)
        t = np.stack([truth[ts][bp][["x", "y"]].to_numpy(float) for bp in parts], 1)
        lik = np.stack([pred[ps][bp]["likelihood"].to_numpy(float) for bp in parts], 1)
        if len(p) != len(t):
            raise ValueError(f"{pose_file} has {len(p)} frames but the truth {truth_file} has {len(t)}")
        err = np.linalg.norm(p - t, axis=-1)
        test = sorted(test_frames.get(session, ()))
        for name, cols in [("all", slice(None))] + [(bp, k) for k, bp in enumerate(parts)]:
            e, lk = err[:, cols], lik[:, cols]
            rows.append({
                "session": session, "bodypart": name, "frames": len(err),
                "error_px": _mean(e), "error_pcutoff_px": _mean(np.where(lk >= pcutoff, e, np.nan)),
                "share_above_pcutoff": float(np.mean(lk >= pcutoff)),
                "test_frames": len(test), "test_error_px": _mean(e[test]) if test else float("nan"),
            })
    table = pd.DataFrame(rows)
    write_table(table.round(4), out_tsv, comment=provenance({"pcutoff": pcutoff}))
    overall = table[table.bodypart == "all"]
    log.info("error against the truth, per session: %s",
             ", ".join(f"{r.session} {r.error_px:.2f} px (test frames {r.test_error_px:.2f} px)"
                       for r in overall.itertuples()))
    return table
