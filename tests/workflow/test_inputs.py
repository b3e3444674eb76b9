"""What a new user meets at start-up and with bad input: the plan the run prints, config
errors named by key however the workflow is started, bad videos, ROIs that do not fit, a
labels folder in another layout. Each case is a tiny project of its own."""

from __future__ import annotations

import os

import cv2
import pandas as pd
import pytest

from tests.conftest import moving_scene, write_video
from tests.workflow.helpers import snakemake, write_config, write_sheet


def sheet_project(folder, n=2, frames=30, **sections):
    """``n`` tiny videos in a sample sheet; face on the whole frame; no labels anywhere."""
    (folder / "videos").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_video(folder / "videos" / f"s{i + 1}.mp4", moving_scene(n=frames, seed=i))
    write_sheet(folder, {f"s{i + 1}": f"videos/s{i + 1}.mp4" for i in range(n)})
    config = {"demo": {"enabled": False}, "videos": {"sheet": "sessions.tsv"},
              "face": {"sbin": 2, "ncomps": 3, "svd_frames": 20, "chunk_size": 16}}
    config.update(sections)
    write_config(folder, config)
    return folder


def test_without_labels_the_plan_says_what_to_do(tmp_path):
    proc = snakemake(sheet_project(tmp_path), "-n")
    assert "ethoflow: 2 session(s) from the sample sheet sessions.tsv" in proc.stdout
    assert "runs: discover, face" in proc.stdout
    assert "skipped: pose: no labelled frames in pose-project/labeled-data/" in proc.stdout
    assert "snakemake extract_frames --cores all" in proc.stdout
    assert "skipped: embed: needs the pose stages" in proc.stdout


def test_a_labels_folder_in_another_layout_is_an_error(tmp_path):
    """A Lightning Pose project (labels CSV at its root, images in labeled-data/) named as
    pose.project stops the run at start-up, saying what layout ethoflow reads."""
    project = tmp_path / "lp"
    (project / "labeled-data").mkdir(parents=True)
    (project / "CollectedData.csv").write_text("scorer\n")
    cv2.imwrite(str(project / "labeled-data" / "img0001.png"), moving_scene(n=1)[0])
    sheet_project(tmp_path, pose={"project": "lp"})
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0
    assert "lp/labeled-data: holds 1 file(s) directly (img0001.png)" in proc.stdout
    assert "labeled-data/<video>/ holding the frames and CollectedData_<scorer>.h5 or .csv" in proc.stdout
    assert "has CollectedData.csv at its root (a Lightning Pose project?" in proc.stdout
    (project / "labeled-data" / "img0001.png").unlink()
    (project / "labeled-data").rmdir()
    proc = snakemake(tmp_path, "-n", check=False)
    assert "lp: no labeled-data/ folder" in proc.stdout and "a Lightning Pose project?" in proc.stdout


@pytest.mark.parametrize("how", ["config/config.yaml", "--configfile", "--directory"])
def test_config_checks_run_however_the_workflow_starts(tmp_path, how):
    """Bodyparts without the embedding's reference points: stopped at start-up, whichever way
    the config arrives (the schema's defaults are filled in before the checks)."""
    sections = {"pose": {"bodyparts": ["snout", "tailbase"]}}
    project = sheet_project(tmp_path / "p", **sections)
    if how == "config/config.yaml":
        proc = snakemake(project, "-n", check=False)
    else:
        (project / "config" / "config.yaml").rename(project / "mine.yaml")
        where = tmp_path if how == "--directory" else project
        proc = snakemake(where, "-n", "--directory", str(project), "--configfile",
                         str(project / "mine.yaml"), check=False)
    assert proc.returncode != 0
    assert "config key 'embed.align': bodycentre, neck not in pose.bodyparts (snout, tailbase)" in proc.stdout


def test_embed_align_is_not_checked_when_the_embedding_is_off(tmp_path):
    sheet_project(tmp_path, pose={"bodyparts": ["snout", "tailbase"]}, embed={"enabled": False})
    assert snakemake(tmp_path, "-n").returncode == 0


def test_schema_violation_names_the_key(tmp_path):
    sheet_project(tmp_path, face={"sbn": 4})
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0 and "config key 'face': unknown key(s) 'sbn'" in proc.stdout
    sheet_project(tmp_path, face={"ncomps": "many"})
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0
    assert "config key 'face.ncomps': 'many' is not of type 'integer'" in proc.stdout


def test_name_clash_in_sheet_is_reported(tmp_path):
    video = write_video(tmp_path / "a.mp4", moving_scene(n=10))
    sheet_project(tmp_path)
    (tmp_path / "sessions.tsv").write_text(f"session\tvideo\nA\t{video}\nA\t{video}\n")
    proc = snakemake(tmp_path, "-n", check=False)
    assert proc.returncode != 0 and "two videos give the session name 'A'" in proc.stdout


def test_a_roi_outside_the_video_is_an_error_naming_it(tmp_path):
    """The demo's ROIs (drawn on a 192x144 face video) on a 64x48 video."""
    sheet_project(tmp_path, n=1, face={"rois": [{"name": "whiskers", "x": [96, 160], "y": [64, 112]}]})
    proc = snakemake(tmp_path, check=False)
    assert proc.returncode != 0
    assert "face.rois: 'whiskers' x=[96, 160], y=[64, 112] outside the 64x48 frame of" in proc.stdout
    assert not (tmp_path / "results/face/s1.h5").exists()


@pytest.fixture
def with_corrupt_video(tmp_path):
    sheet_project(tmp_path, n=1)
    (tmp_path / "videos" / "bad.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(3000))
    write_sheet(tmp_path, {"s1": "videos/s1.mp4", "bad": "videos/bad.mp4"})
    return tmp_path


def test_a_corrupt_video_stops_with_a_clear_error(with_corrupt_video):
    proc = snakemake(with_corrupt_video, check=False)
    assert proc.returncode != 0
    log = (with_corrupt_video / "logs/discover/bad.log").read_text()
    assert "bad.mp4: OpenCV cannot open it as a video" in log
    assert "bad.mp4: OpenCV cannot open it as a video" in proc.stdout  # --show-failed-logs
    assert not (with_corrupt_video / "results/discover/bad.json").exists()


def test_a_corrupt_video_can_be_excluded(with_corrupt_video):
    w = with_corrupt_video
    config = (w / "config/config.yaml").read_text()
    (w / "config/config.yaml").write_text(config + "discover: {on_bad_video: exclude}\n")
    snakemake(w)
    raw = pd.read_csv(w / "results/discover/sessions.tsv", sep="\t", comment="#", dtype=str)
    assert raw.set_index("session").loc["s1", "nframes"] == "30"  # counts stay integers
    table = pd.read_csv(w / "results/discover/sessions.tsv", sep="\t", comment="#").set_index("session")
    assert table.loc["bad", "status"] == "excluded" and "cannot open" in table.loc["bad", "reason"]
    assert table.loc["s1", "status"] == "ok"
    assert (w / "results/face/s1.h5").exists() and not (w / "results/face/bad.h5").exists()
