"""The NWB file per session: DANDI's inspector passes it, movement reads the pose back equal
to our DLC tables, the face and behaviour series equal our HDF5 files, and metadata that NWB
cannot take is refused with the session's name."""

from __future__ import annotations

import collections
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from ethoflow.exceptions import FileFormatError
from ethoflow.export.nwb import (
    NWBMetadataError,
    read_pose_nwb,
    session_metadata,
    write_session_nwb,
)
from ethoflow.face.io import read_face
from ethoflow.io.dlc import pose_arrays, read_pose_table
from tests.unit.export.conftest import PARTS, SKELETON, START, record

pynwb = pytest.importorskip("pynwb")


def write(path, files, **kw):
    meta = session_metadata("s1", {"session_start_time": START, "subject_id": "m1",
                                   "species": "Mus musculus", "age": "P90D", "sex": "F"})
    write_session_nwb(path, "s1", meta, files["record"], bodyparts=PARTS, skeleton=SKELETON,
                      poses={"raw": str(files["raw"]), "filtered": str(files["filtered"])},
                      face_h5=str(files["face"]), embedding_h5=str(files["embedding"]),
                      segmentation_h5=str(files["segmentation"]), **kw)
    return path


def test_pose_reads_back_equal_with_ours_and_with_movement(session_files, tmp_path):
    from movement.io import load_poses

    path = write(tmp_path / "out" / "s1.nwb", session_files)
    for kind, key in (("raw", "PoseEstimation"), ("filtered", "PoseEstimationFiltered")):
        table = read_pose_table(session_files[kind])
        _, xy, lik = pose_arrays(table)
        back = read_pose_nwb(path, kind)
        assert list(back.columns) == list(table.columns)  # the skeleton's order, the scorer
        np.testing.assert_array_equal(back.to_numpy(), table.to_numpy())
        ds = load_poses.from_nwb_file(path, pose_estimation_key=key)
        assert ds.sizes["time"] == 60 and ds.attrs["fps"] == 30.0
        pos = ds.position.sel(keypoints=PARTS).isel(individuals=0)
        np.testing.assert_array_equal(pos.transpose("time", "keypoints", "space").values, xy)
        conf = ds.confidence.sel(keypoints=PARTS).isel(individuals=0)
        np.testing.assert_array_equal(conf.transpose("time", "keypoints").values, lik)


def test_passes_nwbinspector_and_holds_every_result(session_files, tmp_path):
    from nwbinspector import inspect_nwbfile

    path = write(tmp_path / "out" / "s1.nwb", session_files)
    found = collections.Counter(m.importance.name for m in inspect_nwbfile(nwbfile_path=str(path)))
    assert not {"CRITICAL", "PYNWB_VALIDATION", "BEST_PRACTICE_VIOLATION", "ERROR"} & set(found), found
    face = read_face(session_files["face"])
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        assert nwb.session_start_time == dt.datetime.fromisoformat(START)
        assert nwb.subject.subject_id == "m1" and nwb.subject.age == "P90D"
        video = nwb.acquisition["video"]
        assert video.rate == 30.0 and list(video.dimension[:]) == [64, 48]
        behavior = nwb.processing["behavior"]
        np.testing.assert_array_equal(behavior["FaceMotionEnergy"]["motion_eye"].data[:],
                                      face["motion"]["eye"])
        np.testing.assert_array_equal(behavior["FaceMotionSVD"]["motSVD_eye"].data[:],
                                      face["motSVD"]["eye"])
        masks = behavior["FaceMotionMasks_eye"]
        np.testing.assert_array_equal(np.moveaxis(masks["mask"].data[:], 0, -1),
                                      face["motMask"]["eye"])
        np.testing.assert_array_equal(masks["singular_value"].data[:], face["motSv"]["eye"])
        assert list(behavior["FaceROIs"]["roi_name"].data[:]) == ["full", "eye"]
        np.testing.assert_array_equal(behavior["Motifs"].data[:], session_files["labels"])
        assert behavior["LatentVectors"].data.shape == (60, 4)
        skeleton = behavior["Skeletons"]["skeleton"]
        assert list(skeleton.nodes[:]) == PARTS and skeleton.edges[:].tolist() == [[0, 1], [1, 2]]
        pe = behavior["PoseEstimation"]
        assert pe.source_software == "ethoflow" and pe.source_video is video


def test_video_paths_are_relative_to_the_nwb_file(session_files, tmp_path):
    path = write(tmp_path / "deep" / "er" / "s1.nwb", session_files)
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        rel = io.read().acquisition["video"].external_file[0]
    assert not rel.startswith("/")
    assert (path.parent / rel).resolve() == Path(session_files["record"]["video"]["path"]).resolve()


