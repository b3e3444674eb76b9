import numpy as np
import pandas as pd
import pytest

from ethoflow.io.dlc import pose_arrays, pose_dataframe, write_pose_table
from ethoflow.pose.filtering import filter_pose
from ethoflow.pose.outliers import outlier_flags
from ethoflow.pose.skeleton import (
    analyze_skeleton,
    body_costs,
    body_model,
    broken_points,
    find_swaps,
    repair_swaps,
    skeleton_session,
)

PARTS = ["snout", "leftear", "rightear", "tailbase"]
# a mouse facing +x in image coordinates (y down): its left ear is at -y
BODY = np.array([[20.0, 0.0], [8.0, -6.0], [8.0, 6.0], [-25.0, 0.0]])


def walk(n=200, seed=0):
    """A mouse turning as it walks round an arena, with a little noise on every point."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    heading = 0.05 * t
    rot = np.stack([np.stack([np.cos(heading), -np.sin(heading)], -1),
                    np.stack([np.sin(heading), np.cos(heading)], -1)], -2)  # (n, 2, 2)
    centre = np.stack([200 + 80 * np.cos(0.02 * t), 150 + 60 * np.sin(0.02 * t)], -1)
    xy = np.einsum("nij,kj->nki", rot, BODY) + centre[:, None] + rng.normal(0, 0.7, (n, 4, 2))
    return xy, np.full((n, 4), 0.9)


def swapped(xy):
    bad = xy.copy()
    bad[40:60, [0, 3]] = bad[40:60, [3, 0]]  # a 20-frame head-tail swap
    bad[100:104, [1, 2]] = bad[100:104, [2, 1]]  # the ears traded for 4 frames
    return bad


def test_skeleton_table_is_dlcs():
    xy = np.array([[[0.0, 0.0], [0.0, 10.0], [3.0, 4.0], [-1.0, 0.0]]])
    lik = np.array([[0.9, 0.2, 0.8, 0.5]])
    table = analyze_skeleton(pose_dataframe(xy, lik, PARTS, "net"), [["snout", "leftear"], ["snout", "tailbase"]])
    assert list(table.columns) == [(b, f) for b in ("snout_leftear", "snout_tailbase")
                                   for f in ("length", "orientation", "likelihood")]
    row = table.iloc[0]
    assert row[("snout_leftear", "length")] == 10.0 and row[("snout_leftear", "orientation")] == 90.0
    assert row[("snout_tailbase", "orientation")] == 180.0 and row[("snout_leftear", "likelihood")] == 0.2
    with pytest.raises(ValueError, match=r"\['nose'\]"):
        analyze_skeleton(pose_dataframe(xy, lik, PARTS, "net"), [["nose", "snout"]])


def test_skeleton_session_writes_a_two_header_csv(tmp_path):
    xy, lik = walk(30)
    write_pose_table(pose_dataframe(xy, lik, PARTS, "net"), tmp_path / "s_filtered.h5")
    skeleton_session(tmp_path / "s_filtered.h5", tmp_path / "s.csv", {"pose": {"skeleton": [["snout", "tailbase"]]}})
    back = pd.read_csv(tmp_path / "s.csv", header=[0, 1], index_col=0)
    np.testing.assert_allclose(back[("snout_tailbase", "length")], np.linalg.norm(xy[:, 0] - xy[:, 3], axis=1),
                               rtol=1e-6)


def test_body_model_learns_distances_and_handedness():
    xy, lik = walk()
    body = body_model(xy, lik, 0.5)
    d = dict(zip(map(tuple, body.pairs), body.median))
    assert d[(0, 3)] == pytest.approx(45.0, abs=1.0) and d[(1, 2)] == pytest.approx(12.0, abs=1.0)
    assert len(body.triples) == 4  # all four triangles keep their handedness while turning
    assert body_costs(body, xy).max() < 16  # a typical body costs little
    assert body_model(xy[:5], lik[:5]) is None  # too few frames
    assert body_model(xy, lik * 0, 0.5) is None  # none confident


def test_find_swaps_sees_head_tail_and_left_right_swaps_only():
    xy, lik = walk()
    bad = swapped(xy)
    pair, gain, runner = find_swaps(body_model(bad, lik), bad)  # learnt from the swapped session itself
    hit = np.flatnonzero(pair[:, 0] >= 0)
    assert list(hit) == list(range(40, 60)) + list(range(100, 104))
    assert (pair[40:60] == [0, 3]).all() and (pair[100:104] == [1, 2]).all()
    assert (runner[hit] < 0.5 * gain[hit]).all()


def test_repair_swaps_trades_the_points_back():
    xy, lik = walk()
    lik[45, 0] = 0.3
    bad = swapped(xy)
    bad_lik = lik.copy()
    bad_lik[40:60, [0, 3]] = bad_lik[40:60, [3, 0]]
    fixed, repaired = repair_swaps(pose_dataframe(bad, bad_lik, PARTS, "net"))
    _, got, got_lik = pose_arrays(fixed)
    np.testing.assert_array_equal(got, xy)
    np.testing.assert_array_equal(got_lik, lik)  # each likelihood goes with its point
    assert repaired.sum() == 24
    # the filter does it first when asked, and not otherwise
    _, f, _ = pose_arrays(filter_pose(pose_dataframe(bad, bad_lik, PARTS, "net"), window=1, swaps=True))
    np.testing.assert_allclose(f, xy)
    _, f, _ = pose_arrays(filter_pose(pose_dataframe(bad, bad_lik, PARTS, "net"), window=1))
    np.testing.assert_allclose(f, bad)


def test_outlier_stage_flags_swaps_and_broken_bones():
    xy, lik = walk()
    bad = swapped(xy)
    bad[150, 0] = bad[150, 3] + [1.0, 1.0]  # the snout on the tail base: not a swap, a broken body
    flags = outlier_flags(pose_dataframe(bad, lik, PARTS, "net"), ["jump", "swap", "skeleton"], epsilon=50)
    assert set(np.flatnonzero(flags["swap"])) == set(range(40, 60)) | set(range(100, 104))
    assert 150 in np.flatnonzero(flags["skeleton"]) and set(range(40, 60)) <= set(np.flatnonzero(flags["skeleton"]))
    assert not flags["swap"][:40].any()
    # a jump check alone sees only the edges of the swapped run
    assert set(np.flatnonzero(flags["jump"])) <= {40, 60, 150, 151}


def test_the_filter_drops_points_that_break_the_body():
    xy, lik = walk()
    bad = xy.copy()
    bad[70:73, 0] = bad[70:73, 3]  # the snout on the tail base for 3 frames
    df = pose_dataframe(bad, lik, PARTS, "net")
    body = body_model(bad, lik)
    assert np.flatnonzero(broken_points(body, bad).any(axis=1)).tolist() == [70, 71, 72]
    assert (broken_points(body, bad)[70:73] == [True, False, False, False]).all()
    _, f, flik = pose_arrays(filter_pose(df, window=1, broken_z=5))
    assert (flik[70:73, 0] == 0).all() and (flik[:, 1:] == 0.9).all()
    assert np.abs(f[70:73, 0] - xy[70:73, 0]).max() < 5  # interpolated back onto the snout's track
    _, f, _ = pose_arrays(filter_pose(df, window=1))
    np.testing.assert_allclose(f, bad)


def test_a_point_broken_in_most_frames_is_not_dropped():
    """Errors are the exception: a body model that half the frames break does not describe them."""
    xy, _ = walk()
    bad = xy.copy()
    bad[::2, 0] = bad[::2, 3]  # the snout on the tail base in every other frame
    body = body_model(bad)
    assert not broken_points(body, bad).any()
