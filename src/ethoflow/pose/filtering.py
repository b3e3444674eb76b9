"""Filtering pose tables, as DeepLabCut's ``filterpredictions`` does.

Points whose likelihood is below ``p_bound`` are treated as missing and
interpolated (linearly, within each bodypart's track); then each coordinate is
filtered with one of:

``median``
    a running median over ``window`` frames (the default, as in DLC);
``savgol``
    a Savitzky-Golay filter (``window``, ``polyorder``);
``kalman``
    a state-space model (constant velocity, per coordinate) smoothed with a
    Rauch-Tung-Striebel smoother, the measurement noise growing as the
    likelihood falls, so confident points are trusted and doubtful ones are
    bridged. This plays the role of DLC's ARIMA option;
``calibrated``
    the same model with the observation noise the error calibration predicts from each
    point's confidence, points below its ``conf_threshold`` missing, the noise's scale and the
    process noise learnt per bodypart (:mod:`ethoflow.calibration.smoother`); needs the
    calibration.

Two checks of the whole body come first, for errors no filter of single tracks can see
(both learn the body from the session's own frames, :mod:`ethoflow.pose.skeleton`):

- ``swaps``: bodyparts that traded places (a head-tail or left-right swap) are traded
  back where one exchange makes the body consistent again;
- ``broken_z``: a point that breaks the body (its distances to two or more other points
  more than ``broken_z`` robust SDs off, as the snout predicted on the tail base) gets
  likelihood 0, so it is interpolated like any point below ``p_bound``.

The output has the same format; likelihoods are unchanged but for traded points (which
keep their own) and broken ones (0). :func:`filter_session` is the ``pose_filter`` stage.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.ndimage import median_filter
from scipy.signal import savgol_filter

from ethoflow.io.dlc import pose_arrays, pose_dataframe, read_pose_table, write_pose_table
from ethoflow.pose.skeleton import body_model, broken_points, repair_swaps

log = logging.getLogger(__name__)

__all__ = ["METHODS", "filter_pose", "filter_session", "interpolate_missing", "kalman_smooth"]

METHODS = ("median", "savgol", "kalman", "calibrated")


def interpolate_missing(x: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaNs (ends take the nearest value); all-NaN stays NaN."""
    x = np.asarray(x, float).copy()
    ok = np.isfinite(x)
    if ok.sum() == 0:
        return x
    idx = np.arange(len(x))
    x[~ok] = np.interp(idx[~ok], idx[ok], x[ok])
    return x


def kalman_smooth(z: np.ndarray, likelihood: np.ndarray, process_sd: float = 2.0,
                  measurement_sd: float = 1.0) -> np.ndarray:
    """Constant-velocity RTS smoother of one coordinate track.

    Parameters
    ----------
    z
        Measurements (NaN = missing).
    likelihood
        Confidence of each measurement in [0, 1]; the measurement SD is
        ``measurement_sd / max(likelihood, 1e-3)``.
    process_sd
        SD of the random acceleration per frame (pixels/frame^2).
    """
    n = len(z)
    f = np.array([[1.0, 1.0], [0.0, 1.0]])
    q = process_sd**2 * np.array([[0.25, 0.5], [0.5, 1.0]])
    first = np.flatnonzero(np.isfinite(z))
    if len(first) == 0:
        return np.full(n, np.nan)
    xs = np.zeros((n, 2))
    ps = np.zeros((n, 2, 2))
    xp = np.zeros((n, 2))
    pp = np.zeros((n, 2, 2))
    x = np.array([z[first[0]], 0.0])
    p = np.diag([measurement_sd**2 * 100, 100.0])
    for t in range(n):
        if t > 0:
            x, p = f @ x, f @ p @ f.T + q
        xp[t], pp[t] = x, p
        if np.isfinite(z[t]):
            r = (measurement_sd / max(float(likelihood[t]), 1e-3)) ** 2
            k = p[:, 0] / (p[0, 0] + r)
            x = x + k * (z[t] - x[0])
            p = p - np.outer(k, p[0, :])
        xs[t], ps[t] = x, p
    for t in range(n - 2, -1, -1):
        c = ps[t] @ f.T @ np.linalg.inv(pp[t + 1])
        xs[t] = xs[t] + c @ (xs[t + 1] - xp[t + 1])
        ps[t] = ps[t] + c @ (ps[t + 1] - pp[t + 1]) @ c.T
    return xs[:, 0]


