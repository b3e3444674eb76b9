import json

import pandas as pd
import pytest

from ethoflow.exceptions import VideoError
from ethoflow.sessions.discover import discover_session, included_sessions, sessions_table
from ethoflow.sessions.sources import Session


def test_record_and_table(tiny_video, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"")
    ok = discover_session(Session("s1", str(tiny_video)), tmp_path / "s1.json")
    assert ok["status"] == "ok" and ok["video"]["nframes"] == 60
    assert ok["face_video"] is None
    assert "ethoflow_version" in json.loads((tmp_path / "s1.json").read_text())
    with pytest.raises(VideoError, match="bad.mp4: file is empty"):
        discover_session(Session("s2", str(bad)), tmp_path / "s2.json")
    assert not (tmp_path / "s2.json").exists()
    rec = discover_session(Session("s2", str(bad)), tmp_path / "s2.json", on_bad_video="exclude")
    assert rec["status"] == "excluded" and "empty" in rec["reason"]
    table = sessions_table([tmp_path / "s2.json", tmp_path / "s1.json"], tmp_path / "t.tsv")
    assert list(table["session"]) == ["s1", "s2"]
    back = pd.read_csv(tmp_path / "t.tsv", sep="\t", comment="#")
    assert back.loc[0, "nframes"] == 60 and back.loc[1, "status"] == "excluded"
    assert included_sessions(tmp_path / "t.tsv") == ["s1"]


def test_face_video_probed_too(tiny_video, tmp_path):
    rec = discover_session(Session("s1", str(tiny_video), str(tiny_video)), tmp_path / "s.json")
    assert rec["face_video"]["nframes"] == 60
