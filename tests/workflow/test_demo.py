"""The README's first command, `snakemake --cores all`, on the demo made tiny: every stage runs
end to end and writes its formats; the report; which rules each config key reruns (the rerun
matrix); one real rerun."""

from __future__ import annotations

import json
import shutil

import cv2

import numpy as np
import pandas as pd
import pytest
import yaml

from ethoflow.behaviour.io import read_embedding, read_segmentation, vame_names
from ethoflow.face.io import read_face
from ethoflow.io.dlc import read_pose_table
from tests.conftest import write_video
from tests.workflow.helpers import changed, outputs, planned_rules, planned_rules_many, snakemake

SEGMENT = "results/segment/kmeans-3"
SESSIONS = ("demo01", "demo02")


def test_every_stage_writes_its_outputs(demo_run):
    w = demo_run.workdir
    for s in SESSIONS:
        for path in (f"demo/videos/{s}.mp4", f"demo/face/{s}.mp4", f"demo/truth/{s}_pose.h5",
                     f"demo/labeled-data/{s}/CollectedData_synthetic.h5", f"results/face/{s}.h5",
                     f"results/face/{s}.png", f"results/pose/plots/{s}.png",
                     f"results/pose/videos/{s}_labeled.mp4", f"results/pose/labels/{s}.png",
                     f"{SEGMENT}/plots/{s}.png", f"logs/face/{s}.log"):
            assert (w / path).stat().st_size > 0, path
        pose = read_pose_table(w / f"results/pose/{s}.h5")
        assert pose.shape == (60, 21) and pose.columns.names == ["scorer", "bodyparts", "coords"]
        assert pose.columns[0][0] == "ethoflow_small_iter0_shuffle1_20"
        for table in (f"{s}_filtered.h5", f"{s}.csv", f"{s}_filtered.csv"):
            assert read_pose_table(w / "results/pose" / table).shape == (60, 21), table
        emb = read_embedding(w / f"results/embed/{s}.h5")
        assert emb["latent_vector"].shape == (60, 3) and emb["egocentric"].shape == (60, 11)
        assert '"time_window": 8' in emb["attrs"]["params"]
        seg = read_segmentation(w / f"{SEGMENT}/{s}.h5")
        assert seg["labels"].shape == (60,) and seg["motif_usage"].sum() == 60
        vame = w / SEGMENT / "vame" / s  # VAME's file names and arrays
        np.testing.assert_array_equal(np.load(vame / f"3_km_label_{s}.npy"), seg["labels"])
        assert sorted(p.name for p in vame.iterdir()) == sorted(vame_names(s, "kmeans", 3))
    shuffle = w / "results/pose/iteration-0/shuffle1"
    errors = pd.read_csv(shuffle / "evaluation.csv", comment="#")
    assert list(errors["bodypart"][:2]) == ["all", "snout"] and errors["test_n"][0] > 0
    assert "iteration 20/20" in (w / "logs/pose/iteration-0/shuffle1_train.log").read_text()
    assert "frames/s" in (w / "logs/pose/inference/demo01.log").read_text()
    truth = pd.read_csv(w / "results/pose/demo_check.tsv", sep="\t", comment="#")
    assert set(truth["session"]) == set(SESSIONS) and (truth["frames"] == 60).all()
    face = pd.read_csv(w / "results/face/demo_check.tsv", sep="\t", comment="#")
    assert len(face) == 6 and set(face["roi"]) == {"whiskers", "mouth", "eye"}
    motifs = pd.read_csv(w / f"{SEGMENT}/demo_check.tsv", sep="\t", comment="#")
    assert list(motifs["session"]) == [*SESSIONS, "all"]
    summary = pd.read_csv(w / "results/summary.tsv", sep="\t", comment="#")
    assert list(summary["session"]) == list(SESSIONS) and (summary["nframes"] == 60).all()
    assert summary[["calibration_slope", "calibration_intercept", "calibration_conf_threshold"]].notna().all().all()
    assert summary["pose_network_test_error_px"].notna().all()
    np.testing.assert_allclose(summary[[f"motif_{k}_usage" for k in range(3)]].sum(axis=1), 1.0,
                               atol=1e-3)


