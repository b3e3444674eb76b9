"""Pixel errors of predicted keypoints: per point, and as DeepLabCut's evaluation table
(means per bodypart for the train and test images, with and without a likelihood cut-off)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["error_table", "mean_error", "pixel_errors"]


def pixel_errors(pred: np.ndarray, truth: np.ndarray, likelihood: np.ndarray | None = None,
                 pcutoff: float | None = None) -> np.ndarray:
    """Euclidean error per image (or frame) and bodypart, ``(n, K)``: NaN where the label is
    missing, or, with ``pcutoff``, where the prediction's likelihood is below it."""
    err = np.linalg.norm(np.asarray(pred) - np.asarray(truth), axis=-1)
    if pcutoff is not None and likelihood is not None:
        err = np.where(likelihood >= pcutoff, err, np.nan)
    return err


def mean_error(err: np.ndarray) -> float:
    """Mean over the finite errors; NaN when there is none."""
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
            row[f"{split}_error_px"] = mean_error(e)
            row[f"{split}_error_pcutoff_px"] = mean_error(c)
            row[f"{split}_n"] = int(np.isfinite(e).sum())
            row[f"{split}_n_pcutoff"] = int(np.isfinite(c).sum())
        rows.append(row)
    return pd.DataFrame(rows)
