"""What a run will do (ethoflow.plan): sessions, labelled folders, stages run or skipped."""

import pytest

from ethoflow.config import fill_defaults, load_schema
from ethoflow.exceptions import LabelError, SessionError
from ethoflow.plan import Plan, find_label_files, load_plan, make_plan, plan_path, save_plan
from tests.conftest import REPO

SCHEMA = load_schema(REPO / "config" / "schemas" / "config.schema.yaml")


def config_for(tmp_path, **sections):
    (tmp_path / "v.mp4").write_bytes(b"x")
    config = {"demo": {"enabled": False}, "videos": {"patterns": [str(tmp_path / "*.mp4")]}}
    config.update(sections)
    return fill_defaults(config, SCHEMA)


def labelled(project, name, labels=True):
    folder = project / "labeled-data" / name
    folder.mkdir(parents=True)
    (folder / "img00001.png").write_bytes(b"")
    if labels:
        (folder / "CollectedData_me.csv").write_text("")


def test_without_labels_pose_and_what_follows_are_skipped(tmp_path):
    plan = make_plan(config_for(tmp_path))
    assert list(plan.sessions) == ["v"] and plan.runs("face") and not plan.runs("pose")
    assert "extract_frames" in plan.skipped["pose"]
    assert plan.skipped["embed"] == "needs the pose stages"
    assert "skipped: segment: needs the embedding" in plan.describe()


def test_labelled_and_unlabelled_folders(tmp_path):
    labelled(tmp_path / "p", "a")
    labelled(tmp_path / "p", "b", labels=False)
    plan = make_plan(config_for(tmp_path, pose={"project": str(tmp_path / "p")}))
    assert list(plan.label_files) == ["a"] and plan.unlabelled == ["b"]
    assert plan.runs("segment") and "waiting for labels: b" in plan.describe()


@pytest.mark.parametrize("layout, match", [
    ("missing", "no such folder"),
    ("csv-at-root", "no labeled-data/ folder.*a Lightning Pose project"),
    ("loose-images", "holds 1 file\\(s\\) directly \\(img1.png\\)"),
], ids=["missing", "csv-at-root", "loose-images"])
def test_a_named_project_in_another_layout_is_an_error(tmp_path, layout, match):
    project = tmp_path / "p"
    if layout != "missing":
        project.mkdir()
        (project / "CollectedData.csv").write_text("")
    if layout == "loose-images":
        (project / "labeled-data").mkdir()
        (project / "labeled-data" / "img1.png").write_bytes(b"")
    with pytest.raises(LabelError, match=match):
        find_label_files(project)
    if layout == "missing":
        assert find_label_files(project, explicit=False) == ({}, [])


def test_unknown_training_sessions_are_an_error(tmp_path):
    labelled(tmp_path / "p", "a")
    config = config_for(tmp_path, pose={"project": str(tmp_path / "p")}, embed={"train_sessions": ["x"]})
    with pytest.raises(SessionError, match="embed.train_sessions.*unknown session\\(s\\) x"):
        make_plan(config)
    config = config_for(tmp_path, pose={"project": str(tmp_path / "p")}, calibration={"sessions": ["y"]})
    with pytest.raises(SessionError, match="calibration.sessions.*unknown session\\(s\\) y"):
        make_plan(config)


def test_a_saved_plan_is_read_back_and_a_missing_one_made_again(tmp_path):
    config = config_for(tmp_path)
    plan = make_plan(config)
    path = plan_path(tmp_path / "plans", config)
    save_plan(plan, path)
    assert load_plan(config, path) == plan
    assert load_plan(config, tmp_path / "none.json") == plan
    assert isinstance(Plan.from_dict(plan.to_dict()), Plan)


def test_existing_tracks_replace_the_network(tmp_path):
    """pose.tracks: no labels needed, pose runs from the tables, the calibration is skipped."""
    (tmp_path / "v_dlc.h5").write_bytes(b"x")
    config = config_for(tmp_path, pose={"tracks": str(tmp_path / "{session}_dlc.h5")},
                        calibration={"enabled": True})
    plan = make_plan(config)
    assert plan.tracks == {"v": str(tmp_path / "v_dlc.h5")} and plan.runs("pose") and plan.runs("embed")
    assert not plan.label_files and "existing tracks" in plan.skipped["calibration"]
    assert "pose: existing tracks for 1 session(s), no network" in plan.describe()
    assert Plan.from_dict(plan.to_dict()).tracks == plan.tracks


@pytest.mark.parametrize("pattern, match", [
    ("{session}_missing.h5", r"no such file for session\(s\) v \("),
    ("tracks.h5", "has no {session} to fill in"),
])
def test_tracks_that_cannot_be_found_stop_the_plan(tmp_path, pattern, match):
    config = config_for(tmp_path, pose={"tracks": str(tmp_path / pattern)})
    with pytest.raises(SessionError, match=match):
        make_plan(config)


def test_tracks_cannot_feed_what_needs_the_calibration(tmp_path):
    from ethoflow.exceptions import ConfigError

    (tmp_path / "v_dlc.h5").write_bytes(b"x")
    config = config_for(tmp_path, pose={"tracks": str(tmp_path / "{session}_dlc.h5")},
                        calibration={"enabled": True}, embed={"pose": "calibrated"})
    with pytest.raises(ConfigError, match="config key 'embed.pose': calibrated needs the calibration"):
        make_plan(config)


def test_the_sheet_names_tracks_for_every_session_or_none(tmp_path):
    for name in ("a.mp4", "b.mp4", "a.h5"):
        (tmp_path / name).write_bytes(b"x")
    sheet = tmp_path / "s.tsv"
    sheet.write_text(f"session\tvideo\tpose\na\t{tmp_path / 'a.mp4'}\t{tmp_path / 'a.h5'}\n"
                     f"b\t{tmp_path / 'b.mp4'}\t\n")
    config = fill_defaults({"demo": {"enabled": False}, "videos": {"sheet": str(sheet)}}, SCHEMA)
    with pytest.raises(SessionError, match="existing pose tables for some sessions only: none for b"):
        make_plan(config)
