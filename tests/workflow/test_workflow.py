"""Run the real workflow with snakemake on tiny data in a temporary folder.

What is checked: a full run, nothing to do afterwards, reruns limited to what a change
touches (one session's video, one face parameter), a schema violation naming the key, a
corrupt video's clear error, and excluding bad videos instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO, moving_scene, write_video

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [*SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", "2", *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=workdir, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-6000:]}")
    return proc


def write_config(workdir: Path, **overrides) -> dict:
    """A tiny config reading a sample sheet; ``overrides`` replace whole sections."""
    config = {
        "seed": 0,
        "demo": {"enabled": False},
        "videos": {"sheet": "sessions.tsv"},
        "discover": {"on_bad_video": "error"},
        "face": {
            "sbin": 2, "ncomps": 4, "svd_frames": 40, "chunk_size": 16,
            "rois": [{"name": "square", "x": [0, 64], "y": [0, 24]}],
        },
    }
    config.update(overrides)
    (workdir / "config").mkdir(exist_ok=True)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return config


def write_sheet(workdir: Path, sessions: dict[str, str]) -> None:
    lines = ["session\tvideo"] + [f"{name}\t{video}" for name, video in sessions.items()]
    (workdir / "sessions.tsv").write_text("\n".join(lines) + "\n")


def outputs(workdir: Path) -> dict[str, int]:
    """Every result file with its modification time."""
    return {
        str(p.relative_to(workdir)): p.stat().st_mtime_ns
        for p in (workdir / "results").rglob("*")
        if p.is_file()
    }


def changed(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {k for k, v in after.items() if before.get(k) != v}


def sheet_project(folder: Path) -> Path:
    """Three 50-frame sessions s1..s3 in a sample sheet, with the tiny config."""
    (folder / "videos").mkdir(parents=True)
    sessions = {}
    for i, name in enumerate(["s1", "s2", "s3"]):
        write_video(folder / "videos" / f"{name}.mp4", moving_scene(n=50, seed=i))
        sessions[name] = f"videos/{name}.mp4"
    write_sheet(folder, sessions)
    write_config(folder)
    return folder


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The sample-sheet project, run once to completion."""
    workdir = sheet_project(tmp_path_factory.mktemp("wf"))
    snakemake(workdir)
    return workdir


def test_full_run_writes_results(project):
    table = pd.read_csv(project / "results/discover/sessions.tsv", sep="\t", comment="#")
    assert list(table["session"]) == ["s1", "s2", "s3"]
    assert set(table["status"]) == {"ok"} and set(table["nframes"]) == {50}
    for s in ("s1", "s2", "s3"):
        assert (project / f"results/face/{s}.h5").stat().st_size > 0
        assert (project / f"results/face/{s}.png").stat().st_size > 0
        assert (project / f"logs/face/{s}.log").read_text().strip()


def test_nothing_to_do_after_a_complete_run(project):
    proc = snakemake(project, "-n")
    assert "Nothing to be done" in proc.stdout


def test_replacing_one_video_reruns_only_that_session(project):
    before = outputs(project)
    write_video(project / "videos" / "s2.mp4", moving_scene(n=50, seed=7))
    snakemake(project)
    assert changed(before, outputs(project)) == {
        "results/discover/s2.json",
        "results/discover/sessions.tsv",
        "results/face/s2.h5",
        "results/face/s2.png",
        "results/summary.tsv",
        "results/summary.html",
    }


def test_changing_a_face_parameter_reruns_face_jobs_only(project):
    before = outputs(project)
    config = yaml.safe_load((project / "config/config.yaml").read_text())
    config["face"]["ncomps"] = 3
    (project / "config/config.yaml").write_text(yaml.safe_dump(config))
    snakemake(project)
    assert changed(before, outputs(project)) == {
        f"results/face/{s}.{ext}" for s in ("s1", "s2", "s3") for ext in ("h5", "png")
    } | {"results/summary.tsv", "results/summary.html"}


