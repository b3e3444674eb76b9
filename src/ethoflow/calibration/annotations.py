"""Annotated points for the error calibration: where a bodypart really was, against what the
network said, and how confident it was.

From a person: keypoint-MoSeq's ``error_annotations.csv`` (columns ``key, coordinate_index,
video_frame_index, bodypart, x, y``; ``#`` comment lines; written by keypoint-MoSeq's widget,
by ethoflow's annotation page, or by any tool), read against the sessions' pose tables by
:func:`read_annotations`. A row with empty x and y is a bodypart marked "not visible": it is
counted and left out.

With no human at all (:func:`automatic_points`), from what the project already has:

``heldout``
    each shuffle's test images (labelled, never trained on), predicted by that shuffle's
    network, against their human labels;
``refined``
    outlier frames relabelled in the labelling loop: the network's predictions for them
    (``machinelabels-iter<N>.h5``, written when they were picked, with likelihoods) against
    the labels a person then gave them. A frame counts once its labels differ from the
    predictions anywhere (it was looked at); frames whose labels are still the merged
    predictions are left out;
``truth``
    on the demo, the generator's true keypoints at the sampled (session, frame, bodypart)
    triples: the annotation a perfect annotator would give.

Every point table has keypoint-MoSeq's columns first (x, y = the true location), then
``x_pred, y_pred, confidence, error_px, source``. :func:`calibration_points` is the stage.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.exceptions import EthoflowError, FileFormatError
from ethoflow.io.dlc import pose_arrays, read_pose_table
from ethoflow.io.files import provenance, write_table

log = logging.getLogger(__name__)

__all__ = ["POINT_COLUMNS", "automatic_points", "calibration_points", "heldout_points",
           "read_annotations", "refined_points", "truth_points"]

KPMS_COLUMNS = ["key", "coordinate_index", "video_frame_index", "bodypart", "x", "y"]
POINT_COLUMNS = KPMS_COLUMNS + ["x_pred", "y_pred", "confidence", "error_px", "source"]
# session and bodypart names stay text when they look like numbers ("2021", "1")
NAMES = {"key": str, "bodypart": str}
SOURCES = ("heldout", "refined", "truth")


def _points(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=POINT_COLUMNS)
    df["error_px"] = np.hypot(df["x"] - df["x_pred"], df["y"] - df["y_pred"])
    return df


def _frame_number(image: str) -> int:
    """The video frame of a DLC image name (``img00042.png`` -> 42); -1 if it has none."""
    m = re.search(r"(\d+)\.\w+$", Path(image).name)
    return int(m.group(1)) if m else -1


def read_annotations(path: str | os.PathLike, poses: Mapping[str, tuple[list[str], np.ndarray, np.ndarray]],
                     frame_index: Mapping[str, np.ndarray] | None = None) -> tuple[pd.DataFrame, int]:
    """Annotated points of a keypoint-MoSeq ``error_annotations.csv``.

    Parameters
    ----------
    poses
        Per session: bodyparts, ``(n_rows, K, 2)`` predictions and ``(n_rows, K)`` confidences
        of its pose table.
    frame_index
        Per session, the video frame of each pose row (default: the row number).

    Returns
    -------
    points : pandas.DataFrame
        :data:`POINT_COLUMNS`, source ``annotations``.
    not_visible : int
        Rows marked not visible (empty x and y), left out.

    Raises
    ------
    EthoflowError
        Naming the file, the row and the cause: a missing column, a session without a pose
        table, a row or video frame outside it, an unknown bodypart.
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, comment="#", skip_blank_lines=True, dtype=NAMES)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise FileFormatError(f"{path}: not a readable annotations CSV ({err})") from None
    missing = [c for c in KPMS_COLUMNS if c not in df.columns]
    if missing:
        raise FileFormatError(f"{path}: missing column(s) {missing}; keypoint-MoSeq's error_annotations.csv "
                              f"has {', '.join(KPMS_COLUMNS)}")
    hidden = df["x"].isna() & df["y"].isna()
    rows = []
    for line, r in df[~hidden].iterrows():
        where = f"{path}: row {line + 1} ({r.key}, {r.coordinate_index}, {r.bodypart})"
        if r.key not in poses:
            raise EthoflowError(f"{where}: session {r.key!r} has no pose table (sessions: "
                                f"{', '.join(sorted(poses)[:10])}{' ...' if len(poses) > 10 else ''})")
        parts, xy, lik = poses[r.key]
        t = int(r.coordinate_index)
        if not 0 <= t < len(xy):
            raise EthoflowError(f"{where}: coordinate_index {t} is outside the pose table's {len(xy)} rows")
        if r.bodypart not in parts:
            raise EthoflowError(f"{where}: bodypart {r.bodypart!r} is not in the pose table ({parts})")
        expected = int(frame_index[r.key][t]) if frame_index and r.key in frame_index else t
        if int(r.video_frame_index) != expected:
            raise EthoflowError(f"{where}: video_frame_index {int(r.video_frame_index)} but pose row {t} is "
                                f"video frame {expected} (calibration.video_frame_indexes)")
        if not (np.isfinite(r.x) and np.isfinite(r.y)):
            raise EthoflowError(f"{where}: x and y must both be numbers (or both empty: not visible)")
        k = parts.index(r.bodypart)
        rows.append({"key": r.key, "coordinate_index": t, "video_frame_index": expected, "bodypart": r.bodypart,
                     "x": float(r.x), "y": float(r.y), "x_pred": xy[t, k, 0], "y_pred": xy[t, k, 1],
                     "confidence": lik[t, k], "source": "annotations"})
    points = _points(rows)
    bad = ~np.isfinite(points[["x_pred", "y_pred", "confidence"]].to_numpy(float)).all(axis=1)
    if bad.any():
        log.warning("%s: %d annotated points have no prediction in the pose table: left out", path, int(bad.sum()))
        points = points[~bad]
    return points.reset_index(drop=True), int(hidden.sum())


