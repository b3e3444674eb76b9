"""The animal's body as a check on its pose: bone tables, body geometry, and exchanged points.

:func:`analyze_skeleton` is DeepLabCut's ``analyze_skeleton``: per frame and per bone of the
configured skeleton, its length, its orientation and the likelihood of its weaker end.

A :class:`BodyModel` holds the animal's usual geometry, learnt from frames where every
bodypart is confident (a session's own predictions, or labelled frames):

- for every pair of bodyparts, the median distance and a robust spread (scaled MAD), so a
  distance far outside its usual range (a "bone" too long or too short) is noticed;
- for every triple of bodyparts whose handedness is stable (the sign of the triangle's
  signed area is the same in at least 75% of frames, and the triangle is not flat), that
  sign. Exchanging two points of a triangle flips it, so a left-right or a head-tail
  exchange shows up even where every distance still looks plausible.

:func:`body_costs` scores each frame against the model; :func:`find_swaps` tries every
exchange of two bodyparts on the frames that look wrong and reports the exchange that makes
the body consistent again; :func:`repair_swaps` undoes that exchange where exactly one
exchange does so. A head-tail swap of a top-view network (the snout predicted on the tail
base and the tail base on the snout) is the case this was built for: it keeps a high
likelihood, so p-cutoff and likelihood-based filters let it through.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ethoflow.io.dlc import pose_arrays, pose_dataframe, read_pose_table
from ethoflow.io.files import atomic_path

log = logging.getLogger(__name__)

__all__ = ["BodyModel", "analyze_skeleton", "body_costs", "body_model", "broken_points", "distance_z",
           "find_swaps", "repair_swaps", "skeleton_session"]

# A flipped stable triangle costs as much as one distance at the cap (4 robust SDs off).
_CAP = 16.0


def analyze_skeleton(df: pd.DataFrame, skeleton: list[list[str]]) -> pd.DataFrame:
    """DeepLabCut's skeleton table of a pose table.

    Columns are (bone, feature): the bone is named ``<bp1>_<bp2>``; ``length`` in pixels;
    ``orientation`` the angle of the vector from ``bp1`` to ``bp2``, ``atan2(dy, dx)`` in
    degrees in [0, 360) (image coordinates, y down, as DLC computes it); ``likelihood`` the
    smaller of the two ends' likelihoods (DLC 3.0.2 takes ``bp2``'s twice).

    Raises
    ------
    ValueError
        If the skeleton names a bodypart the table lacks, or is empty.
    """
    parts, xy, lik = pose_arrays(df)
    if not skeleton:
        raise ValueError("no skeleton configured (pose.skeleton): nothing to analyse")
    missing = sorted({p for bone in skeleton for p in bone} - set(parts))
    if missing:
        raise ValueError(f"skeleton bodyparts {missing} are not in the pose table ({parts})")
    bones = {}
    for a, b in skeleton:
        i, j = parts.index(a), parts.index(b)
        d = xy[:, j] - xy[:, i]
        bones[f"{a}_{b}"] = pd.DataFrame({
            "length": np.hypot(d[:, 0], d[:, 1]),
            "orientation": np.mod(np.degrees(np.arctan2(d[:, 1], d[:, 0])), 360.0),
            "likelihood": np.minimum(lik[:, i], lik[:, j]),
        }, index=df.index)
    out = pd.concat(bones, axis=1)
    out.columns.names = ["bones", "coords"]
    return out


@dataclass(frozen=True)
class BodyModel:
    """The usual geometry of one animal (see the module doc).

    Attributes
    ----------
    pairs : (P, 2) int
        Index pairs of bodyparts.
    median, spread : (P,) float
        Their median distance and robust spread (1.4826 MAD, at least 10% of the median
        and 2 px), in pixels.
    triples : (T, 3) int
        Triples of bodyparts of stable handedness.
    sign : (T,) float
        Their usual sign (+1 or -1) of the signed area.
    area : (T,) float
        Their median absolute area: a triangle under a quarter of it counts as flat
        (its sign is not trusted).
    frames : int
        Frames the model was learnt from.
    """

    pairs: np.ndarray
    median: np.ndarray
    spread: np.ndarray
    triples: np.ndarray
    sign: np.ndarray
    area: np.ndarray
    frames: int


def _signed_area(xy: np.ndarray, triples: np.ndarray) -> np.ndarray:
    a, b, c = (xy[:, triples[:, k]] for k in range(3))
    u, v = b - a, c - a
    return 0.5 * (u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0])


def _distances(xy: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    return np.linalg.norm(xy[:, pairs[:, 0]] - xy[:, pairs[:, 1]], axis=-1)


def body_model(xy: np.ndarray, lik: np.ndarray | None = None, pcutoff: float = 0.0,
               min_frames: int = 10, stable: float = 0.75) -> BodyModel | None:
    """Learn a :class:`BodyModel` from the frames where every bodypart is present (and, with
    ``lik``, at least ``pcutoff`` likely). None if fewer than ``min_frames`` such frames or
    fewer than 2 bodyparts.

    Parameters
    ----------
    xy
        (N, K, 2) coordinates.
    stable
        Fraction of frames in which a triple must keep its sign to count as stable.
    """
    xy = np.asarray(xy, float)
    k = xy.shape[1]
    ok = np.isfinite(xy).all(axis=(1, 2))
    if lik is not None:
        ok &= (np.asarray(lik) >= pcutoff).all(axis=1)
    if ok.sum() < min_frames or k < 2:
        return None
    good = xy[ok]
    pairs = np.array(list(itertools.combinations(range(k), 2)), int)
    d = _distances(good, pairs)
    median = np.median(d, axis=0)
    spread = np.maximum.reduce([1.4826 * np.median(np.abs(d - median), axis=0), 0.1 * median,
                                np.full_like(median, 2.0)])
    triples = np.array(list(itertools.combinations(range(k), 3)), int).reshape(-1, 3)
    if len(triples):
        area = _signed_area(good, triples)
        positive = (area > 0).mean(axis=0)
        sign = np.where(positive >= 0.5, 1.0, -1.0)
        keep = (np.maximum(positive, 1 - positive) >= stable) & (np.median(np.abs(area), axis=0) > 4.0)
        triples, sign = triples[keep], sign[keep]
        size = np.median(np.abs(area[:, keep]), axis=0)
    else:
        sign = size = np.zeros(0)
    return BodyModel(pairs, median, spread, triples, sign, size, int(ok.sum()))


def distance_z(model: BodyModel, xy: np.ndarray) -> np.ndarray:
    """(N, P) robust z-scores of each frame's distances between the model's pairs of
    bodyparts (NaN where a point is missing)."""
    return (_distances(np.asarray(xy, float), model.pairs) - model.median) / model.spread


def broken_points(model: BodyModel, xy: np.ndarray, z: float = 5.0,
                  max_share: float = 0.25) -> np.ndarray:
    """(N, K) points that break the body: in a frame where some distances are more than ``z``
    robust SDs off, the point in the most such distances, if it is in at least two (one
    broken distance does not say which end is wrong). The snout predicted on the tail base
    breaks its distances to both ears and to the tail base.

    A bodypart that would break the body in more than ``max_share`` of its frames is left
    alone: errors are the exception, so the model does not describe that point (a network
    still learning, a point that moves between two places).
    """
    broken = np.abs(np.nan_to_num(distance_z(model, xy))) > z
    count = np.zeros(np.shape(xy)[:2], int)
    for p, (i, j) in enumerate(model.pairs):
        count[:, i] += broken[:, p]
        count[:, j] += broken[:, p]
    out = (count >= 2) & (count == count.max(axis=1, keepdims=True))
    seen = np.isfinite(np.asarray(xy, float)).all(axis=-1).sum(axis=0)
    too_many = out.sum(axis=0) > max_share * np.maximum(seen, 1)
    if too_many.any():
        log.warning("bodypart(s) %s would break the body in more than %d%% of frames: not dropped",
                    np.flatnonzero(too_many).tolist(), round(100 * max_share))
        out[:, too_many] = False
    return out


def body_costs(model: BodyModel, xy: np.ndarray) -> np.ndarray:
    """How far each frame's body is from the model: (N,) costs, 0 for a typical body.

    Each distance adds its squared robust z-score (capped at 16); each stable triangle
    turned over (and not flat) adds 16. Terms with a missing point add nothing.
    """
    xy = np.asarray(xy, float)
    z = distance_z(model, xy)
    cost = np.nansum(np.minimum(z**2, _CAP), axis=1)
    if len(model.triples):
        area = _signed_area(xy, model.triples)
        flipped = (area * model.sign < 0) & (np.abs(area) > 0.25 * model.area)
        cost += _CAP * flipped.sum(axis=1)
    return cost


def find_swaps(model: BodyModel, xy: np.ndarray, min_gain: float = 2 * _CAP
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each frame, the exchange of two bodyparts that best restores the body.

    Only frames costing more than ``min_gain`` are tried (a cheaper frame cannot gain
    that much). An exchange counts when it lowers the frame's cost by at least ``min_gain``
    (two capped terms) and to less than half.

    Returns
    -------
    pair : (N, 2) int
        The best exchange, or (-1, -1) where none counts.
    gain : (N,) float
        Its cost reduction (0 where none counts).
    runner_up : (N,) float
        The reduction of the second-best exchange (for :func:`repair_swaps`' ambiguity check).
    """
    xy = np.asarray(xy, float)
    n, k = xy.shape[:2]
    pair = np.full((n, 2), -1, int)
    gain = np.zeros(n)
    runner = np.zeros(n)
    cost = body_costs(model, xy)
    todo = np.flatnonzero(cost > min_gain)
    if len(todo) == 0:
        return pair, gain, runner
    sub = xy[todo]
    gains = []
    swaps = list(itertools.combinations(range(k), 2))
    for i, j in swaps:
        alt = sub.copy()
        alt[:, [i, j]] = alt[:, [j, i]]
        c = body_costs(model, alt)
        gains.append(np.where((c < 0.5 * cost[todo]), cost[todo] - c, 0.0))
    gains = np.stack(gains, axis=1)
    order = np.argsort(-gains, axis=1)
    best = gains[np.arange(len(todo)), order[:, 0]]
    second = gains[np.arange(len(todo)), order[:, 1]] if len(swaps) > 1 else np.zeros(len(todo))
    hit = best >= min_gain
    idx = todo[hit]
    pair[idx] = np.asarray(swaps)[order[hit, 0]]
    gain[idx] = best[hit]
    runner[idx] = second[hit]
    return pair, gain, runner