def test_facemaps_result_file_per_session(demo_run):
    from ethoflow.face.io import read_face

    w = demo_run.workdir
    for s in SESSIONS:
        proc = np.load(w / f"results/face/{s}_proc.npy", allow_pickle=True).item()
        face = read_face(w / f"results/face/{s}.h5")
        assert [r["name"] for r in proc["rois"]] == ["whiskers", "mouth", "eye"]
        np.testing.assert_array_equal(proc["motSVD"][3], face["motSVD"]["eye"])
        np.testing.assert_array_equal(proc["motion"][0], face["motion"]["full"])


def test_an_nwb_file_per_session(demo_run):
    """The demo turns export.nwb on: each session's file passes DANDI's inspector and movement
    reads its pose back equal to the run's DLC tables."""
    from movement.io import load_poses
    from nwbinspector import inspect_nwbfile

    w = demo_run.workdir
    for s in SESSIONS:
        path = w / f"results/nwb/{s}.nwb"
        levels = {m.importance.name for m in inspect_nwbfile(nwbfile_path=str(path))}
        assert not levels & {"CRITICAL", "PYNWB_VALIDATION", "BEST_PRACTICE_VIOLATION", "ERROR"}
        for key, table in (("PoseEstimation", f"{s}.h5"), ("PoseEstimationFiltered", f"{s}_filtered.h5"),
                           ("PoseEstimationCalibrated", f"{s}_calibrated.h5")):
            pose = read_pose_table(w / "results/pose" / table)
            ds = load_poses.from_nwb_file(path, pose_estimation_key=key)
            parts = list(pose.columns.get_level_values("bodyparts")[::3])
            got = ds.position.sel(keypoints=parts).isel(individuals=0).transpose("time", "keypoints", "space")
            want = pose.drop(columns="likelihood", level="coords").to_numpy().reshape(got.shape)
            np.testing.assert_array_equal(got.values, want)
    assert "wrote results/nwb/demo01.nwb" in (w / "logs/export/demo01_nwb.log").read_text()


def test_results_into_a_real_database(demo_run, mariadb, tmp_path):
    """export.datajoint on (a copy of the run, a real MariaDB; the password only in DJ_PASS):
    one ingestion job per session, rows in element-facemap's tables and ours; a second run does
    nothing; after one session's face video is edited, its rows hold the new results, the
    other's are as they were, and no table gains rows (the shared calibration and VAE rerun,
    so both sessions are ingested again: replaced, not added)."""
    import datajoint as dj

    from ethoflow.datajoint import connect, declare

    w = tmp_path / "run"
    shutil.copytree(demo_run.workdir, w, symlinks=True)
    override = tmp_path / "datajoint.yaml"
    override.write_text(yaml.safe_dump({"export": {"datajoint": {"enabled": True,
                                                                 "schema_prefix": "demo_"}}}))
    run = ("--configfile", str(override))
    assert planned_rules(w, *run) == {"export_datajoint"}
    snakemake(w, *run, env=mariadb.env())
    dj.config["database.password"] = mariadb.password
    pipeline = declare(connect({"host": mariadb.host, "port": mariadb.port,
                                "user": mariadb.user}), "demo_")

    def rows():
        return {name: len(table()) for name, table in pipeline.session_tables().items()}

    first = rows()
    print("rows after ingesting the demo:", first)
    receipts = {s: json.loads((w / f"results/datajoint/{s}.json").read_text())["rows"]
                for s in SESSIONS}
    assert {k: sum(r.get(k, 0) for r in receipts.values()) for k in first} == first
    assert first["Session"] == 2 and first["FacialSignal.Region"] == 2 * 4
    assert first["PoseEstimation"] == 2 * 3 and first["MotifSegmentation.Motif"] == 2 * 3
    motion = (pipeline.FacialSignal.Region & {"session": "demo02", "roi_name": "whiskers"}
              ).fetch1("motion")
    np.testing.assert_array_equal(motion, read_face(w / "results/face/demo02.h5")["motion"]["whiskers"])
    assert "Nothing to be done" in snakemake(w, *run, env=mariadb.env()).stdout

    def motion(session):
        return (pipeline.FacialSignal.Region & {"session": session, "roi_name": "full"}
                ).fetch1("motion")

    before = {s: motion(s) for s in SESSIONS}
    face = w / "demo/face/demo01.mp4"
    cap = cv2.VideoCapture(str(face))
    frames = np.array([f for ok, f in iter(cap.read, (False, None)) if ok])
    cap.release()
    frames[:, :16, :16] = 255 - frames[:, :16, :16]  # an edited face video, same frames
    write_video(face, frames)
    snakemake(w, *run, env=mariadb.env())
    assert rows() == first  # replaced, not added
    new = read_face(w / "results/face/demo01.h5")["motion"]["full"]
    assert not np.array_equal(new, before["demo01"])
    np.testing.assert_array_equal(motion("demo01"), new)
    np.testing.assert_array_equal(motion("demo02"), before["demo02"])
    pipeline.connection.close()