def heldout_points(model_pt: str, dataset_json: str, project: str, likelihood: str = "unique",
                   device: str = "auto", flip_test: bool = False) -> pd.DataFrame:
    """The test images of one shuffle, predicted by its network, against their labels."""
    from ethoflow.pose.dataset import read_dataset
    from ethoflow.pose.inference import predict_images
    from ethoflow.pose.labels import load_images
    from ethoflow.pose.network import load_model

    dataset, labels = read_dataset(dataset_json)
    test = [int(i) for i in dataset["test"]]
    if not test:
        return _points([])
    model, parts = load_model(model_pt, device)
    images = load_images([labels.images[i] for i in test], project)
    pred, lik = predict_images(model, images, likelihood=likelihood, flip_test=flip_test)
    rows = []
    for j, i in enumerate(test):
        image = labels.images[i]
        folder = Path(image).parent.name
        frame = _frame_number(image)
        for k, bp in enumerate(parts):
            x, y = labels.xy[i, k]
            if np.isfinite(x) and np.isfinite(y):
                rows.append({"key": folder, "coordinate_index": frame, "video_frame_index": frame, "bodypart": bp,
                             "x": x, "y": y, "x_pred": pred[j, k, 0], "y_pred": pred[j, k, 1],
                             "confidence": lik[j, k], "source": "heldout"})
    return _points(rows)


def refined_points(machine_h5s: Sequence[str], bodyparts: Sequence[str] | None = None) -> pd.DataFrame:
    """Relabelled outlier frames: the predictions of the network that picked them
    (``machinelabels-iter<N>.h5``) against the labels beside them, for frames a person
    changed (see the module doc)."""
    from ethoflow.pose.labels import labels_file

    rows = []
    for machine_h5 in machine_h5s:
        folder = Path(machine_h5).parent
        try:
            human = read_pose_table(labels_file(folder))
        except EthoflowError:
            continue
        human.index = [str(Path(*i)) if isinstance(i, tuple) else str(i) for i in human.index]
        machine = read_pose_table(machine_h5)
        machine.index = [str(Path(*i)) if isinstance(i, tuple) else str(i) for i in machine.index]
        parts, mxy, mlik = pose_arrays(machine, bodyparts)
        common = [i for i in machine.index if i in set(human.index)]
        if not common:
            continue
        where = machine.index.get_indexer(common)
        _, hxy, _ = pose_arrays(human.loc[common], parts)
        pxy, plik = mxy[where], mlik[where]
        # merge_machine_labels copies predictions with likelihood >= its pcutoff (0.6) and
        # leaves the rest missing: a frame whose labels are exactly that was not looked at
        copied = np.where((plik >= 0.6)[..., None], pxy, np.nan)
        same = np.isclose(hxy, copied, atol=1e-3) | (np.isnan(hxy) & np.isnan(copied))
        reviewed = ~same.all(axis=(1, 2))
        for j in np.flatnonzero(reviewed):
            frame = _frame_number(common[j])
            for k, bp in enumerate(parts):
                x, y = hxy[j, k]
                if np.isfinite(x) and np.isfinite(y) and np.isfinite(plik[j, k]):
                    rows.append({"key": folder.name, "coordinate_index": frame, "video_frame_index": frame,
                                 "bodypart": bp, "x": x, "y": y, "x_pred": pxy[j, k, 0], "y_pred": pxy[j, k, 1],
                                 "confidence": plik[j, k], "source": "refined"})
        log.info("%s: %d of %d extracted frames relabelled", machine_h5, int(reviewed.sum()), len(common))
    return _points(rows)