def test_a_new_session_runs_only_its_own_chain(project):
    before = outputs(project)
    write_video(project / "videos" / "s4.mp4", moving_scene(n=50, seed=11))
    with open(project / "sessions.tsv", "a") as fh:
        fh.write("s4\tvideos/s4.mp4\n")
    snakemake(project)
    assert changed(before, outputs(project)) == {
        "results/discover/s4.json",
        "results/discover/sessions.tsv",
        "results/face/s4.h5",
        "results/face/s4.png",
        "results/summary.tsv",
        "results/summary.html",
    }


def test_schema_violation_names_the_key(tmp_path):
    write_sheet(tmp_path, {})
    write_config(tmp_path, face={"sbn": 4})
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0
    assert "config key 'face': unknown key(s) 'sbn'" in proc.stdout
    write_config(tmp_path, face={"ncomps": "many"})
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0
    assert "config key 'face.ncomps': 'many' is not of type 'integer'" in proc.stdout


def test_name_clash_in_sheet_is_reported(tmp_path):
    video = write_video(tmp_path / "a.mp4", moving_scene(n=10))
    (tmp_path / "sessions.tsv").write_text(f"session\tvideo\nA\t{video}\nA\t{video}\n")
    write_config(tmp_path)
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0 and "two videos give the session name 'A'" in proc.stdout