def test_the_motif_views(demo_run):
    """Transitions, community tree, average poses, latent space, the motif table and a grid
    movie per motif (clips cropped around the animal, 2 x 2 of 48 px)."""
    import cv2

    views = demo_run.workdir / SEGMENT / "views"
    for name in ("transitions.png", "communities.png", "poses.png", "latents.png"):
        assert (views / name).stat().st_size > 0, name
    table = pd.read_csv(views / "motifs.tsv", sep="\t", comment="#")
    assert list(table["motif"]) == [0, 1, 2] and table["frames"].sum() == 2 * 60
    assert "community_2" in table and table["share"].sum() == pytest.approx(1, abs=1e-3)
    for motif in range(3):
        cap = cv2.VideoCapture(str(views / f"grid_motif{motif}.mp4"))
        ok, frame = cap.read()
        assert ok and frame.shape[:2] == (96, 96)
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 15  # 0.5 s at 30 fps
        cap.release()


def test_the_calibration_stage(demo_run):
    """Samples, the annotation page, the points (with no human: the held-out labels and the
    demo's truth), keypoint-MoSeq's keys, a smoothed pose table per session, the demo check."""
    w, cal = demo_run.workdir, demo_run.workdir / "results/calibration"
    samples = pd.read_csv(cal / "samples.tsv", sep="\t", comment="#")
    assert list(samples.columns[:6]) == ["key", "coordinate_index", "video_frame_index", "bodypart", "x", "y"]
    assert len(samples) > 20 and set(samples["key"]) <= set(SESSIONS)
    assert len(list((cal / "samples").glob("*_crop.jpg"))) == len(samples)
    assert "error_annotations.csv" in (cal / "annotate.html").read_text()
    points = pd.read_csv(cal / "points.csv", comment="#")
    assert {"heldout", "truth"} <= set(points["source"]) and (points["error_px"] >= 0).all()
    fit = yaml.safe_load((cal / "calibration.yaml").read_text())
    assert list(fit)[:3] == ["slope", "intercept", "conf_threshold"] and fit["n_points"] == len(points)
    assert fit["sources"]["truth"] == len(samples)
    assert set(yaml.safe_load((cal / "kpms_config_patch.yml").read_text())) >= {"slope", "intercept", "conf_threshold"}
    for s in SESSIONS:
        smoothed = read_pose_table(w / f"results/pose/{s}_calibrated.h5")
        assert smoothed.shape == (60, 21) and np.isfinite(smoothed.to_numpy()).all()
    check = pd.read_csv(cal / "demo_check.tsv", sep="\t", comment="#")
    assert list(check.columns) == ["bodypart", "raw_px", "median_px", "savgol_px", "kalman_px", "calibrated_px"]
    assert check.notna().all().all()
    lines = pd.read_csv(cal / "demo_fit.tsv", sep="\t", comment="#")
    assert list(lines["line"]) == ["annotated", "oracle"]


