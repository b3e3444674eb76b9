"""The calibrated smoother: a constant-velocity state-space model per bodypart and
coordinate, smoothed with a Rauch-Tung-Striebel pass, whose observation noise on each frame
is the error the calibration predicts from that frame's confidence.

- A point below the calibration's ``conf_threshold`` is missing (bridged by the model);
- a point above it is trusted as much as its confidence says: the observation variance per
  coordinate is ``(e / sqrt(2))**2``, ``e`` the predicted error in pixels (at least
  ``min_error_px``), from the bodypart's own line where it has one;
- the process noise (random acceleration, px/frame²) is chosen per bodypart by maximum
  likelihood of its observations among ``process_grid``: with the observation noise known,
  what is left to learn is how fast the bodypart moves.

Before the first and after the last kept point a track holds its nearest smoothed value
(as the other filters' interpolation does), rather than drifting with its last velocity.
"""

from __future__ import annotations

import logging

import numpy as np

from ethoflow.calibration.fit import ErrorModel

log = logging.getLogger(__name__)

__all__ = ["PROCESS_GRID", "calibrated_session", "calibrated_smooth", "rts_smooth"]

PROCESS_GRID = tuple(float(v) for v in np.round(np.logspace(-1, 1.5, 11), 4))


def rts_smooth(z: np.ndarray, r: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Constant-velocity RTS smoothing of many tracks at once.

    Parameters
    ----------
    z
        ``(T, B)`` observations; NaN = missing.
    r
        ``(T, B)`` observation variances (px²).
    q
        ``(B,)`` variance of the random acceleration per frame (px²/frame⁴).

    Returns
    -------
    smoothed : (T, B) positions
    loglik : (B,) log-likelihood of each track's observations (its innovations)
    """
    z = np.asarray(z, float)
    n, b = z.shape
    q = np.broadcast_to(np.asarray(q, float), (b,))
    seen = np.isfinite(z)
    first = np.argmax(seen, axis=0)
    x0 = np.where(seen.any(axis=0), z[first, np.arange(b)], 0.0)
    x1 = np.zeros(b)
    p00, p01, p11 = np.full(b, 1e4), np.zeros(b), np.full(b, 1e2)
    xf = np.empty((n, 2, b))  # filtered means
    pf = np.empty((n, 3, b))  # filtered covariances (00, 01, 11)
    pp = np.empty((n, 3, b))  # predicted covariances
    loglik = np.zeros(b)
    for t in range(n):
        if t > 0:
            x0 = x0 + x1
            p00, p01, p11 = p00 + 2 * p01 + p11 + q / 4, p01 + p11 + q / 2, p11 + q
        pp[t, 0], pp[t, 1], pp[t, 2] = p00, p01, p11
        ok = seen[t]
        if ok.any():
            s = p00 + np.where(ok, r[t], 1.0)
            innov = np.where(ok, z[t] - x0, 0.0)
            k0 = np.where(ok, p00 / s, 0.0)
            k1 = np.where(ok, p01 / s, 0.0)
            x0, x1 = x0 + k0 * innov, x1 + k1 * innov
            p00, p01, p11 = p00 - k0 * p00, p01 - k0 * p01, p11 - k1 * p01
            loglik -= np.where(ok, 0.5 * (np.log(2 * np.pi * s) + innov**2 / s), 0.0)
        xf[t, 0], xf[t, 1] = x0, x1
        pf[t, 0], pf[t, 1], pf[t, 2] = p00, p01, p11
    out = np.empty((n, b))
    s0, s1 = xf[-1, 0].copy(), xf[-1, 1].copy()
    out[-1] = s0
    for t in range(n - 2, -1, -1):
        f00, f01, f11 = pf[t]
        a, bb, c = pp[t + 1]
        det = a * c - bb * bb
        m00, m01, m10, m11 = f00 + f01, f01, f01 + f11, f11
        c00, c01 = (m00 * c - m01 * bb) / det, (m01 * a - m00 * bb) / det
        c10, c11 = (m10 * c - m11 * bb) / det, (m11 * a - m10 * bb) / det
        d0 = s0 - (xf[t, 0] + xf[t, 1])
        d1 = s1 - xf[t, 1]
        s0 = xf[t, 0] + c00 * d0 + c01 * d1
        s1 = xf[t, 1] + c10 * d0 + c11 * d1
        out[t] = s0
    out[:, ~seen.any(axis=0)] = np.nan
    return out, loglik


def _hold_ends(track: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Before the first and after the last observation, the nearest smoothed value."""
    idx = np.flatnonzero(seen)
    if len(idx):
        track[: idx[0]] = track[idx[0]]
        track[idx[-1] + 1 :] = track[idx[-1]]
    return track


def calibrated_smooth(xy: np.ndarray, lik: np.ndarray, bodyparts: list[str], model: ErrorModel,
                      min_error_px: float = 0.5,
                      process_grid: tuple[float, ...] = PROCESS_GRID) -> tuple[np.ndarray, dict[str, float]]:
    """Smooth ``(T, K, 2)`` coordinates with the observation noise the calibration predicts.

    Returns
    -------
    smoothed : (T, K, 2)
    process_sd : dict of bodypart to the random-acceleration SD (px/frame²) chosen for it
    """
    n, k, _ = xy.shape
    keep = (lik >= model.conf_threshold) & np.isfinite(xy).all(axis=-1)
    sd = np.stack([np.maximum(model.error(np.nan_to_num(lik[:, j]), bp), min_error_px) / np.sqrt(2)
                   for j, bp in enumerate(bodyparts)], axis=1)  # (T, K) per coordinate
    z = np.where(keep[..., None], xy, np.nan)  # (T, K, 2)
    grid = np.asarray(process_grid, float)
    g = len(grid)
    # every (bodypart, coordinate) at every grid value, in one pass
    zz = np.repeat(z.reshape(n, k * 2), g, axis=1)
    rr = np.repeat(np.repeat(sd**2, 2, axis=1), g, axis=1)
    qq = np.tile(grid**2, k * 2)
    _, loglik = rts_smooth(zz, rr, qq)
    best = loglik.reshape(k, 2, g).sum(axis=1).argmax(axis=1)  # (K,)
    chosen = np.repeat(grid[best] ** 2, 2)
    smooth, _ = rts_smooth(z.reshape(n, k * 2), np.repeat(sd**2, 2, axis=1), chosen)
    smooth = smooth.reshape(n, k, 2)
    for j in range(k):
        for c in range(2):
            smooth[:, j, c] = _hold_ends(smooth[:, j, c], keep[:, j])
    picked = {bp: float(grid[best[j]]) for j, bp in enumerate(bodyparts)}
    lost = [bp for j, bp in enumerate(bodyparts) if not keep[:, j].any()]
    if lost:
        log.warning("no point of %s reaches conf_threshold %.3f: left missing (NaN); lower "
                    "calibration.conf_threshold or check the network", ", ".join(lost), model.conf_threshold)
    log.info("calibrated smoother: %.1f%% of points below conf_threshold %.3f bridged; process SD per "
             "bodypart (px/frame^2): %s", 100 * (1 - keep.mean()), model.conf_threshold,
             ", ".join(f"{bp} {v:g}" for bp, v in picked.items()))
    return smooth, picked


def calibrated_session(pose_h5: str, calibration_yaml: str, out_h5: str, config) -> None:
    """The ``calibration_smooth`` stage: one session's ``_calibrated`` pose table (DLC format).

    As the filter stage does, swapped bodyparts are traded back and points that break the
    body dropped first; points below ``p_bound`` count as missing as well.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.filter`` (``p_bound``, ``repair_swaps``, ``broken_z``).
    """
    from ethoflow.calibration.fit import read_error_model
    from ethoflow.io.dlc import read_pose_table, write_pose_table
    from ethoflow.pose.filtering import filter_pose

    f = config["pose"]["filter"]
    model = read_error_model(calibration_yaml)
    df = filter_pose(read_pose_table(pose_h5), "calibrated", p_bound=f["p_bound"], swaps=f["repair_swaps"],
                     broken_z=f["broken_z"], error_model=model)
    write_pose_table(df, out_h5)
