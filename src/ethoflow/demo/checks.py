"""The demo's checks: every stage's results against the ground truth the generator drew.

``check_pose`` compares the pose tables with the true keypoints, ``check_face`` the face
components with the face oscillations, ``check_motifs`` the motifs with the hidden behaviour
states. Each is a rule of ``rules/demo.smk`` and writes one table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from ethoflow.behaviour.io import read_segmentation
from ethoflow.demo.simulate import moving_average
from ethoflow.face.io import read_face
from ethoflow.io.dlc import pose_arrays, read_pose_table
from ethoflow.io.files import provenance, write_table
from ethoflow.pose.dataset import read_dataset
from ethoflow.pose.metrics import mean_error, pixel_errors

log = logging.getLogger(__name__)

__all__ = [
    "FACE_TRUTH_KIND",
    "check_face",
    "check_motifs",
    "check_pose",
    "compare_face",
    "state_agreement",
]


#: How each face-truth column relates to movement: an oscillation's amplitude, or a
#: level (pupil radius) whose changes are the movement.
FACE_TRUTH_KIND = {"whiskers": "amplitude", "mouth": "amplitude", "eye": "level"}


def compare_face(face_h5: str | os.PathLike, truth_csv: str | os.PathLike,
                 window_s: float = 0.3, ncomp: int = 3) -> pd.DataFrame:
    """How well a session's face-SVD outputs track the movements the generator made.

    For each ROI with a truth column, the truth's movement is the oscillation
    amplitude (whiskers, mouth) or ``|eye[t] - eye[t-1]|`` (pupil and blinks).
    Everything is smoothed over ``window_s``; the table gives the Pearson
    correlation of the ROI's motion energy with it, and the best absolute
    correlation among the ROI's ``ncomp`` leading motion-SVD components.

    Parameters
    ----------
    face_h5
        Output of :func:`ethoflow.face.svd.process_video` for the session's face video.
    truth_csv
        The session's ``face_truth`` file from :func:`ethoflow.demo.simulate.write_session`.
    """
    face = read_face(face_h5)
    truth = pd.read_csv(truth_csv)
    fps = float(face["attrs"].get("fps", 30.0))
    k = max(1, int(round(window_s * fps)))
    rows = []
    for name, kind in FACE_TRUTH_KIND.items():
        if name not in face["motion"] or name not in truth.columns:
            continue
        signal = truth[name].to_numpy(float)
        if kind == "level":
            signal = np.abs(np.diff(signal, prepend=signal[0]))
        moving = moving_average(signal, k)
        comps = face["motSVD"][name][:, :ncomp]
        corrs = [abs(np.corrcoef(moving_average(comps[:, j], k), moving)[0, 1]) for j in range(comps.shape[1])]
        best = int(np.argmax(corrs))
        rows.append({
            "roi": name,
            "truth": kind,
            "energy_r": float(np.corrcoef(moving_average(face["motion"][name], k), moving)[0, 1]),
            "best_component": best + 1,
            "component_r": float(corrs[best]),
        })
    return pd.DataFrame(rows)


def check_face(face_h5s: list, truth_csvs: list, out_tsv: str | os.PathLike) -> pd.DataFrame:
    """The ``face_demo_check`` stage: :func:`compare_face` over several sessions, written as one
    tab-separated table."""
    tables = []
    for h5, csv in zip(face_h5s, truth_csvs, strict=True):
        table = compare_face(h5, csv)
        table.insert(0, "session", Path(h5).stem)
        tables.append(table)
        for row in table.itertuples():
            log.info("%s %s: motion energy r=%.3f, component %d r=%.3f", row.session, row.roi,
                     row.energy_r, row.best_component, row.component_r)
    table = pd.concat(tables, ignore_index=True)
    write_table(table, out_tsv, comment=provenance())
    return table


def check_pose(pose_files: list[str], truth_files: list[str], sessions: list[str], out_tsv: str,
               dataset_json: str | None = None, pcutoff: float = 0.6) -> pd.DataFrame:
    """The ``pose_demo_check`` stage: errors of the analysed videos against the generator's
    true keypoints.

    For every session and bodypart (and ``all``): the mean Euclidean error in
    pixels over every frame, over the frames above ``pcutoff``, and, when a
    dataset is given, over the frames that were its test images (never trained on).
    """
    test_frames: dict[str, set[int]] = {}
    if dataset_json:
        dataset, _ = read_dataset(dataset_json)
        for i in dataset["test"]:
            parts = Path(dataset["images"][i]).parts  # labeled-data/<session>/img<NNNNN>.png
            test_frames.setdefault(parts[-2], set()).add(int(Path(parts[-1]).stem[3:]))
    rows = []
    for session, pose_file, truth_file in zip(sessions, pose_files, truth_files):
        parts, t, _ = pose_arrays(read_pose_table(truth_file))
        _, p, lik = pose_arrays(read_pose_table(pose_file), parts)
        if len(p) != len(t):
            raise ValueError(f"{pose_file} has {len(p)} frames but the truth {truth_file} has {len(t)}")
        err = pixel_errors(p, t)
        test = sorted(test_frames.get(session, ()))
        for name, cols in [("all", slice(None))] + [(bp, k) for k, bp in enumerate(parts)]:
            e, lk = err[:, cols], lik[:, cols]
            rows.append({
                "session": session, "bodypart": name, "frames": len(err),
                "error_px": mean_error(e), "error_pcutoff_px": mean_error(np.where(lk >= pcutoff, e, np.nan)),
                "share_above_pcutoff": float(np.mean(lk >= pcutoff)),
                "test_frames": len(test), "test_error_px": mean_error(e[test]) if test else float("nan"),
            })
    table = pd.DataFrame(rows)
    write_table(table.round(4), out_tsv, comment=provenance({"pcutoff": pcutoff}))
    overall = table[table.bodypart == "all"]
    log.info("error against the truth, per session: %s",
             ", ".join(f"{r.session} {r.error_px:.2f} px (test frames {r.test_error_px:.2f} px)"
                       for r in overall.itertuples()))
    return table


def state_agreement(labels: np.ndarray, states: np.ndarray) -> dict:
    """How well motifs match known states (the demo's hidden behaviours).

    Returns normalised mutual information, adjusted Rand index, purity (the share of frames
    whose motif's most common state is their own state) and the motif -> state map.
    """
    labels, states = np.asarray(labels), np.asarray(states)
    if labels.shape != states.shape:
        raise ValueError(f"{len(labels)} motif labels against {len(states)} states")
    majority = {int(m): int(np.bincount(states[labels == m]).argmax()) for m in np.unique(labels)}
    purity = float(np.mean([majority[int(m)] == s for m, s in zip(labels, states)]))
    return {"nmi": float(normalized_mutual_info_score(states, labels)),
            "ari": float(adjusted_rand_score(states, labels)),
            "purity": purity, "motif_to_state": majority}


def check_motifs(segment_h5s: Sequence[str], states_csvs: Sequence[str], out_tsv: str) -> pd.DataFrame:
    """The ``segment_demo_check`` stage: the demo's motifs against the generator's hidden states,
    per session and all frames together: normalised mutual information, adjusted Rand index
    and purity."""
    rows, all_labels, all_states = [], [], []
    for seg_h5, states_csv in zip(segment_h5s, states_csvs):
        labels = read_segmentation(seg_h5)["labels"]
        states = pd.read_csv(states_csv, comment="#")["state_id"].to_numpy()
        agreement = state_agreement(labels, states)
        rows.append({"session": Path(seg_h5).stem, "frames": len(labels),
                     **{k: round(agreement[k], 4) for k in ("nmi", "ari", "purity")}})
        all_labels.append(labels)
        all_states.append(states)
    if rows:
        agreement = state_agreement(np.concatenate(all_labels), np.concatenate(all_states))
        rows.append({"session": "all", "frames": int(sum(len(x) for x in all_labels)),
                     **{k: round(agreement[k], 4) for k in ("nmi", "ari", "purity")}})
    table = pd.DataFrame(rows)
    write_table(table, out_tsv, comment=provenance())
    log.info("motifs against the demo's hidden states:\n%s", table.to_string(index=False))
    return table
