"""The cross-session summary table: one row per session, a column group per stage."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.files import provenance, write_table

log = logging.getLogger(__name__)

__all__ = ["face_summary", "session_summary"]


def face_summary(face_h5: str | os.PathLike, top: int = 5) -> dict:
    """Per-session face numbers: ROIs, components, and what the leading motion components hold.

    ``face_top{top}_motion_share`` is the share of the computed motion-SVD variance
    (sum of squared singular values) in the ``top`` leading components, per ROI.
    """
    from ethoflow.face import read_face

    face = read_face(face_h5)
    row: dict = {"face_rois": ",".join(r["name"] for r in face["rois"])}
    for name, sv in (face.get("motSv") or {}).items():
        var = np.asarray(sv, float) ** 2
        row[f"face_{name}_ncomps"] = int(len(sv))
        row[f"face_{name}_top{top}_motion_share"] = round(float(var[:top].sum() / var.sum()), 4)
        row[f"face_{name}_mean_motion"] = round(float(np.mean(face["motion"][name])), 3)
    return row


def session_summary(
    sessions_tsv: str | os.PathLike, face_h5s: list, out_tsv: str | os.PathLike
) -> pd.DataFrame:
    """Join the sessions table with per-session stage results into one table."""
    table = pd.read_csv(sessions_tsv, sep="\t", comment="#")
    keep = ["session", "status", "reason", "nframes", "fps", "duration_s", "width", "height",
            "codec", "face_video"]
    table = table[[c for c in keep if c in table.columns]].set_index("session")
    faces = pd.DataFrame([{"session": Path(p).stem, **face_summary(p)} for p in face_h5s])
    if len(faces):
        table = table.join(faces.set_index("session"))
    table = table.reset_index()
    write_table(table, out_tsv, comment=provenance())
    log.info("summary of %d sessions written to %s", len(table), out_tsv)
    return table
