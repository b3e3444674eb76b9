"""The demo's checks: every stage's results against the ground truth the generator drew.

``check_pose`` compares the pose tables with the true keypoints, ``check_calibration`` the
filters, the calibrated smoother and the error model with them, ``check_face`` the face
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
    "check_calibration",
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


def check_calibration(pose_files: Sequence[str], calibrated_files: Sequence[str], truth_files: Sequence[str],
                      sessions: Sequence[str], calibration_yaml: str, out_tsv: str, fit_tsv: str,
                      filter_config: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``calibration_demo_check`` stage: the calibration against the demo's truth.

    ``out_tsv``: the mean error (px) against the true keypoints, per bodypart (and ``all``),
    of the raw pose, of the median, savgol and kalman filters (``pose.filter``'s window,
    p-bound, swap repair and broken-point settings) and of the calibrated smoother.

    ``fit_tsv``: the stage's line (from its annotated points) against the "oracle" line
    fitted on every frame's true error, and the error each predicts at the 10th, 50th and
    90th percentiles of the confidences.
    """
    from ethoflow.calibration.fit import fit_line, read_error_model
    from ethoflow.pose.filtering import filter_pose

    f = filter_config
    methods = {"raw": None, "median": "median", "savgol": "savgol", "kalman": "kalman"}
    errors: dict[str, list[np.ndarray]] = {m: [] for m in [*methods, "calibrated"]}
    confs, true_err = [], []
    parts = None
    for session, pose_file, cal_file, truth_file in zip(sessions, pose_files, calibrated_files, truth_files):
        parts, t, _ = pose_arrays(read_pose_table(truth_file))
        raw = read_pose_table(pose_file)
        _, p, lik = pose_arrays(raw, parts)
        if len(p) != len(t):
            raise ValueError(f"{pose_file} has {len(p)} frames but the truth {truth_file} has {len(t)}")
        for name, method in methods.items():
            if method is None:
                xy = p
            else:
                window = f["window"] if method != "savgol" or f["window"] % 2 else f["window"] + 1
                filtered = filter_pose(raw, method, window, f["p_bound"], f["polyorder"], f["process_sd"],
                                       f["repair_swaps"], f["broken_z"])
                _, xy, _ = pose_arrays(filtered, parts)
            errors[name].append(pixel_errors(xy, t))
        _, c, _ = pose_arrays(read_pose_table(cal_file), parts)
        errors["calibrated"].append(pixel_errors(c, t))
        confs.append(lik.ravel())
        true_err.append(pixel_errors(p, t).ravel())
    rows = []
    for name, cols in [("all", slice(None))] + [(bp, k) for k, bp in enumerate(parts)]:
        row = {"bodypart": name}
        for method, errs in errors.items():
            row[f"{method}_px"] = mean_error(np.concatenate(errs)[:, cols])
        rows.append(row)
    table = pd.DataFrame(rows)
    write_table(table.round(4), out_tsv, comment=provenance({"sessions": list(sessions)}))
    model = read_error_model(calibration_yaml)
    conf, err = np.concatenate(confs), np.concatenate(true_err)
    ok = np.isfinite(conf) & np.isfinite(err)
    oracle = fit_line(conf[ok], err[ok], model.pseudocount)
    qs = np.percentile(conf[ok], [10, 50, 90])
    fit_rows = []
    for name, line in (("annotated", model.line), ("oracle", oracle)):
        fit_rows.append({"line": name, "slope": line.slope, "intercept": line.intercept, "n_points": line.n,
                         "r2": line.r2, **{f"error_px_at_conf_p{p}": float(line.error(q, model.pseudocount))
                                           for p, q in zip((10, 50, 90), qs)}})
    fits = pd.DataFrame(fit_rows)
    write_table(fits.round(4), fit_tsv, comment=provenance({"conf_percentiles_10_50_90": qs.round(4).tolist()}))
    best = min((m for m in errors), key=lambda m: table.loc[0, f"{m}_px"])
    log.info("error against the truth (all bodyparts): %s; best: %s", ", ".join(
        f"{m} {table.loc[0, f'{m}_px']:.3f} px" for m in errors), best)
    log.info("annotated line: slope %.3f intercept %.3f; oracle: slope %.3f intercept %.3f",
             model.line.slope, model.line.intercept, oracle.slope, oracle.intercept)
    return table, fits
