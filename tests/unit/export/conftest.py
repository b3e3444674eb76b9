"""A tiny session's results, as the export rules read them."""

from __future__ import annotations

import numpy as np
import pytest

from ethoflow.behaviour.io import write_embedding, write_segmentation
from ethoflow.face.params import ROI, FaceParams
from ethoflow.face.svd import process_video
from ethoflow.io.dlc import pose_dataframe, write_pose_table

PARTS = ["snout", "neck", "tail_base"]
SKELETON = [("snout", "neck"), ("neck", "tail_base")]
START = "2024-03-01T10:00:00+01:00"


def record(video, n=60, fps=30.0):
    info = {"path": str(video), "fps": fps, "nframes": n, "width": 64, "height": 48}
    return {"session": "s1", "video": info, "face_video": info}


@pytest.fixture
def session_files(tiny_video, tmp_path, rng):
    """A 60-frame session: raw and filtered pose (with gaps), face SVDs of the tiny video,
    latent vectors and motifs."""
    n = 60
    xy = rng.uniform(0, 48, (n, len(PARTS), 2))
    xy[5:8, 1] = np.nan
    lik = rng.uniform(0, 1, (n, len(PARTS)))
    lik[5:8, 1] = np.nan
    raw, filtered = tmp_path / "s1.h5", tmp_path / "s1_filtered.h5"
    write_pose_table(pose_dataframe(xy, lik, PARTS, "net"), raw)
    write_pose_table(pose_dataframe(xy + 0.5, lik, PARTS, "net"), filtered)
    face = process_video(tiny_video, tmp_path / "face.h5",
                         FaceParams(sbin=2, ncomps=5, rois=(ROI("eye", (8, 40), (4, 28)),)),
                         nframes_expected=n)
    emb, seg = tmp_path / "emb.h5", tmp_path / "seg.h5"
    write_embedding(emb, rng.normal(size=(n, 4)).astype(np.float32),
                    np.zeros((n, 2), np.float32), ["a", "b"], {"session": "s1"})
    labels = np.repeat(np.arange(3), 20)
    write_segmentation(seg, labels, {"method": "kmeans", "n_clusters": 3,
                                     "cluster_center": np.zeros((3, 4))}, {"session": "s1"})
    return {"raw": raw, "filtered": filtered, "face": face, "embedding": emb,
            "segmentation": seg, "record": record(tiny_video), "labels": labels}
