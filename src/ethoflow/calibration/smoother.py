"""The calibrated smoother: a constant-velocity state-space model per bodypart and
coordinate, smoothed with a Rauch-Tung-Striebel pass, whose observation noise on each frame
is the error the calibration predicts from that frame's confidence.

- A point below the calibration's ``conf_threshold`` is missing (bridged by the model);
- a point above it is trusted as much as its confidence says: the observation SD per
  coordinate is ``scale * e / sqrt(2)``, ``e`` the error the line predicts from the point's
  confidence (at least ``min_error_px``), from the bodypart's own line where it has one. So
  the calibration sets how much each frame is trusted relative to the others;
- per bodypart, two numbers are chosen by maximum likelihood of its observations (the
  innovations of the Kalman filter), over a grid: ``scale``, the share of the predicted
  error that is frame-to-frame noise (a network's error is partly a bias that persists over
  frames, which no smoother removes and which, taken for noise, would smooth real motion
  away), and the random acceleration (px/frame²), how fast the bodypart moves.

Before the first and after the last kept point a track holds its nearest smoothed value
(as the other filters' interpolation does), rather than drifting with its last velocity.
"""

from __future__ import annotations

import logging

import numpy as np

from ethoflow.calibration.fit import ErrorModel

log = logging.getLogger(__name__)

__all__ = ["PROCESS_GRID", "SCALE_GRID", "calibrated_session", "calibrated_smooth", "kalman_loglik", "rts_smooth"]

PROCESS_GRID = tuple(float(v) for v in np.round(np.logspace(-1, 1.5, 16), 4))
SCALE_GRID = (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.4, 2.0)


def _predict(p00, p01, p11, q):
    return p00 + 2 * p01 + p11 + q / 4, p01 + p11 + q / 2, p11 + q


def _update(x0, x1, p00, p01, p11, z, r, ok):
    """The Kalman measurement update where ``ok`` (elsewhere the state is kept); also returns
    the innovation and its variance."""
    s = p00 + np.where(ok, r, 1.0)
    innov = np.where(ok, z - x0, 0.0)
    k0 = np.where(ok, p00 / s, 0.0)
    k1 = np.where(ok, p01 / s, 0.0)
    return x0 + k0 * innov, x1 + k1 * innov, p00 - k0 * p00, p01 - k0 * p01, p11 - k1 * p01, s, innov