def test_a_persons_annotations_replace_the_automatic_sources(demo_run, tmp_path):
    """An error_annotations.csv named in the config (here: the demo's truth at the sampled
    triples, as the annotation page would write it, and one bodypart marked not visible)
    reruns the points, the fit and what reads it, nothing upstream (on a copy of the run)."""
    from ethoflow.calibration.page import CSV_HEADER

    w = tmp_path / "run"
    shutil.copytree(demo_run.workdir, w, symlinks=True)
    points = pd.read_csv(w / "results/calibration/points.csv", comment="#")
    truth = points[points["source"] == "truth"]
    rows = [f"{r.key},{r.coordinate_index},{r.video_frame_index},{r.bodypart},{r.x},{r.y}"
            for r in truth.itertuples()]
    first = truth.iloc[0]
    rows.append(f"{first.key},{first.coordinate_index + 1},{first.video_frame_index + 1},{first.bodypart},,")
    (w / "error_annotations.csv").write_text("\n".join(CSV_HEADER + rows) + "\n")
    override = tmp_path / "annotations.yaml"
    override.write_text(yaml.safe_dump({"calibration": {"annotations": "error_annotations.csv"}}))
    assert planned_rules(w, "--configfile", str(override)) == {"calibration_points"} | FIT
    snakemake(w, "--configfile", str(override))
    fit = yaml.safe_load((w / "results/calibration/calibration.yaml").read_text())
    assert fit["sources"] == {"annotations": len(truth), "not visible": 1} and fit["n_points"] == len(truth)
    again = pd.read_csv(w / "results/calibration/points.csv", comment="#")
    np.testing.assert_allclose(again["error_px"], truth["error_px"], atol=1e-3)


def test_the_arhmm_segments_the_pose_without_the_vae(demo_run, tmp_path):
    """segment.method arhmm: keypoint-MoSeq's AR-HMM on the pose tables, with the calibration's
    threshold; only the motif rules run (on a copy of the run), into their own folder."""
    from ethoflow.behaviour.io import read_segmentation, read_segmentation_model

    w = tmp_path / "run"
    shutil.copytree(demo_run.workdir, w, symlinks=True)
    override = tmp_path / "arhmm.yaml"
    override.write_text(yaml.safe_dump({"segment": {"method": "arhmm", "n_iter": 20}}))
    assert planned_rules(w, "--configfile", str(override)) == MOTIFS
    snakemake(w, "--configfile", str(override))
    model = read_segmentation_model(w / "results/segment/arhmm-3_model.h5")
    assert model["ar_weights"].shape[0] == 3 and model["nlags"] == 3
    for s in SESSIONS:
        seg = read_segmentation(w / f"results/segment/arhmm-3/{s}.h5")
        assert len(seg["labels"]) == 60 and seg["attrs"]["input"] == f"results/pose/{s}_filtered.h5"
    assert "nmi" in (w / "results/segment/arhmm-3/demo_check.tsv").read_text()
    log = (w / "logs/segment/arhmm-3_fit.log").read_text()
    assert "AR-HMM: PCA to" in log and "sweeps in" in log


def test_start_up_says_what_runs(demo_run):
    assert "ethoflow: 2 session(s) from the demo (demo/)" in demo_run.stdout
    assert "runs: discover, face, pose, calibration, embed, segment" in demo_run.stdout


def test_nothing_to_do_after_a_complete_run(demo_run):
    assert "Nothing to be done" in snakemake(demo_run.workdir, "-n").stdout