def truth_points(samples: pd.DataFrame, poses: Mapping[str, tuple[list[str], np.ndarray, np.ndarray]],
                 truths: Mapping[str, str]) -> pd.DataFrame:
    """The sampled triples annotated with the demo generator's true keypoints."""
    rows = []
    cache: dict[str, tuple[list[str], np.ndarray]] = {}
    for r in samples.itertuples(index=False):
        if r.key not in truths:
            continue
        if r.key not in cache:
            parts, txy, _ = pose_arrays(read_pose_table(truths[r.key]))
            cache[r.key] = (parts, txy)
        tparts, txy = cache[r.key]
        parts, xy, lik = poses[r.key]
        k, tk, t = parts.index(r.bodypart), tparts.index(r.bodypart), int(r.coordinate_index)
        rows.append({"key": r.key, "coordinate_index": t, "video_frame_index": int(r.video_frame_index),
                     "bodypart": r.bodypart, "x": txy[int(r.video_frame_index), tk, 0],
                     "y": txy[int(r.video_frame_index), tk, 1], "x_pred": xy[t, k, 0], "y_pred": xy[t, k, 1],
                     "confidence": lik[t, k], "source": "truth"})
    return _points(rows)


def automatic_points(sources: Sequence[str], shuffles: Sequence[tuple[str, str]] = (), project: str = "",
                     machine_h5s: Sequence[str] = (), samples: pd.DataFrame | None = None,
                     poses: Mapping | None = None, truths: Mapping[str, str] | None = None,
                     likelihood: str = "unique", device: str = "auto", flip_test: bool = False
                     ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Points from every configured source that the project has; returns them and the count
    per source (0 where a source gave none)."""
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise EthoflowError(f"calibration.sources: unknown {unknown} (known: {', '.join(SOURCES)})")
    parts = []
    if "heldout" in sources:
        parts += [heldout_points(m, d, project, likelihood, device, flip_test) for m, d in shuffles]
    if "refined" in sources and machine_h5s:
        parts.append(refined_points(machine_h5s))
    if "truth" in sources and truths and samples is not None:
        parts.append(truth_points(samples, poses or {}, truths))
    parts = [p for p in parts if len(p)]
    points = pd.concat(parts, ignore_index=True) if parts else _points([])
    counts = {s: int((points["source"] == s).sum()) for s in sources}
    return points, counts


def calibration_points(out_csv: str, config: Mapping, pose_h5s: Sequence[str] = (), sessions: Sequence[str] = (),
                       sessions_tsv: str | None = None, samples_tsv: str | None = None, annotations: str | None = None,
                       shuffles: Sequence[tuple[str, str]] = (), project: str = "",
                       machine_h5s: Sequence[str] = (), truths: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The ``calibration_points`` stage: the annotated points the fit uses, from the
    configured annotations file or, without one, from the automatic sources.

    Parameters
    ----------
    config
        The keys this stage reads: ``calibration``, ``pose.inference`` (``likelihood``,
        ``device``, ``flip_test``: the held-out predictions are made as the pose tables were),
        ``discover.frame_count_tolerance``.
    """
    from ethoflow.calibration.sampling import load_poses

    c = config["calibration"]
    poses, frame_index = load_poses(pose_h5s, sessions, sessions_tsv, config)
    samples = pd.read_csv(samples_tsv, sep="\t", comment="#", dtype=NAMES) if samples_tsv else None
    if annotations:
        points, hidden = read_annotations(annotations, poses, frame_index)
        counts = {"annotations": len(points), "not visible": hidden}
        meta = {"source": "annotations", "file": str(annotations)}
    else:
        inf = config["pose"]["inference"]
        points, counts = automatic_points(c["sources"], shuffles, project, machine_h5s, samples, poses, truths,
                                          inf["likelihood"], inf["device"], inf["flip_test"])
        meta = {"source": "automatic", "sources": list(c["sources"])}
    log.info("annotated points: %s", ", ".join(f"{k}: {v}" for k, v in counts.items()))
    write_table(points.round(4), out_csv, comment=provenance({**meta, "counts": counts}))
    return points
