"""A lab's layout: videos in a sample sheet, labelled frames in a DLC-style project, one video
not labelled. The labelling loop (frames to label, outliers to relabel), an interrupted
training, and what a new video costs."""

from __future__ import annotations

import pandas as pd
import yaml

from ethoflow.io.dlc import read_pose_table
from ethoflow.pose.dataset import read_dataset
from tests.workflow.helpers import add_session, planned_rules, pose_project, snakemake, write_sheet

SHUFFLE = "results/pose/iteration-0/shuffle1"


def test_trains_on_the_labelled_videos_and_analyses_all(pose_run):
    w = pose_run.workdir
    dataset, _ = read_dataset(w / SHUFFLE / "dataset.json")
    assert {img.split("/")[1] for img in dataset["images"]} == {"a1"}
    for s in ("a1", "b1"):
        assert read_pose_table(w / f"results/pose/{s}.h5").shape == (60, 21)
        assert not (w / f"results/pose/videos/{s}_labeled.mp4").exists()  # off by default
    summary = pd.read_csv(w / "results/summary.tsv", sep="\t", comment="#")
    assert list(summary["session"]) == ["a1", "b1"]
    assert summary["pose_mean_likelihood"].between(0, 1).all()


def test_labelling_loop(pose_run):
    """extract_frames picks frames for a video without labels and refuses a labelled folder;
    a training parameter does not touch frame extraction (it reads pose.frames only);
    pose_outliers adds frames and machine labels next to the labels."""
    w = pose_run.workdir
    labelled = w / "labels/labeled-data/a1"
    before = sorted(p.name for p in labelled.iterdir())
    proc = snakemake(w, "results/pose/frames/a1.tsv", check=False)
    assert proc.returncode != 0 and "already holds labels" in proc.stdout
    assert sorted(p.name for p in labelled.iterdir()) == before
    snakemake(w, "results/pose/frames/b1.tsv")
    frames = pd.read_csv(w / "results/pose/frames/b1.tsv", sep="\t", comment="#")
    assert len(frames) == 4 and len(list((w / "labels/labeled-data/b1").glob("img*.png"))) == 4
    lr = w / "lr.yaml"
    lr.write_text(yaml.safe_dump({"pose": {"train": {"lr": 0.002}}}))
    assert planned_rules(w, "results/pose/frames/b1.tsv", "--configfile", str(lr)) == set()
    proc = snakemake(w, "-n")
    assert "waiting for labels: b1" in proc.stdout
    snakemake(w, "pose_outliers")
    table = pd.read_csv(w / "results/pose/iteration-0/outliers/a1.tsv", sep="\t", comment="#")
    assert 0 < len(table) <= 3 and {"jump", "uncertain", "fitting"} <= set(table.columns)
    assert (labelled / "machinelabels-iter0.h5").exists()
    assert set(before) <= {p.name for p in labelled.iterdir()}


def test_a_new_video_runs_only_its_own_chain(pose_run):
    """A new session, once discovered: its pose, embedding and motifs, the calibration (new
    pose tables) and the tables and views across sessions; not the network, the VAE or the
    motif model (they learn from a1)."""
    w = pose_run.workdir
    add_session(w, "b2", 7, labelled=False)
    write_sheet(w, {s: f"videos/{s}.mp4" for s in ("a1", "b1", "b2")})
    snakemake(w, "results/discover/sessions.tsv")
    # new pose tables: the calibration is sampled and fitted again, every session re-smoothed
    assert planned_rules(w) == {"pose_infer", "pose_filter", "pose_plot", "pose_skeleton",
                                "calibration_sample", "calibration_page", "calibration_points",
                                "calibration_fit", "calibration_smooth",
                                "embed_session", "segment_session", "segment_usage", "segment_views",
                                "summary"}


def test_an_interrupted_training_resumes_where_it_stopped(pose_run):
    """As if the job were killed between its snapshots at iterations 10 and 20: the rerun
    resumes from snapshot 10 and ends with the very same network. (Snakemake does not remake
    a missing intermediate file whose consumers are up to date, so the model is asked for.)"""
    w = pose_run.workdir
    model = w / SHUFFLE / "model.pt"
    finished = model.read_bytes()
    model.unlink()
    (w / SHUFFLE / "train" / "snapshot-20.pt").unlink()
    snakemake(w, str(model.relative_to(w)))
    log = (w / "logs/pose/iteration-0/shuffle1_train.log").read_text()
    assert "resuming from snapshot-10.pt (iteration 10)" in log
    assert model.read_bytes() == finished  # (every later output is now older than the model)


def test_bad_labels_stop_the_run_naming_the_file(tmp_path):
    pose_project(tmp_path, labelled=("a1",), pose={"bodyparts": [
        "snout", "leftear", "rightear", "neck", "centre", "tailbase", "tailtip"]},
        embed={"align": ["centre", "neck"]})
    proc = snakemake(tmp_path, check=False)
    assert proc.returncode != 0
    assert ("CollectedData_synthetic.h5: has bodycentre, which are not in the config's bodyparts; "
            "lacks centre") in proc.stdout