@pytest.fixture
def with_corrupt_video(tmp_path) -> Path:
    write_video(tmp_path / "good.mp4", moving_scene(n=30))
    (tmp_path / "bad.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(3000))
    write_sheet(tmp_path, {"good": "good.mp4", "bad": "bad.mp4"})
    return tmp_path


def test_corrupt_video_stops_with_a_clear_error(with_corrupt_video):
    write_config(with_corrupt_video)
    proc = snakemake(with_corrupt_video, check=False)
    assert proc.returncode != 0
    log = (with_corrupt_video / "logs/discover/bad.log").read_text()
    assert "bad.mp4: OpenCV cannot open it as a video" in log
    assert "bad.mp4: OpenCV cannot open it as a video" in proc.stdout  # --show-failed-logs
    assert not (with_corrupt_video / "results/discover/bad.json").exists()


def test_corrupt_video_can_be_excluded(with_corrupt_video):
    write_config(with_corrupt_video, discover={"on_bad_video": "exclude"})
    snakemake(with_corrupt_video)
    table = pd.read_csv(with_corrupt_video / "results/discover/sessions.tsv", sep="\t",
                        comment="#").set_index("session")
    assert table.loc["bad", "status"] == "excluded"
    assert "cannot open" in table.loc["bad", "reason"]
    assert table.loc["good", "status"] == "ok"
    assert (with_corrupt_video / "results/face/good.h5").exists()
    assert not (with_corrupt_video / "results/face/bad.h5").exists()


def test_lint_is_clean():
    if shutil.which("snakemake") is None:
        pytest.skip("snakemake not on PATH")
    proc = subprocess.run([*SNAKEMAKE, "--lint", "-s", str(REPO / "Snakefile")],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stdout


def demo_project(folder: Path) -> Path:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["demo"].update(n_sessions=2, n_frames=240, width=96, height=96, n_labeled=3)
    config["face"].update(ncomps=5)
    config["pose"]["train"].update(maxiters=20, width=8, batch_size=4, save_iters=10)
    config["pose"]["dataset"].update(training_fraction=0.75)
    config["embed"]["model"].update(epochs=3, hidden_size_layer_1=8, hidden_size_rec=8,
                                    hidden_size_pred=8, zdims=4)
    config["embed"].update(pcutoff=0.0)  # a 20-iteration network is unsure everywhere
    config["segment"].update(n_init=2)
    (folder / "config").mkdir(parents=True)
    (folder / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return folder


def test_demo_runs_end_to_end(tmp_path):
    """The default config's path: generate the demo with ground truth, then analyse it."""
    demo_project(tmp_path)
    snakemake(tmp_path)
    for s in ("demo01", "demo02"):
        for path in (f"demo/videos/{s}.mp4", f"demo/face/{s}.mp4", f"demo/truth/{s}_pose.h5",
                     f"demo/labeled-data/{s}/CollectedData_synthetic.h5",
                     f"results/face/{s}.h5", f"results/face/{s}.png"):
            assert (tmp_path / path).stat().st_size > 0, path
        assert len(list((tmp_path / f"demo/labeled-data/{s}").glob("img*.png"))) == 3
        for path in (f"results/pose/{s}.h5", f"results/pose/{s}_filtered.h5",
                     f"results/pose/plots/{s}.png", f"results/pose/videos/{s}_labeled.mp4",
                     f"results/pose/labels/{s}.png"):
            assert (tmp_path / path).stat().st_size > 0, path
    truth = pd.read_csv(tmp_path / "results/pose/demo_check.tsv", sep="\t", comment="#")
    assert set(truth["session"]) == {"demo01", "demo02"} and (truth["frames"] == 240).all()
    check = pd.read_csv(tmp_path / "results/face/demo_check.tsv", sep="\t", comment="#")
    assert len(check) == 6 and set(check["roi"]) == {"whiskers", "mouth", "eye"}
    assert (check["component_r"] > 0.5).all(), check
    summary = pd.read_csv(tmp_path / "results/summary.tsv", sep="\t", comment="#")
    assert list(summary["session"]) == ["demo01", "demo02"]
    assert (summary["nframes"] == 240).all() and "face_whiskers_top5_motion_share" in summary
    assert summary["pose_frames_all_above_pcutoff"].between(0, 1).all()
    assert summary["pose_network_test_error_px"].notna().all()
    usage = summary[[f"motif_{k}_usage" for k in range(5)]]
    np.testing.assert_allclose(usage.sum(axis=1), 1.0, atol=1e-3)
    motifs = pd.read_csv(tmp_path / "results/segment/kmeans-5/demo_check.tsv", sep="\t", comment="#")
    assert list(motifs["session"]) == ["demo01", "demo02", "all"]
    assert motifs[["nmi", "ari", "purity"]].notna().all().all()
    # nothing to do afterwards, and the demo is not regenerated
    proc = snakemake(tmp_path, "-n")
    assert "Nothing to be done" in proc.stdout
    # the HTML report, with the per-session figures and the summary table
    snakemake(tmp_path, "--report", "report.html")
    html = (tmp_path / "report.html").read_text()
    assert "demo01.png" in html and "demo02.png" in html and "summary.html" in html
    assert "loss.png" in html and "evaluation.csv" in html and "demo01_labeled.mp4" in html
    assert "usage.png" in html and "demo_check.tsv" in html
    try:
        from tests.workflow.report_screenshot import check_report
    except ImportError:
        return  # selenium not installed: the browser check is a documented script
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return
    seen = check_report(tmp_path / "report.html", tmp_path / "shots")
    assert seen["figures"] and seen["pose_figures"] and seen["table_cells"] >= 2 * 10


def test_same_config_and_seed_give_identical_files(tmp_path):
    """Two demo runs from scratch: every table, record, video, image, face file, dataset,
    trained network and snapshot is byte-identical; DLC/pandas HDF5 files (PyTables stamps
    creation times) hold equal tables."""
    from ethoflow.io.dlc import read_pose_table

    runs = [demo_project(tmp_path / name) for name in ("a", "b")]
    for run in runs:
        snakemake(run)
    a, b = runs
    files = sorted(p.relative_to(a) for d in ("results", "demo") for p in (a / d).rglob("*")
                   if p.is_file())
    assert len(files) > 20
    for f in files:
        if f.suffix == ".h5" and (f.parts[0] == "demo" or f.parts[1] == "pose"):
            pd.testing.assert_frame_equal(read_pose_table(a / f), read_pose_table(b / f))
        else:
            assert (a / f).read_bytes() == (b / f).read_bytes(), f
