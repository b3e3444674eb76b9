"""The pose stages through snakemake on tiny data: labelled folders in a DLC-style project,
sessions from a sample sheet, a tiny network trained for a few iterations.

What is checked: every pose output is made, with DLC's formats; nothing to do afterwards;
a changed training parameter retrains and reruns inference and everything downstream; a new
video runs inference (and its own chain) only for itself; frames to label and outlier
frames for relabelling go into labeled-data/ next to existing labels; bad labels stop the
run naming the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ethoflow.behaviour.io import vame_names
from ethoflow.demo.simulate import DemoSpec, write_session
from tests.workflow.test_workflow import changed, outputs, snakemake, write_config, write_sheet

TINY_POSE = {
    "project": "labels",
    "bodyparts": ["snout", "leftear", "rightear", "neck", "bodycentre", "tailbase", "tailtip"],
    "skeleton": [["snout", "neck"], ["neck", "tailbase"]],
    "flip_pairs": [["leftear", "rightear"]],
    "frames": {"numframes2pick": 4},
    "dataset": {"training_fraction": 0.75},
    "train": {"maxiters": 20, "width": 8, "batch_size": 4, "save_iters": 10, "display_iters": 5},
    "inference": {"save_as": ["csv"]},
    "outliers": {"numframes2pick": 3, "p_bound": 0.9},  # a 20-iteration network is unsure everywhere
}
# a tiny RNN-VAE and 3 motifs; the models learn from a1 and a2 only, so a new session is
# embedded and segmented with them
TINY_EMBED = {
    "train_sessions": ["a1", "a2"],
    "pcutoff": 0.0,  # a 20-iteration network is unsure everywhere
    "model": {"time_window": 8, "zdims": 3, "hidden_size_layer_1": 8, "hidden_size_rec": 8,
              "hidden_size_pred": 8, "future_steps": 4, "batch_size": 32, "epochs": 3,
              "kl_start": 1, "annealtime": 1, "test_fraction": 0.2},
}
TINY_SEGMENT = {"n_clusters": 3, "n_init": 2, "vame_files": True}
SEGMENT = "results/segment/kmeans-3"
SPEC = DemoSpec(n_frames=60, width=96, height=96, face_width=64, face_height=48, n_labeled=4)


def add_session(workdir: Path, name: str, index: int, labelled: bool = True) -> None:
    tmp = workdir / "scratch" / name
    labels = workdir / "labels" / "labeled-data" / name
    write_session(SPEC, index, name, {
        "video": workdir / "videos" / f"{name}.mp4", "face_video": tmp / "face.mp4",
        "pose": tmp / "pose.h5", "states": tmp / "states.csv", "face_truth": tmp / "face.csv",
        "labels_dir": labels if labelled else tmp / "labels",
    })


def pose_project(workdir: Path, sessions=("a1", "a2"), face: bool = False) -> Path:
    """Sessions with labelled frames (the demo generator's), in a sample sheet and a DLC-style
    project folder ``labels/``; the tiny config, with the face stage only if ``face``."""
    (workdir / "videos").mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(sessions):
        add_session(workdir, name, i)
    write_sheet(workdir, {s: f"videos/{s}.mp4" for s in sessions})
    embed = {**TINY_EMBED, "train_sessions": [s for s in TINY_EMBED["train_sessions"] if s in sessions]}
    tiny = {"pose": TINY_POSE, "embed": embed, "segment": TINY_SEGMENT}
    if face:
        write_config(workdir, **tiny)
    else:
        write_config(workdir, face={"enabled": False}, **tiny)
    return workdir


def set_pose(workdir: Path, section: str, **values) -> None:
    path = workdir / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text())
    config["pose"][section] = {**config["pose"].get(section, {}), **values}
    path.write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    workdir = pose_project(tmp_path_factory.mktemp("pose"))
    snakemake(workdir)
    return workdir


SHUFFLE = "results/pose/iteration-0/shuffle1"


def test_every_pose_output_in_dlc_formats(project):
    from ethoflow.io.dlc import read_pose_table

    for f in ("dataset.json", "model.pt", "learning_stats.csv", "loss.png", "evaluation.csv",
              "evaluation.png"):
        assert (project / SHUFFLE / f).stat().st_size > 0, f
    errors = pd.read_csv(project / SHUFFLE / "evaluation.csv", comment="#")
    assert list(errors["bodypart"][:2]) == ["all", "snout"] and errors["test_n"][0] > 0
    for s in ("a1", "a2"):
        pose = read_pose_table(project / f"results/pose/{s}.h5")
        assert pose.shape == (60, 21)
        assert pose.columns.names == ["scorer", "bodyparts", "coords"]
        assert pose.columns[0][0] == "ethoflow_small_iter0_shuffle1_20"
        assert read_pose_table(project / f"results/pose/{s}_filtered.h5").shape == (60, 21)
        assert read_pose_table(project / f"results/pose/{s}.csv").shape == (60, 21)
        for f in (f"results/pose/plots/{s}.png", f"results/pose/videos/{s}_labeled.mp4",
                  f"results/pose/labels/{s}.png", f"logs/pose/inference/{s}.log"):
            assert (project / f).stat().st_size > 0, f
    assert "frames/s" in (project / "logs/pose/inference/a1.log").read_text()
    assert "iteration 20/20" in (project / "logs/pose/iteration-0/shuffle1_train.log").read_text()
    assert "Nothing to be done" in snakemake(project, "-n").stdout


def test_embeddings_and_motifs_per_session(project):
    """The VAME-equivalent stages: a latent vector per frame, a motif per frame from the
    shared model, usage in the summary; provenance in every file."""
    from ethoflow.behaviour.io import read_embedding, read_segmentation

    stats = pd.read_csv(project / "results/embed/learning_stats.csv", comment="#")
    assert list(stats["epoch"]) == [1, 2, 3] and stats["test_loss"].notna().all()
    assert "epoch 3/3" in (project / "logs/embed/train.log").read_text()
    summary = pd.read_csv(project / "results/summary.tsv", sep="\t", comment="#").set_index("session")
    for s in ("a1", "a2"):
        emb = read_embedding(project / f"results/embed/{s}.h5")
        assert emb["latent_vector"].shape == (60, 3) and emb["egocentric"].shape == (60, 11)
        assert emb["attrs"]["ethoflow_version"] and '"time_window": 8' in emb["attrs"]["params"]
        seg = read_segmentation(project / f"{SEGMENT}/{s}.h5")
        assert seg["labels"].shape == (60,) and set(seg["labels"]) <= {0, 1, 2}
        assert seg["motif_usage"].sum() == 60 and seg["cluster_center"].shape == (3, 3)
        usage = summary.loc[s, [f"motif_{k}_usage" for k in range(3)]]
        np.testing.assert_allclose(usage, seg["motif_usage"] / 60, atol=1e-4)
        assert (project / f"{SEGMENT}/plots/{s}.png").stat().st_size > 0
        vame = project / SEGMENT / "vame" / s  # VAME's file names and arrays
        np.testing.assert_array_equal(np.load(vame / f"3_km_label_{s}.npy"), seg["labels"])
        np.testing.assert_array_equal(np.load(vame / f"motif_usage_{s}.npy"), seg["motif_usage"])
        assert np.load(vame / f"latent_vector_{s}.npy").shape == (60, 3)
        assert np.load(vame / f"cluster_center_{s}.npy").shape == (3, 3)
    assert (project / f"{SEGMENT}/usage.png").stat().st_size > 0


def test_changing_a_motif_parameter_reruns_only_the_motifs(project):
    before = outputs(project)
    path = project / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text())
    config["segment"]["method"] = "hmm"
    path.write_text(yaml.safe_dump(config))
    try:
        proc = snakemake(project)
        redone = changed(before, outputs(project))
        assert "rule embed_train:" not in proc.stdout and "rule pose_infer:" not in proc.stdout
        hmm = "results/segment/hmm-3"
        assert redone == {f"{hmm}_model.h5", f"{hmm}/usage.png", "results/summary.tsv",
                          "results/summary.html"} | {
            f"{hmm}/{f}" for s in ("a1", "a2")
            for f in (f"{s}.h5", f"plots/{s}.png", *(f"vame/{s}/{n}" for n in vame_names(s, "hmm", 3)))}
    finally:
        config["segment"]["method"] = "kmeans"
        path.write_text(yaml.safe_dump(config))
        snakemake(project)


def test_changing_a_training_parameter_retrains_and_reruns_downstream(project):
    before = outputs(project)
    set_pose(project, "train", lr=0.002)
    snakemake(project)
    redone = {f for f in changed(before, outputs(project)) if "/train/" not in f}  # snapshots
    expected = {f"{SHUFFLE}/{f}" for f in ("model.pt", "learning_stats.csv", "loss.png",
                                           "evaluation.csv", "evaluation.png")}
    for s in ("a1", "a2"):
        expected |= {f"results/pose/{s}.h5", f"results/pose/{s}.csv", f"results/pose/{s}_filtered.h5",
                     f"results/pose/plots/{s}.png", f"results/pose/videos/{s}_labeled.mp4",
                     f"results/embed/{s}.h5", f"{SEGMENT}/{s}.h5", f"{SEGMENT}/plots/{s}.png"}
        expected |= {f"{SEGMENT}/vame/{s}/{f}" for f in vame_names(s, "kmeans", 3)}
    expected |= {"results/embed/model.pt", "results/embed/learning_stats.csv", "results/embed/loss.png",
                 f"{SEGMENT}_model.h5", f"{SEGMENT}/usage.png"}
    assert redone - {"results/summary.tsv", "results/summary.html"} == expected
    assert "starting over" in (project / "logs/pose/iteration-0/shuffle1_train.log").read_text()


def test_a_new_video_runs_inference_only_for_itself(project):
    before = outputs(project)
    add_session(project, "b1", 5, labelled=False)
    write_sheet(project, {s: f"videos/{s}.mp4" for s in ("a1", "a2", "b1")})
    proc = snakemake(project)
    redone = changed(before, outputs(project))
    for rule in ("pose_train", "embed_train", "segment_fit"):
        assert f"rule {rule}:" not in proc.stdout, rule
    assert redone == {
        "results/discover/b1.json", "results/discover/sessions.tsv", "results/pose/b1.h5",
        "results/pose/b1.csv", "results/pose/b1_filtered.h5", "results/pose/plots/b1.png",
        "results/pose/videos/b1_labeled.mp4", "results/embed/b1.h5", f"{SEGMENT}/b1.h5",
        f"{SEGMENT}/plots/b1.png", f"{SEGMENT}/usage.png", "results/summary.tsv",
        "results/summary.html",
    } | {f"{SEGMENT}/vame/b1/{f}" for f in vame_names("b1", "kmeans", 3)}


def test_an_interrupted_training_resumes_where_it_stopped(project):
    """As if the job were killed between its snapshots at iterations 10 and 20: the rerun
    resumes from snapshot 10 and ends with the very same network. (Snakemake does not remake
    a missing intermediate file whose consumers are up to date, so the model is asked for.)"""
    model = project / SHUFFLE / "model.pt"
    finished = model.read_bytes()
    model.unlink()
    (project / SHUFFLE / "train" / "snapshot-20.pt").unlink()
    snakemake(project, str(model.relative_to(project)))
    log = (project / "logs/pose/iteration-0/shuffle1_train.log").read_text()
    assert "resuming from snapshot-10.pt (iteration 10)" in log
    assert model.read_bytes() == finished
    snakemake(project)  # the newer model reruns what reads it; later tests start up to date


def test_labelling_loop_frames_and_outliers(project):
    """extract_frames picks frames for unlabelled videos and refuses labelled folders;
    pose_outliers adds frames and machine labels next to existing labels."""
    labelled = project / "labels/labeled-data/a1"
    before = sorted(p.name for p in labelled.iterdir())
    proc = snakemake(project, "results/pose/frames/a1.tsv", check=False)
    assert proc.returncode != 0 and "already holds labels" in proc.stdout
    assert sorted(p.name for p in labelled.iterdir()) == before
    snakemake(project, "results/pose/frames/b1.tsv")
    frames = pd.read_csv(project / "results/pose/frames/b1.tsv", sep="\t", comment="#")
    assert len(frames) == 4
    assert len(list((project / "labels/labeled-data/b1").glob("img*.png"))) == 4
    snakemake(project, "pose_outliers")
    table = pd.read_csv(project / "results/pose/iteration-0/outliers/a1.tsv", sep="\t", comment="#")
    assert 0 < len(table) <= 3 and {"jump", "uncertain", "fitting"} <= set(table.columns)
    assert (labelled / "machinelabels-iter0.h5").exists()
    assert set(before) <= {p.name for p in labelled.iterdir()}


def test_bad_labels_stop_the_run_naming_the_file(tmp_path):
    pose_project(tmp_path, sessions=("a1",))
    config = yaml.safe_load((tmp_path / "config/config.yaml").read_text())
    config["pose"]["bodyparts"][4] = "centre"
    config["embed"]["align"] = ["centre", "neck"]
    (tmp_path / "config/config.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(tmp_path, check=False)
    assert proc.returncode != 0
    assert "CollectedData_synthetic.h5: has bodycentre, which are not in the config's bodyparts; lacks centre" in proc.stdout
