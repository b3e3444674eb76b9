"""Pose moves between ethoflow and the tools labs use around it: movement and sleap-io read
our DLC files, and ethoflow takes pose from the SLEAP and NWB files movement writes."""

from __future__ import annotations

import numpy as np
import pytest

from ethoflow.exceptions import FileFormatError
from ethoflow.io.dlc import pose_arrays, pose_dataframe, write_pose_table
from ethoflow.pose.labels import write_labels
from ethoflow.pose.tracks import import_tracks

load_poses = pytest.importorskip("movement.io.load_poses")
save_poses = pytest.importorskip("movement.io.save_poses")

PARTS = ["snout", "leftear", "tail_base"]


@pytest.fixture
def table(tmp_path, rng):
    """A raw pose table (with a gap) as our inference writes it, .h5 and .csv."""
    xy = rng.uniform(0, 200, (40, len(PARTS), 2))
    lik = rng.uniform(0, 1, (40, len(PARTS)))
    xy[3:6, 1], lik[3:6, 1] = np.nan, np.nan
    df = pose_dataframe(xy, lik, PARTS, "ethoflow_small_iter0_shuffle1_1200")
    write_pose_table(df, tmp_path / "s1.h5")
    df.to_csv(tmp_path / "s1.csv")
    return xy, lik


@pytest.mark.parametrize("name", ["s1.h5", "s1.csv"])
def test_movement_reads_our_pose_tables(table, tmp_path, name):
    xy, lik = table
    ds = load_poses.from_dlc_file(tmp_path / name, fps=30)
    assert list(ds.keypoints.values) == PARTS and ds.sizes["time"] == 40
    np.testing.assert_array_equal(
        ds.position.isel(individuals=0).transpose("time", "keypoints", "space").values, xy)
    np.testing.assert_array_equal(
        ds.confidence.isel(individuals=0).transpose("time", "keypoints").values, lik)


def test_sleap_io_reads_our_labels(tmp_path, rng):
    """sleap-io reads DLC annotations (its load_dlc, which needs the images; it has no reader
    for DLC predictions)."""
    import cv2

    sio = pytest.importorskip("sleap_io")
    (tmp_path / "labeled-data" / "s1").mkdir(parents=True)
    for i in range(4):
        cv2.imwrite(str(tmp_path / f"labeled-data/s1/img{i:03d}.png"), np.zeros((64, 64), np.uint8))
    xy = rng.uniform(0, 60, (4, len(PARTS), 2))
    index = [f"labeled-data/s1/img{i:03d}.png" for i in range(4)]
    df = pose_dataframe(xy, None, PARTS, "lab", index=index)
    _, csv = write_labels(df, tmp_path / "labeled-data" / "s1", "lab")
    labels = sio.load_dlc(str(csv), config=False)
    nodes = labels.skeletons[0].node_names  # sleap-io sorts them
    assert sorted(nodes) == sorted(PARTS) and len(labels.labeled_frames) == 4
    order = [nodes.index(p) for p in PARTS]
    got = np.stack([lf.instances[0].numpy()[order] for lf in labels.labeled_frames])
    np.testing.assert_allclose(got, xy)


@pytest.mark.parametrize("fmt", ["sleap", "nwb"])
def test_pose_from_files_movement_writes(table, tmp_path, fmt):
    """A lab's SLEAP analysis file or NWB file (here written by movement) as a session's pose."""
    xy, lik = table
    ds = load_poses.from_dlc_file(tmp_path / "s1.h5", fps=30)
    if fmt == "sleap":
        path = tmp_path / "s1.analysis.h5"
        save_poses.to_sleap_analysis_file(ds, path)
    else:
        import pynwb

        path = tmp_path / "s1.nwb"
        with pynwb.NWBHDF5IO(str(path), "w") as io:
            io.write(save_poses.to_nwb_file(ds))
    df = import_tracks(path, ["tail_base", "snout"], nframes=40)
    parts, got_xy, got_lik = pose_arrays(df)
    assert parts == ["tail_base", "snout"]
    np.testing.assert_allclose(got_xy, xy[:, [2, 0]], atol=1e-4)  # SLEAP stores float32
    np.testing.assert_allclose(got_lik, lik[:, [2, 0]], atol=1e-4)


def test_another_tools_file_with_other_bodyparts_names_them(table, tmp_path):
    ds = load_poses.from_dlc_file(tmp_path / "s1.h5", fps=30)
    save_poses.to_sleap_analysis_file(ds, tmp_path / "s1.analysis.h5")
    with pytest.raises(FileFormatError, match=r"s1.analysis.h5: no nose \(pose.bodyparts\); "
                                              r"the table has snout, leftear, tail_base"):
        import_tracks(tmp_path / "s1.analysis.h5", ["snout", "nose"], nframes=40)


def test_two_animals_are_refused(tmp_path, rng):
    ds = load_poses.from_numpy(rng.uniform(0, 9, (10, 2, 3, 2)), rng.uniform(0, 1, (10, 3, 2)),
                               individual_names=["m1", "m2"], keypoint_names=PARTS, fps=30)
    save_poses.to_sleap_analysis_file(ds, tmp_path / "two.analysis.h5")
    with pytest.raises(FileFormatError, match=r"two.analysis.h5: 2 animals \(m1, m2\)"):
        import_tracks(tmp_path / "two.analysis.h5", PARTS, nframes=10)