def test_the_report(demo_run, tmp_path):
    """The report of the run, rendered in a browser where Chromium is installed; a report
    asked for with another config than the run's stops, saying what to pass."""
    w = demo_run.workdir
    other = tmp_path / "other.yaml"
    other.write_text("face: {ncomps: 3}\n")
    proc = snakemake(w, "--report", "report.html", "--configfile", str(other), check=False)
    assert proc.returncode != 0 and not (w / "report.html").exists()
    assert "the results here were made with another config" in proc.stdout
    assert "differs at face.ncomps" in proc.stdout and "--configfile" in proc.stdout
    snakemake(w, "--report", "report.html")
    html = (w / "report.html").read_text()
    for name in ("demo01.png", "summary.html", "loss.png", "evaluation.csv", "demo01_labeled.mp4",
                 "usage.png", "demo_check.tsv", "calibration.png"):
        assert name in html, name
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return  # the browser check needs Debian's chromium (CI installs it)
    from tests.workflow.report_screenshot import check_report

    seen = check_report(w / "report.html", tmp_path / "shots")
    assert seen["figures"] and seen["pose_figures"] and seen["motif_figures"] and seen["calibration_figures"]
    assert seen["table_cells"] >= 2 * 10


# export_nwb: each session's NWB file holds its pose, face, latents and motifs
CALIB = {"calibration_sample", "calibration_page", "calibration_points", "calibration_fit",
         "calibration_smooth", "calibration_demo_check", "summary", "export_nwb"}
FIT = {"calibration_fit", "calibration_smooth", "calibration_demo_check", "summary", "export_nwb"}
POSE_CHAIN = {"pose_infer", "pose_filter", "pose_plot", "pose_export", "pose_video",
              "pose_skeleton", "pose_demo_check"} | CALIB
FILTERED = {"pose_filter", "pose_plot", "pose_export", "pose_skeleton", "export_nwb"}
VIEWS = {"segment_views", "segment_grid_movies"}
BEHAVIOUR = {"embed_train", "embed_session", "segment_fit", "segment_session", "segment_usage",
             "segment_demo_check", "summary", "export_nwb"} | VIEWS
MOTIFS = {"segment_fit", "segment_session", "segment_usage", "segment_demo_check", "summary",
          "export_nwb"} | VIEWS
# a new demo: new videos (so discovery, a checkpoint: what follows it is planned once it has
# run) and new labels (so the network)
NEW_DEMO = {"demo_session", "discover_video", "discover_sessions", "check_labels", "pose_dataset",
            "pose_train", "pose_evaluate"}
