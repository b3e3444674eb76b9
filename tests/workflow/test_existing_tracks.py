"""A lab's existing pose tables in place of a network (pose.tracks): the demo's true
keypoints given as DLC tables run the behaviour stages with nothing trained."""

from __future__ import annotations

import re

import numpy as np

from ethoflow.io.dlc import pose_arrays, read_pose_table
from tests.workflow.helpers import demo_project, snakemake

NETWORK = {"check_labels", "pose_dataset", "pose_train", "pose_evaluate", "pose_infer",
           "pose_demo_check", "calibration_points", "calibration_fit"}


def test_existing_tracks_feed_the_behaviour_stages_without_a_network(tmp_path):
    w = demo_project(tmp_path, pose={"tracks": "demo/truth/{session}_pose.h5"}, face={"enabled": False})
    proc = snakemake(w)
    ran = set(re.findall(r"^(?:local)?rule (\w+):", proc.stdout, flags=re.M))
    assert {"pose_import", "pose_filter", "embed_train", "segment_fit"} <= ran and not ran & NETWORK
    assert "pose: existing tracks for 2 session(s), no network" in proc.stdout
    assert "skipped: calibration: needs the pose network" in proc.stdout
    for s in ("demo01", "demo02"):
        truth = pose_arrays(read_pose_table(w / f"demo/truth/{s}_pose.h5"))
        got = pose_arrays(read_pose_table(w / f"results/pose/{s}.h5"))
        assert got[0] == truth[0]
        np.testing.assert_array_equal(got[1], truth[1])
        assert (w / f"results/segment/kmeans-3/{s}.h5").stat().st_size > 0
        assert "frames of snout" in (w / f"logs/pose/import/{s}.log").read_text()
    assert "nmi" in (w / "results/segment/kmeans-3/demo_check.tsv").read_text()
    assert not (w / "results/pose/iteration-0").exists()
