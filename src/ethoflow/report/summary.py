"""The cross-session summary table: one row per session, a column group per stage."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.behaviour.io import read_segmentation
from ethoflow.face.io import read_face
from ethoflow.io.dlc import pose_arrays, read_pose_table
from ethoflow.io.files import atomic_path, provenance, write_table

log = logging.getLogger(__name__)

__all__ = ["face_summary", "motif_summary", "pose_summary", "session_summary"]

_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>ethoflow sessions</title>
<style>
body {{ font-family: sans-serif; font-size: 13px; margin: 1em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 3px 6px; text-align: right; }}
th {{ background: #eef; position: sticky; top: 0; }}
td:first-child, th:first-child {{ text-align: left; }}
</style></head>
<body><h3>{n} sessions</h3><p>ethoflow {version}</p>
{table}
</body></html>
"""


def face_summary(face_h5: str | os.PathLike, top: int = 5) -> dict:
    """Per-session face numbers: ROIs, components, and what the leading motion components hold.

    ``face_top{top}_motion_share`` is the share of the computed motion-SVD variance
    (sum of squared singular values) in the ``top`` leading components, per ROI.
    """
    face = read_face(face_h5, keys=("motion", "motSv"))
    row: dict = {"face_rois": ",".join(r["name"] for r in face["rois"])}
    for name, sv in (face.get("motSv") or {}).items():
        var = np.asarray(sv, float) ** 2
        row[f"face_{name}_ncomps"] = int(len(sv))
        row[f"face_{name}_top{top}_motion_share"] = round(float(var[:top].sum() / var.sum()), 4)
        row[f"face_{name}_mean_motion"] = round(float(np.mean(face["motion"][name])), 3)
    return row


def pose_summary(pose_h5: str | os.PathLike, pcutoff: float) -> dict:
    """Per-session pose quality: mean likelihood, the share of frames where every bodypart
    is above ``pcutoff``, and the worst bodypart by that share."""
    parts, _, lik = pose_arrays(read_pose_table(pose_h5))
    above = lik >= pcutoff
    per_part = pd.Series(above.mean(axis=0), index=parts)
    return {
        "pose_mean_likelihood": round(float(np.nanmean(lik)), 4),
        "pose_frames_all_above_pcutoff": round(float(above.all(axis=1).mean()), 4),
        "pose_worst_bodypart": f"{per_part.idxmin()} ({per_part.min():.2f})",
    }


def motif_summary(segment_h5: str | os.PathLike) -> dict:
    """Per-session motif usage: the share of frames in each motif, the dominant motif and
    the number of motifs used (VAME's motif usage as fractions)."""
    usage = read_segmentation(segment_h5)["motif_usage"].astype(float)
    share = usage / max(usage.sum(), 1.0)
    row: dict = {"motif_dominant": int(np.argmax(share)), "motif_n_used": np.count_nonzero(usage)}
    row.update({f"motif_{k}_usage": round(float(v), 4) for k, v in enumerate(share)})
    return row


def session_summary(
    sessions_tsv: str | os.PathLike,
    face_h5s: list,
    out_tsv: str | os.PathLike,
    out_html: str | os.PathLike | None = None,
    pose_h5s: list = (),
    evaluation_csv: str | os.PathLike | None = None,
    pcutoff: float = 0.6,
    segment_h5s: list = (),
    calibration_yaml: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Join the sessions table with per-session stage results into one table.

    Written as TSV (for scripts) and, with ``out_html``, as an HTML page (for the report).
    With an evaluation CSV, the network's test error is a column too (the same network
    analyses every session); with the calibration file, its slope, intercept and confidence
    threshold (one error model for every session); with segmentations, each motif's share of
    the frames.
    """
    table = pd.read_csv(sessions_tsv, sep="\t", comment="#")
    keep = ["session", "status", "reason", "nframes", "fps", "duration_s", "width", "height",
            "codec", "face_video"]
    table = table[[c for c in keep if c in table.columns]].set_index("session")
    poses = pd.DataFrame([{"session": Path(p).stem, **pose_summary(p, pcutoff)} for p in pose_h5s])
    if len(poses):
        table = table.join(poses.set_index("session"))
        if evaluation_csv:
            errors = pd.read_csv(evaluation_csv, comment="#").set_index("bodypart")
            table["pose_network_test_error_px"] = round(float(errors.loc["all", "test_error_px"]), 3)
        if calibration_yaml:
            from ethoflow.calibration.fit import read_error_model

            model = read_error_model(calibration_yaml)
            table["calibration_slope"] = round(model.line.slope, 4)
            table["calibration_intercept"] = round(model.line.intercept, 4)
            table["calibration_conf_threshold"] = round(model.conf_threshold, 4)
    motifs = pd.DataFrame([{"session": Path(p).stem, **motif_summary(p)} for p in segment_h5s])
    if len(motifs):
        table = table.join(motifs.set_index("session"))
    faces = pd.DataFrame([{"session": Path(p).stem, **face_summary(p)} for p in face_h5s])
    if len(faces):
        table = table.join(faces.set_index("session"))
    table = table.reset_index()
    write_table(table, out_tsv, comment=provenance())
    if out_html is not None:
        with atomic_path(out_html) as tmp:
            tmp.write_text(_HTML.format(
                n=len(table), version=provenance()["ethoflow_version"],
                table=table.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}"),
            ))
    log.info("summary of %d sessions written to %s", len(table), out_tsv)
    return table