# one changed config key -> exactly the rules that must rerun (a wider `params:` anywhere fails)
RERUNS = {
    "seed": (1, NEW_DEMO),
    # discovery's table is a checkpoint: what follows it is planned once it has run
    "discover.frame_count_tolerance": (3, {"discover_video", "discover_sessions"}),
    "face.ncomps": (4, {"face_svd", "face_facemap_proc", "face_demo_check", "summary", "export_nwb"}),
    "face.grey": ("luma", {"face_svd", "face_facemap_proc", "face_demo_check", "summary", "export_nwb"}),
    "pose.frames.numframes2pick": (7, set()),
    "pose.dataset.training_fraction": (0.5, {"pose_dataset", "pose_train", "pose_evaluate"} | POSE_CHAIN | BEHAVIOUR),
    "pose.train.lr": (0.002, {"pose_train", "pose_evaluate"} | POSE_CHAIN | BEHAVIOUR),
    "pose.flip_pairs": ([], {"pose_train", "pose_evaluate"} | POSE_CHAIN | BEHAVIOUR),
    "pose.evaluate.pcutoff": (0.5, {"pose_evaluate", "pose_plot", "pose_video", "pose_demo_check", "summary",
                                    "export_nwb"}),
    "pose.inference.batch_size": (4, POSE_CHAIN | BEHAVIOUR),
    "pose.inference.save_as": (["csv", "tsv"], {"pose_export"}),
    "pose.inference.likelihood": ("peak", {"pose_evaluate"} | POSE_CHAIN | BEHAVIOUR),
    "pose.inference.flip_test": (True, {"pose_evaluate"} | POSE_CHAIN | BEHAVIOUR),
    # the calibration's demo check runs every filter; its smoother reads the body checks
    "pose.filter.window": (3, FILTERED | BEHAVIOUR | {"calibration_demo_check"}),
    "pose.filter.repair_swaps": (False, FILTERED | BEHAVIOUR | {"calibration_smooth", "calibration_demo_check"}),
    "pose.filter.broken_z": (None, FILTERED | BEHAVIOUR | {"calibration_smooth", "calibration_demo_check"}),
    "pose.filter.method": ("calibrated", FILTERED | BEHAVIOUR | {"calibration_demo_check"}),
    "calibration.num_samples": (50, CALIB),
    "calibration.crop_size": (100, {"calibration_page"}),
    "calibration.sources": (["truth"], {"calibration_points"} | FIT),
    "calibration.error_tolerance_px": (5, FIT),
    "calibration.conf_threshold": (0.2, FIT),
    "embed.pose": ("calibrated", BEHAVIOUR),
    "pose.skeleton": ([["snout", "tailbase"]], {"pose_video", "pose_skeleton", "segment_views", "export_nwb"}),
    "pose.video.trail": (2, {"pose_video", "export_nwb"}),
    "pose.outliers.epsilon": (10, set()),
    "pose.outliers.skeleton_z": (3, set()),
    "embed.pcutoff": (0.1, BEHAVIOUR),
    "embed.model.epochs": (2, BEHAVIOUR),
    "segment.n_init": (3, MOTIFS),
    "segment.method": ("arhmm", MOTIFS),
    "segment.kappa": (1e4, set()),  # the AR-HMM's: k-means does not read it
    "segment.grid_movies.crop": (32, {"segment_grid_movies"}),
    "segment.views": (False, set()),
    "segment.vame_files": (False, set()),
    "export.nwb.face_masks": (False, {"export_nwb"}),
    "export.datajoint.enabled": (True, {"export_datajoint"}),
    "export.datajoint.schema_prefix": ("lab_", set()),  # read only when it is on
    "face.facemap_proc": (False, set()),
    "export.nwb.metadata.subject_id": ("m9", {"export_nwb"}),
}


def _override(key: str, value) -> dict:
    *path, last = key.split(".")
    out = node = {}
    for part in path:
        node = node.setdefault(part, {})
    node[last] = value
    return out


def test_each_config_key_reruns_exactly_what_reads_it(demo_run, tmp_path):
    """Change one key at a time (a config file on top of the project's) and ask Snakemake what
    it would rerun: exactly the rules whose stage reads the key, and what follows them."""
    variants = {}
    for key, (value, _) in RERUNS.items():
        variants[key] = tmp_path / f"{key}.yaml"
        variants[key].write_text(yaml.safe_dump(_override(key, value)))
    planned = planned_rules_many(demo_run.workdir, list(variants.values()))
    planned = {key: planned[str(path)] for key, path in variants.items()}
    wrong = {key: {"extra": sorted(planned[key] - expected), "missing": sorted(expected - planned[key])}
             for key, (_, expected) in RERUNS.items() if planned[key] != expected}
    assert not wrong, wrong


def test_a_real_rerun_remakes_what_the_plan_says(demo_run):
    """Run for real after changing a face parameter: only the face outputs and the tables made
    from them are written again (this changes the project: it runs last)."""
    w = demo_run.workdir
    before = outputs(w)
    config = yaml.safe_load((w / "config/config.yaml").read_text())
    config["face"]["ncomps"] = 4
    (w / "config/config.yaml").write_text(yaml.safe_dump(config))
    snakemake(w)
    assert changed(before, outputs(w)) == {
        *(f"results/face/{s}{ext}" for s in SESSIONS for ext in (".h5", ".png", "_proc.npy")),
        "results/face/demo_check.tsv", "results/summary.tsv", "results/summary.html",
        *(f"results/nwb/{s}.nwb" for s in SESSIONS),
        "results/config.yaml"}  # the record of the run's config
    assert "face:\n  chunk_size" in (w / "results/config.yaml").read_text()