def kalman_loglik(z: np.ndarray, r: np.ndarray, q: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
    """Log-likelihood of each track's observations under the constant-velocity model, for
    every observation-noise scale and process noise at once (the forward pass of
    :func:`rts_smooth` alone, without storage).

    Parameters
    ----------
    z, r
        ``(T, B)`` observations (NaN = missing) and their variances (px²).
    q
        ``(G,)`` random-acceleration variances to try.
    scale
        ``(S,)`` factors of the observation SD to try (default: 1).

    Returns
    -------
    numpy.ndarray
        ``(B, S, G)`` log-likelihoods.
    """
    z = np.asarray(z, float)
    n, b = z.shape
    scale2 = (np.ones(1) if scale is None else np.asarray(scale, float))[None, :, None] ** 2
    q = np.asarray(q, float)[None, None, :]
    shape = (b, scale2.shape[1], q.shape[2])
    seen = np.isfinite(z)
    start = np.where(seen.any(axis=0), z[np.argmax(seen, axis=0), np.arange(b)], 0.0)
    x0 = np.broadcast_to(start[:, None, None], shape).copy()
    x1 = np.zeros(shape)
    p00, p01, p11 = np.full(shape, 1e4), np.zeros(shape), np.full(shape, 1e2)
    loglik = np.zeros(shape)
    for t in range(n):
        if t > 0:
            x0 = x0 + x1
            p00, p01, p11 = _predict(p00, p01, p11, q)
        ok = seen[t]
        if not ok.any():
            continue
        okb = ok[:, None, None]
        x0, x1, p00, p01, p11, s, innov = _update(
            x0, x1, p00, p01, p11, np.where(ok, z[t], 0.0)[:, None, None],
            np.where(ok, r[t], 1.0)[:, None, None] * scale2, okb)
        loglik -= np.where(okb, 0.5 * (np.log(2 * np.pi * s) + innov**2 / s), 0.0)
    return loglik


def _search_blocks(n: int, frames: int, block: int = 1000) -> list[slice]:
    """Frames the parameter search looks at: all, or evenly spread blocks of ``block``."""
    if n <= frames:
        return [slice(0, n)]
    starts = np.linspace(0, n - block, frames // block).astype(int)
    return [slice(a, a + block) for a in starts]


def rts_smooth(z: np.ndarray, r: np.ndarray, q: np.ndarray) -> np.ndarray:
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
    numpy.ndarray
        ``(T, B)`` smoothed positions (NaN for a track without any observation).
    """
    z = np.asarray(z, float)
    n, b = z.shape
    q = np.broadcast_to(np.asarray(q, float), (b,))
    seen = np.isfinite(z)
    x0 = np.where(seen.any(axis=0), z[np.argmax(seen, axis=0), np.arange(b)], 0.0)
    x1 = np.zeros(b)
    p00, p01, p11 = np.full(b, 1e4), np.zeros(b), np.full(b, 1e2)
    xf = np.empty((n, 2, b))  # filtered means
    pf = np.empty((n, 3, b))  # filtered covariances (00, 01, 11)
    pp = np.empty((n, 3, b))  # predicted covariances
    for t in range(n):
        if t > 0:
            x0 = x0 + x1
            p00, p01, p11 = _predict(p00, p01, p11, q)
        pp[t, 0], pp[t, 1], pp[t, 2] = p00, p01, p11
        ok = seen[t]
        if ok.any():
            x0, x1, p00, p01, p11, _, _ = _update(x0, x1, p00, p01, p11, np.where(ok, z[t], 0.0), r[t], ok)
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
    return out


def _hold_ends(track: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Before the first and after the last observation, the nearest smoothed value."""
    idx = np.flatnonzero(seen)
    if len(idx):
        track[: idx[0]] = track[idx[0]]
        track[idx[-1] + 1 :] = track[idx[-1]]
    return track


def calibrated_smooth(xy: np.ndarray, lik: np.ndarray, bodyparts: list[str], model: ErrorModel,
                      min_error_px: float = 0.5, process_grid: tuple[float, ...] = PROCESS_GRID,
                      scale_grid: tuple[float, ...] = SCALE_GRID,
                      search_frames: int = 6000) -> tuple[np.ndarray, dict[str, tuple[float, float]]]:
    """Smooth ``(T, K, 2)`` coordinates with the observation noise the calibration predicts.

    Returns
    -------
    smoothed : (T, K, 2)
    chosen : dict of bodypart to (noise scale, random-acceleration SD in px/frame²)
    """
    n, k, _ = xy.shape
    keep = (lik >= model.conf_threshold) & np.isfinite(xy).all(axis=-1)
    sd = np.stack([np.maximum(model.error(np.nan_to_num(lik[:, j]), bp), min_error_px) / np.sqrt(2)
                   for j, bp in enumerate(bodyparts)], axis=1)  # (T, K) per coordinate
    z = np.where(keep[..., None], xy, np.nan)  # (T, K, 2)
    q, c = np.asarray(process_grid, float), np.asarray(scale_grid, float)
    # the search: every (bodypart, coordinate) over at most search_frames frames (blocks of a
    # long session side by side, as separate tracks), every scale and process SD at once
    blocks = _search_blocks(n, search_frames)
    length = min(b.stop - b.start for b in blocks)
    zz = np.concatenate([z[b][:length].reshape(length, -1) for b in blocks], axis=1)
    rr = np.concatenate([np.repeat(sd[b][:length] ** 2, 2, axis=1) for b in blocks], axis=1)
    loglik = kalman_loglik(zz, rr, q**2, c)  # (blocks * K * 2, S, G)
    loglik = loglik.reshape(len(blocks), k, 2, len(c), len(q)).sum(axis=(0, 2)).reshape(k, -1)
    best_c, best_q = np.unravel_index(loglik.argmax(axis=1), (len(c), len(q)))
    r = np.repeat((sd * c[best_c]) ** 2, 2, axis=1)  # (T, 2K): bodypart-major, x then y
    smooth = rts_smooth(z.reshape(n, k * 2), r, np.repeat(q[best_q] ** 2, 2)).reshape(n, k, 2)
    for j in range(k):
        for col in range(2):
            smooth[:, j, col] = _hold_ends(smooth[:, j, col], keep[:, j])
    chosen = {bp: (float(c[best_c[j]]), float(q[best_q[j]])) for j, bp in enumerate(bodyparts)}
    lost = [bp for j, bp in enumerate(bodyparts) if not keep[:, j].any()]
    if lost:
        log.warning("no point of %s reaches conf_threshold %.3f: left missing (NaN); lower "
                    "calibration.conf_threshold or check the network", ", ".join(lost), model.conf_threshold)
    log.info("calibrated smoother: %.1f%% of points below conf_threshold %.3f bridged; per bodypart, the "
             "share of the predicted error that is frame-to-frame noise and the random acceleration "
             "(px/frame^2): %s", 100 * (1 - keep.mean()), model.conf_threshold,
             ", ".join(f"{bp} {v[0]:g}, {v[1]:g}" for bp, v in chosen.items()))
    return smooth, chosen


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