def test_per_frame_timestamps(session_files, tmp_path):
    times = np.cumsum(np.full(60, 1 / 29.0)) + 3.0
    np.savetxt(tmp_path / "t.csv", times)
    meta = session_metadata("s1", {"session_start_time": START},
                            {"timestamps": str(tmp_path / "t.csv")})
    path = tmp_path / "t.nwb"
    write_session_nwb(path, "s1", meta, session_files["record"], bodyparts=PARTS,
                      poses={"raw": str(session_files["raw"])},
                      segmentation_h5=str(session_files["segmentation"]))
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        series = nwb.processing["behavior"]["PoseEstimation"].pose_estimation_series["neck"]
        np.testing.assert_allclose(series.timestamps[:], times)
        np.testing.assert_allclose(nwb.processing["behavior"]["Motifs"].timestamps[:], times)
    np.savetxt(tmp_path / "short.csv", times[:50])
    meta["timestamps"] = str(tmp_path / "short.csv")
    with pytest.raises(FileFormatError, match=r"short.csv: 50 timestamps for session s1's 60"):
        write_session_nwb(tmp_path / "u.nwb", "s1", meta, session_files["record"],
                          bodyparts=PARTS, poses={"raw": str(session_files["raw"])})


@pytest.mark.parametrize(
    ("defaults", "row", "match"),
    [
        ({}, None, r"session s1: NWB needs a session_start_time.*sample sheet"),
        ({"session_start_time": "2024-03-01T10:00:00"}, None, r"has no time zone.*\+01:00"),
        ({"session_start_time": "yesterday"}, None, r"'yesterday' is not an ISO 8601"),
        ({"session_start_time": START}, {"sex": "male"}, r"sex 'male' is not one of F, M, O, U"),
        ({"session_start_time": START}, {"age": "90 days"}, r"age '90 days' is not an ISO 8601 duration"),
        ({"session_start_time": START}, {"species": "mouse"}, r"species 'mouse' is not a Latin"),
        ({"session_start_time": START, "experimenter": ["Ada Lovelace"]}, None, r"'Last, First'"),
        ({"session_start_time": START, "colour": "x"}, None, r"unknown key\(s\) colour"),
        ({"session_start_time": START}, {"mood": "x"}, r"column 'mood' is not NWB metadata"),
        ({"session_start_time": START}, {"subject_id": "m1"}, r"s1: subject m1 has no age"),
    ],
    ids=["missing-start", "naive-start", "bad-start", "sex", "age", "species", "experimenter",
         "unknown-key", "unknown-column", "subject-without-age"],
)
def test_metadata_nwb_cannot_take_is_refused(defaults, row, match):
    with pytest.raises(NWBMetadataError, match=match):
        session_metadata("s1", defaults, row)


def test_the_sheet_overrides_the_config():
    meta = session_metadata("s1", {"session_start_time": START, "subject_id": "all",
                                   "age": "P60D", "experimenter": ["Doe, Jane"]},
                            {"subject_id": "m7", "session_start_time": "2024-03-02T09:00:00Z",
                             "experimenter": "Roe, Ann; Poe, Ed"})
    assert meta["subject_id"] == "m7" and meta["sex"] == "U"
    assert meta["session_start_time"] == dt.datetime(2024, 3, 2, 9, tzinfo=dt.UTC)
    assert meta["experimenter"] == ["Roe, Ann", "Poe, Ed"]
    assert meta["session_description"] == "ethoflow session s1"


def test_an_input_that_does_not_fit_the_session_leaves_nothing(session_files, tmp_path):
    rec = record(session_files["record"]["video"]["path"], n=61)
    meta = session_metadata("s1", {"session_start_time": START})
    out = tmp_path / "bad.nwb"
    with pytest.raises(FileFormatError, match=r"s1.h5: 60 rows, but the video has 61 frames"):
        write_session_nwb(out, "s1", meta, rec, bodyparts=PARTS,
                          poses={"raw": str(session_files["raw"])})
    with pytest.raises(FileFormatError, match=r"s1.h5: .*lacks bodyparts ear"):
        write_session_nwb(out, "s1", meta, session_files["record"], bodyparts=[*PARTS, "ear"],
                          poses={"raw": str(session_files["raw"])})
    assert list(tmp_path.glob("*.nwb")) == []


def test_reading_pose_from_a_file_without_it_names_the_file(session_files, tmp_path):
    meta = session_metadata("s1", {"session_start_time": START})
    path = tmp_path / "nopose.nwb"
    write_session_nwb(path, "s1", meta, session_files["record"], bodyparts=PARTS,
                      segmentation_h5=str(session_files["segmentation"]))
    with pytest.raises(FileFormatError, match=r"nopose.nwb: no PoseEstimation 'PoseEstimation'"):
        read_pose_nwb(path)
    (tmp_path / "junk.nwb").write_text("not hdf5")
    with pytest.raises(FileFormatError, match=r"junk.nwb: not a readable NWB file"):
        read_pose_nwb(tmp_path / "junk.nwb")


def test_the_same_inputs_give_the_same_identifier(session_files, tmp_path):
    ids = []
    for name in ("a.nwb", "b.nwb"):
        with pynwb.NWBHDF5IO(str(write(tmp_path / name, session_files)), "r") as io:
            ids.append(io.read().identifier)
    assert ids[0] == ids[1]
    assert json.dumps(ids)  # a plain string