def repair_swaps(df: pd.DataFrame, pcutoff: float = 0.0, model: BodyModel | None = None,
                 ambiguity: float = 0.5) -> tuple[pd.DataFrame, np.ndarray]:
    """Undo exchanged bodyparts (coordinates and likelihoods) where the fix is unambiguous:
    one exchange restores the body (:func:`find_swaps`) and the next best does less than
    ``ambiguity`` times as much.

    Parameters
    ----------
    model
        The body to check against; None: learnt from the table's own frames where every
        bodypart is at least ``pcutoff`` likely (right while most frames are right).

    Returns
    -------
    table : pandas.DataFrame
        A new table of the same format.
    repaired : (N,) bool
        The frames changed.
    """
    parts, xy, lik = pose_arrays(df)
    model = model or body_model(xy, lik, pcutoff)
    repaired = np.zeros(len(xy), bool)
    if model is None:
        log.warning("too few confident frames to learn the body: no swaps repaired")
        return df.copy(), repaired
    xy, lik = xy.copy(), lik.copy()
    pair, gain, runner = find_swaps(model, xy)
    fix = np.flatnonzero((pair[:, 0] >= 0) & (runner < ambiguity * gain))
    for t in fix:
        i, j = pair[t]
        xy[t, [i, j]] = xy[t, [j, i]]
        lik[t, [i, j]] = lik[t, [j, i]]
    repaired[fix] = True
    scorer = df.columns.get_level_values("scorer")[0]
    return pose_dataframe(xy, lik, parts, scorer, index=df.index), repaired


def skeleton_session(pose_h5: str, out_csv: str, config: Mapping) -> pd.DataFrame:
    """The ``pose_skeleton`` stage: the skeleton table (:func:`analyze_skeleton`) of one
    session's filtered pose, as a CSV with two header rows (bones, then
    length/orientation/likelihood), as DeepLabCut's ``analyzeskeleton(save_as_csv=True)``.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.skeleton``.
    """
    table = analyze_skeleton(read_pose_table(pose_h5), config["pose"]["skeleton"])
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, lineterminator="\n")
    log.info("%s: %d bones over %d frames -> %s", pose_h5, table.shape[1] // 3, len(table), out_csv)
    return table
