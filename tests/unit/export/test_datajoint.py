"""The DataJoint database, on a real MariaDB server started for the tests: element-facemap's
tables and ours hold a session's results equal to its files; ingesting again replaces exactly
that session's rows, in one transaction (a failure leaves the previous rows); a wrong password
or an unreachable server is a clear error."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import numpy as np
import pytest

from ethoflow.datajoint import (
    DataJointExportError,
    connect,
    declare,
    export_session,
    ingest_session,
    session_rows,
)
from ethoflow.datajoint import ingest
from ethoflow.face.io import read_face
from ethoflow.io.dlc import pose_arrays, read_pose_table
from tests.unit.export.conftest import PARTS, START

dj = pytest.importorskip("datajoint")

_prefixes = itertools.count()


def config(prefix="ethoflow_", **datajoint):
    return {"export": {"nwb": {"metadata": {"session_start_time": START, "subject_id": "m1",
                                            "sex": "F", "species": "Mus musculus"}},
                       "datajoint": {"schema_prefix": prefix, **datajoint}},
            "pose": {"bodyparts": PARTS}}


def inputs(files, tmp_path, session="s1"):
    path = tmp_path / f"{session}.json"
    path.write_text(json.dumps(files["record"]))
    return {"record": str(path), **{k: str(files[k]) for k in
                                    ("raw", "filtered", "face", "embedding", "segmentation")}}


@pytest.fixture
def settings(mariadb, monkeypatch):
    """``export.datajoint`` for the test server, its password where DataJoint reads it
    (DJ_PASS at import, or its config), and a fresh schema prefix; the schemas are dropped
    afterwards."""
    monkeypatch.setitem(dj.config, "database.password", mariadb.password)
    prefix = f"t{next(_prefixes)}_"
    yield {"host": mariadb.host, "port": mariadb.port, "user": mariadb.user,
           "schema_prefix": prefix}
    dj.config["database.password"] = mariadb.password  # a test may have changed it
    conn = connect({"host": mariadb.host, "port": mariadb.port, "user": mariadb.user})
    for name in ("behavior", "facemap", "session"):
        conn.query(f"DROP DATABASE IF EXISTS `{prefix}{name}`")
    conn.close()


def counts(pipeline, session=None):
    where = {} if session is None else {"session": session}
    return {name: len(table & where) for name, table in pipeline.session_tables().items()}


def test_rows_hold_the_files(session_files, tmp_path):
    """Without a database: every table's rows, element-facemap's numbering (the whole frame,
    which its loader skips, is region -1), and values equal to the HDF5 files."""
    rows = session_rows("s1", inputs(session_files, tmp_path), config(), {"subject_id": "m2"})
    face = read_face(session_files["face"])
    ncomps = face["motSVD"]["eye"].shape[1]
    assert {k: len(v) for k, v in rows.items()} == {
        "Subject": 1, "Session": 1, "BodyPart": 3, "PoseEstimation": 2,
        "PoseEstimation.BodyPartPosition": 6, "Device": 1, "VideoRecording": 1,
        "VideoRecording.File": 1, "RecordingInfo": 1, "FacemapTask": 1, "FacemapProcessing": 1,
        "FacialSignal": 1, "FacialSignal.Region": 2, "FacialSignal.MotionSVD": 2 * ncomps,
        "FacialSignal.MovieSVD": 2 * ncomps, "FacialSignal.Summary": 1, "LatentEmbedding": 1,
        "MotifSegmentation": 1, "MotifSegmentation.Motif": 3}
    assert rows["Session"][0]["subject"] == "m2"  # the sheet's cell over the config's
    assert rows["Session"][0]["session_datetime"].isoformat() == "2024-03-01T10:00:00"
    regions = {r["roi_name"]: r for r in rows["FacialSignal.Region"]}
    assert regions["full"]["roi_no"] == -1 and regions["eye"]["roi_no"] == 0
    np.testing.assert_array_equal(regions["eye"]["motion"], face["motion"]["eye"])
    np.testing.assert_array_equal(regions["eye"]["xrange"], np.arange(8, 40))
    pc = next(r for r in rows["FacialSignal.MotionSVD"] if r["roi_no"] == 0 and r["pc_no"] == 2)
    np.testing.assert_array_equal(pc["projection"], face["motSVD"]["eye"][:, 2])
    np.testing.assert_array_equal(pc["motmask"], face["motMask"]["eye"][:, :, 2])
    assert pc["singular_value"] == pytest.approx(face["motSv"]["eye"][2])
    _, xy, lik = pose_arrays(read_pose_table(session_files["filtered"]), PARTS)
    neck = next(r for r in rows["PoseEstimation.BodyPartPosition"]
                if r["pose_kind"] == "filtered" and r["body_part"] == "neck")
    np.testing.assert_array_equal(neck["x_pos"], xy[:, 1, 0])
    np.testing.assert_array_equal(neck["likelihood"], lik[:, 1])
    motifs = rows["MotifSegmentation.Motif"]
    assert [(m["usage_frames"], m["n_bouts"], m["median_bout_frames"]) for m in motifs] == \
        [(20, 1, 20.0)] * 3


def test_a_file_that_does_not_fit_is_named(session_files, tmp_path):
    files = inputs(session_files, tmp_path)
    rec = json.loads(Path(files["record"]).read_text())
    rec["video"]["nframes"] = rec["face_video"]["nframes"] = 61
    Path(files["record"]).write_text(json.dumps(rec))
    with pytest.raises(Exception, match=r"s1\.h5: 60 frames, the video .* 61"):
        session_rows("s1", files, config())


def test_ingest_replaces_one_session_in_one_transaction(session_files, tmp_path, settings,
                                                        monkeypatch):
    """Two sessions in; s1 again: the same rows; s1 changed: only its rows replaced; a failure
    halfway: s1's previous rows stay, nothing of the new ones. (Statements of ~2 kB: many per
    table, as a long video's rows are sent, all in the one transaction.)"""
    monkeypatch.setattr(ingest, "INSERT_BYTES", 2000)
    pipeline = declare(connect(settings), settings["schema_prefix"])
    rows = {s: session_rows(s, inputs(session_files, tmp_path, s), config()) for s in ("s1", "s2")}
    for s in ("s1", "s2"):
        assert ingest_session(pipeline, s, rows[s]) == {
            k: len(v) for k, v in rows[s].items() if k not in ("Subject", "Device", "BodyPart")}
    first = counts(pipeline)
    assert first["FacialSignal.Region"] == 4 and first["PoseEstimation.BodyPartPosition"] == 12
    assert len(pipeline.Subject()) == 1 and len(pipeline.BodyPart()) == 3
    when = dict(zip(*pipeline.Session.to_arrays("session", "ingested")))

    time.sleep(1.1)  # `ingested` has one-second resolution
    ingest_session(pipeline, "s1", rows["s1"])
    assert counts(pipeline) == first  # idempotent

    changed = session_rows("s1", {**inputs(session_files, tmp_path, "s1"),
                                  "filtered": str(session_files["raw"])}, config())
    ingest_session(pipeline, "s1", changed)
    assert counts(pipeline) == first
    after = dict(zip(*pipeline.Session.to_arrays("session", "ingested")))
    assert after["s1"] > when["s1"] and after["s2"] == when["s2"]
    key = {"pose_kind": "filtered", "body_part": "neck"}
    _, raw_xy, _ = pose_arrays(read_pose_table(session_files["raw"]), PARTS)
    _, filt_xy, _ = pose_arrays(read_pose_table(session_files["filtered"]), PARTS)
    x = dict(zip(*(pipeline.PoseEstimation.BodyPartPosition & key).to_arrays("session", "x_pos")))
    np.testing.assert_array_equal(x["s1"], raw_xy[:, 1, 0])
    np.testing.assert_array_equal(x["s2"], filt_xy[:, 1, 0])
    motion = (pipeline.FacialSignal.Region & {"session": "s2", "roi_name": "eye"}).fetch1("motion")
    np.testing.assert_array_equal(motion, read_face(session_files["face"])["motion"]["eye"])

    # the last table's insert fails in the database (a duplicate key), after the others
    motifs = changed["MotifSegmentation.Motif"]
    broken = {**changed, "MotifSegmentation.Motif": [*motifs, motifs[0]]}
    with pytest.raises(dj.errors.DuplicateError):
        ingest_session(pipeline, "s1", broken)
    assert counts(pipeline) == first
    x = (pipeline.PoseEstimation.BodyPartPosition & key & {"session": "s1"}).fetch1("x_pos")
    np.testing.assert_array_equal(x, raw_xy[:, 1, 0])


def test_the_rule_writes_its_receipt_after_the_rows(session_files, tmp_path, settings):
    out = tmp_path / "results" / "datajoint" / "s1.json"
    found = export_session("s1", inputs(session_files, tmp_path), out,
                           config(**{k: settings[k] for k in ("host", "port", "user")},
                                  prefix=settings["schema_prefix"]))
    receipt = json.loads(out.read_text())
    assert receipt["rows"] == found and found["FacialSignal.MotionSVD"] > 0
    assert receipt["schemas"]["facemap"] == f"{settings['schema_prefix']}facemap"


def test_a_wrong_password_or_no_server_is_a_clear_error(mariadb, settings, monkeypatch):
    monkeypatch.setitem(dj.config, "database.password", "not-the-password")
    with pytest.raises(DataJointExportError, match=rf"as ethoflow@127\.0\.0\.1:{mariadb.port}.*DJ_PASS"):
        connect(settings)
    with pytest.raises(DataJointExportError, match=r"cannot connect .*127\.0\.0\.1:1\b"):
        connect({**settings, "port": 1})
