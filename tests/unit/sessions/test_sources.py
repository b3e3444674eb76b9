import pytest

from ethoflow.exceptions import SessionError
from ethoflow.sessions.sources import (
    demo_sessions,
    resolve_sessions,
    safe_name,
    sessions_from_globs,
    sessions_from_sheet,
)


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_globs_over_nested_folders(tmp_path):
    for mouse in range(3):
        for day in range(40):
            touch(tmp_path / f"m{mouse}" / f"day {day:02d}" / "top.mp4")
    touch(tmp_path / "m0" / "notes.txt")
    sessions = sessions_from_globs([str(tmp_path / "**" / "*.mp4")])
    assert len(sessions) == 120
    names = [s.name for s in sessions]
    assert "m0_day_00_top" in names and len(set(names)) == 120
    assert all(s.face_video is None for s in sessions)


def test_glob_name_clash_names_both_files(tmp_path):
    a = touch(tmp_path / "a" / "s1.mp4")
    b = touch(tmp_path / "b" / "s1.mp4")
    with pytest.raises(SessionError, match="s1") as err:
        sessions_from_globs([str(tmp_path / "**" / "*.mp4")], naming="stem")
    assert str(a) in str(err.value) and str(b) in str(err.value)


def test_glob_exclude_and_no_match(tmp_path):
    touch(tmp_path / "s1.mp4")
    touch(tmp_path / "s1_face.mp4")
    got = sessions_from_globs([str(tmp_path / "*.mp4")], exclude=[str(tmp_path / "*_face.mp4")])
    assert [s.name for s in got] == ["s1"]
    with pytest.raises(SessionError, match="no video file matches"):
        sessions_from_globs([str(tmp_path / "*.avi")])


def test_sheet(tmp_path):
    v1, f1, v2 = (touch(tmp_path / n) for n in ("v1.mp4", "f1.mp4", "v2.mp4"))
    sheet = tmp_path / "sessions.tsv"
    sheet.write_text(f"# comment\nsession\tvideo\tface_video\nA1\t{v1}\t{f1}\nB2\t{v2}\t\n")
    got = sessions_from_sheet(sheet)
    assert [(s.name, s.video, s.face_video) for s in got] == [
        ("A1", str(v1), str(f1)), ("B2", str(v2), None)]


def test_sheet_metadata_columns_travel_with_the_session_and_the_plan(tmp_path):
    from ethoflow.plan import Plan

    v1, v2 = touch(tmp_path / "v1.mp4"), touch(tmp_path / "v2.mp4")
    sheet = tmp_path / "sessions.tsv"
    sheet.write_text("session\tvideo\tsubject_id\tsession_start_time\texperimenter\n"
                     f"A1\t{v1}\tm1\t2024-03-01T10:00:00+01:00\tDoe, Jane; Roe, Ann\n"
                     f"B2\t{v2}\tm2\t\t\n")
    a, b = sessions_from_sheet(sheet)
    assert a.meta == {"subject_id": "m1", "session_start_time": "2024-03-01T10:00:00+01:00",
                      "experimenter": "Doe, Jane; Roe, Ann"}
    assert b.meta == {"subject_id": "m2"}  # empty cells: the config's defaults
    plan = Plan({s.name: s for s in (a, b)}, "a sheet", "p")
    assert Plan.from_dict(plan.to_dict()).sessions == plan.sessions


@pytest.mark.parametrize(
    "rows, match",
    [
        ("session\tvideo\nA\t{v}\nA\t{v}\n", "two videos give the session name 'A'"),
        ("session\tvideo\na b\t{v}\n", "not filesystem-safe"),
        ("session\tfile\nA\t{v}\n", "missing column"),
        ("session\tvideo\nA\t{missing}\n", "does not exist"),
        ("session\tvideo\tcamera\nA\t{v}\tx\n", "unknown column"),
        ("session\tvideo\tpose\nA\t{v}\t{missing}\n", "pose .*nope.mp4 does not exist"),
        ("session\tvideo\ttimestamps\nA\t{v}\t{missing}\n", "timestamps .*nope.mp4 does not exist"),
    ],
    ids=["duplicate", "unsafe-name", "missing-column", "missing-video", "unknown-column", "missing-pose",
         "missing-timestamps"],
)
def test_sheet_errors_name_the_sheet(tmp_path, rows, match):
    v = touch(tmp_path / "v.mp4")
    sheet = tmp_path / "s.tsv"
    sheet.write_text(rows.format(v=v, missing=tmp_path / "nope.mp4"))
    with pytest.raises(SessionError, match=match) as err:
        sessions_from_sheet(sheet)
    assert str(sheet) in str(err.value)


def test_safe_name():
    assert safe_name("mouse 1/day#2") == "mouse_1_day_2"


def test_resolve_prefers_demo_then_sheet(tmp_path):
    demo = {"enabled": True, "n_sessions": 2, "outdir": "demo"}
    got = resolve_sessions({"demo": demo, "videos": {}})
    assert [s.name for s in got] == ["demo01", "demo02"]
    assert got[0].face_video == "demo/face/demo01.mp4"
    assert demo_sessions(demo)[1].video == "demo/videos/demo02.mp4"
    with pytest.raises(SessionError, match="no sessions"):
        resolve_sessions({"demo": {"enabled": False}, "videos": {}})
