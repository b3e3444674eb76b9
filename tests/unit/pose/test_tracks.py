"""Existing pose tables in place of the network (ethoflow.pose.tracks, pose.tracks)."""

from __future__ import annotations

import numpy as np
import pytest

from ethoflow.exceptions import FileFormatError
from ethoflow.io.dlc import pose_arrays, pose_dataframe, write_pose_table
from ethoflow.pose.tracks import import_tracks


def dlc_table(path, n=20, parts=("tail", "nose", "ear", "paw"), likelihood=True):
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, (n, len(parts), 2))
    lik = rng.uniform(0, 1, (n, len(parts))) if likelihood else None
    write_pose_table(pose_dataframe(xy, lik, list(parts), "DLC_resnet50_labOct1shuffle1_100000"), path)
    return xy, lik


@pytest.mark.parametrize("suffix", [".h5", ".csv"])
def test_a_dlc_table_becomes_the_runs_pose_table(tmp_path, suffix):
    """The config's bodyparts, in its order (others dropped); values and scorer kept."""
    xy, lik = dlc_table(tmp_path / f"t{suffix}")
    df = import_tracks(tmp_path / f"t{suffix}", ["nose", "tail", "ear"], nframes=20)
    parts, got_xy, got_lik = pose_arrays(df)
    assert parts == ["nose", "tail", "ear"] and df.columns.get_level_values("scorer")[0].startswith("DLC_resnet50")
    np.testing.assert_allclose(got_xy, xy[:, [1, 0, 2]])
    np.testing.assert_allclose(got_lik, lik[:, [1, 0, 2]])


def test_rows_must_match_the_video(tmp_path):
    dlc_table(tmp_path / "t.h5", n=20)
    with pytest.raises(FileFormatError, match=r"t.h5: 20 rows, but the video has 25 frames"):
        import_tracks(tmp_path / "t.h5", ["nose"], nframes=25, tolerance=2)
    padded = pose_arrays(import_tracks(tmp_path / "t.h5", ["nose"], nframes=22, tolerance=2))[1]
    assert len(padded) == 22 and np.isnan(padded[20:]).all() and np.isfinite(padded[:20]).all()
    assert len(import_tracks(tmp_path / "t.h5", ["nose"], nframes=19, tolerance=1)) == 19


def test_a_missing_bodypart_names_the_file(tmp_path):
    dlc_table(tmp_path / "t.h5")
    with pytest.raises(FileFormatError, match=r"t.h5: no snout, tailbase \(pose.bodyparts\); the table has tail, nose"):
        import_tracks(tmp_path / "t.h5", ["snout", "nose", "tailbase"], nframes=20)


def test_a_table_without_likelihoods_counts_its_points_as_certain(tmp_path):
    xy, _ = dlc_table(tmp_path / "t.csv", likelihood=False)
    df = import_tracks(tmp_path / "t.csv", ["nose"], nframes=20)
    assert (pose_arrays(df)[2] == 1.0).all()