def filter_pose(df: pd.DataFrame, method: str = "median", window: int = 5, p_bound: float = 0.01,
                polyorder: int = 3, process_sd: float = 2.0, swaps: bool = False,
                broken_z: float | None = None, error_model=None) -> pd.DataFrame:
    """Filter a DLC pose table (see the module doc); returns a new table of the same shape.
    ``swaps``: repair swapped bodyparts first; ``broken_z``: drop points that break the body;
    ``error_model``: the calibration's :class:`~ethoflow.calibration.fit.ErrorModel`
    (method ``calibrated``)."""
    if method not in METHODS:
        raise ValueError(f"filter method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "calibrated" and error_model is None:
        raise ValueError("filter method calibrated needs the calibration's error model")
    if window < 1 or (method == "savgol" and (window % 2 == 0 or window <= polyorder)):
        raise ValueError(f"window {window} does not fit method {method} (savgol: odd, > polyorder)")
    if swaps:
        df, repaired = repair_swaps(df, p_bound)
        log.info("%d of %d frames had two bodyparts traded back", int(repaired.sum()), len(df))
    parts, xy, lik = pose_arrays(df)
    if broken_z:
        body = body_model(xy, lik, p_bound)
        if body is None:
            log.warning("too few frames with every bodypart found to learn the body: none dropped")
        else:
            broken = broken_points(body, np.where((lik >= p_bound)[..., None], xy, np.nan), broken_z)
            lik = np.where(broken, 0.0, lik)
            log.info("%d points in %d frames broke the body: dropped and interpolated", int(broken.sum()),
                     int(broken.any(axis=1).sum()))
    scorer = df.columns.get_level_values("scorer")[0]
    if method == "calibrated":
        from ethoflow.calibration.smoother import calibrated_smooth

        smooth, _ = calibrated_smooth(np.where((lik >= p_bound)[..., None], xy, np.nan), lik, parts, error_model)
        return pose_dataframe(smooth, lik, parts, scorer, index=df.index)
    smooth = np.empty_like(xy)
    for k in range(len(parts)):
        low = ~(lik[:, k] >= p_bound)
        for c in range(2):
            z = xy[:, k, c].copy()
            z[low] = np.nan
            if method == "kalman":
                smooth[:, k, c] = kalman_smooth(z, np.where(low, 0.0, lik[:, k]), process_sd)
                continue
            filled = interpolate_missing(z)
            if not np.isfinite(filled).any():
                smooth[:, k, c] = filled
            elif method == "median":
                smooth[:, k, c] = median_filter(filled, size=window, mode="nearest")
            else:
                smooth[:, k, c] = savgol_filter(filled, window, polyorder, mode="interp")
    return pose_dataframe(smooth, lik, parts, scorer, index=df.index)


def filter_session(pose_h5: str, out_h5: str, config: Mapping, calibration: str | None = None) -> pd.DataFrame:
    """The ``pose_filter`` stage: the ``_filtered`` pose table of one session.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.filter``.
    calibration
        The calibration file (``calibration.yaml``): needed by the method ``calibrated``.
    """
    f = config["pose"]["filter"]
    method = f["method"]
    model = None
    if method == "calibrated":
        from ethoflow.calibration.fit import read_error_model

        if not calibration:
            raise ValueError("pose.filter.method calibrated needs the calibration stage (calibration.enabled)")
        model = read_error_model(calibration)
    df = filter_pose(read_pose_table(pose_h5), method, f["window"], f["p_bound"], f["polyorder"],
                     f["process_sd"], f["repair_swaps"], f["broken_z"], model)
    write_pose_table(df, out_h5)
    return df
