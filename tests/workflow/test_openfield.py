"""The README's real-data example, DeepLabCut's open-field project, run as the README writes
it (`snakemake --cores all --directory runs/openfield --configfile config/openfield.yaml`),
with a second config file that shortens training and the VAE. Needs ../shared/data."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import yaml

from ethoflow.io.dlc import read_pose_table
from tests.conftest import REPO, SHARED_DATA

SHORT = {
    "pose": {"dataset": {"shuffles": [1]},
             "train": {"maxiters": 10, "width": 8, "batch_size": 2, "save_iters": 10},
             "inference": {"downsample": 4}},
    "embed": {"pcutoff": 0.0,  # a 10-iteration network is unsure everywhere
              "model": {"epochs": 1, "zdims": 3, "hidden_size_layer_1": 8, "hidden_size_rec": 8,
                        "hidden_size_pred": 8}},
    "segment": {"n_init": 1},
    "calibration": {"conf_threshold": 0.0},  # (every confidence is low: keep every point)
}


def test_the_openfield_example_runs_to_the_end(tmp_path):
    if not (SHARED_DATA / "dlc-openfield").is_dir():
        pytest.skip(f"{SHARED_DATA / 'dlc-openfield'} not available")
    # the example's relative paths expect the run folder two levels below a folder holding
    # shared/, as runs/openfield is in a checkout beside ../shared
    (tmp_path / "shared").symlink_to(SHARED_DATA.parent)
    root = tmp_path / "ethoflow"
    root.mkdir()
    short = tmp_path / "short.yaml"
    short.write_text(yaml.safe_dump(SHORT))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--cores", "all",
           "--directory", "runs/openfield", "--configfile", str(REPO / "config/openfield.yaml"),
           str(short)]
    proc = subprocess.run(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:]
    run = root / "runs" / "openfield"
    assert "runs: discover, pose, calibration, embed, segment (pose: 1 labelled folder(s)" in proc.stdout
    pose = read_pose_table(run / "results/pose/m3v1mp4.h5")
    assert pose.shape == (2330, 12)
    bones = pd.read_csv(run / "results/pose/skeleton/m3v1mp4.csv", header=[0, 1], index_col=0)
    assert len(bones) == 2330 and ("snout_leftear", "orientation") in bones
    errors = pd.read_csv(run / "results/pose/iteration-0/shuffle1/evaluation.csv", comment="#")
    assert errors["train_n"][0] > 0
    summary = pd.read_csv(run / "results/summary.tsv", sep="\t", comment="#")
    assert list(summary["session"]) == ["m3v1mp4"] and "motif_0_usage" in summary
    # the calibration with no human: the test frames of m4s1 against their labels
    fit = yaml.safe_load((run / "results/calibration/calibration.yaml").read_text())
    assert fit["sources"] == {"heldout": fit["n_points"], "refined": 0, "truth": 0} and fit["n_points"] >= 20
    assert read_pose_table(run / "results/pose/m3v1mp4_calibrated.h5").shape == (2330, 12)
