"""The synthetic demo lab: deterministic truth, plausible kinematics, the files written."""

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from ethoflow.demo.simulate import (
    BODYPARTS,
    SKELETON,
    STATES,
    DemoSpec,
    face_rois,
    simulate_session,
    write_session,
)
from ethoflow.io.dlc import read_pose_table

TINY = DemoSpec(
    n_frames=60, width=96, height=96, face_width=96, face_height=72, n_labeled=6, seed=3
)


def session_paths(root: Path, session: str) -> dict[str, Path]:
    return {
        "video": root / "videos" / f"{session}.mp4",
        "face_video": root / "face" / f"{session}.mp4",
        "pose": root / "truth" / f"{session}_pose.h5",
        "states": root / "truth" / f"{session}_states.csv",
        "face_truth": root / "truth" / f"{session}_face.csv",
        "labels_dir": root / "labeled-data" / session,
    }


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """One tiny session written to disk (60 frames, 96x96 body, 96x72 face, 6 labelled frames)."""
    paths = session_paths(tmp_path_factory.mktemp("demo"), "demo1")
    write_session(TINY, 0, "demo1", paths)
    return paths


@pytest.fixture(scope="module")
def long_truth():
    """A 1800-frame (60 s) simulation at the default sizes, no video."""
    return simulate_session(DemoSpec(n_frames=1800), 1)


def read_all(path: Path) -> np.ndarray:
    cap = cv2.VideoCapture(str(path))
    frames = []
    ok, frame = cap.read()
    while ok:
        frames.append(frame)
        ok, frame = cap.read()
    cap.release()
    return np.array(frames)


def test_constants():
    assert len(BODYPARTS) >= 6 and len(set(BODYPARTS)) == len(BODYPARTS)
    assert STATES == ["rest", "walk", "turn", "groom", "rear"]
    assert all(a in BODYPARTS and b in BODYPARTS for a, b in SKELETON)


def test_face_rois_default_and_scaled():
    assert face_rois(192, 144) == {
        "whiskers": (96, 160, 64, 112),
        "mouth": (120, 176, 104, 140),
        "eye": (64, 112, 24, 64),
    }
    for x0, x1, y0, y1 in face_rois(96, 72).values():
        assert 0 <= x0 < x1 <= 96 and 0 <= y0 < y1 <= 72


def test_deterministic():
    a, b = simulate_session(TINY, 0), simulate_session(TINY, 0)
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(a.keypoints, b.keypoints)
    for k in a.face_signals:
        np.testing.assert_array_equal(a.face_signals[k], b.face_signals[k])
    other_seed = simulate_session(DemoSpec(n_frames=60, width=96, height=96, seed=4), 0)
    other_session = simulate_session(TINY, 1)
    assert not np.allclose(a.keypoints, other_seed.keypoints)
    assert not np.allclose(a.keypoints, other_session.keypoints)


def test_does_not_touch_global_random_state():
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    simulate_session(TINY, 0)
    assert np.random.random() == before


def test_truth_shapes(long_truth):
    n = 1800
    assert long_truth.states.shape == (n,)
    assert long_truth.keypoints.shape == (n, len(BODYPARTS), 2)
    assert set(long_truth.face_signals) == set(face_rois(192, 144))
    assert all(v.shape == (n,) for v in long_truth.face_signals.values())
    assert long_truth.lighting.shape == (n,)


def test_keypoints_inside_frame_and_smooth(long_truth):
    kp = long_truth.keypoints
    spec = DemoSpec()
    assert np.isfinite(kp).all()
    assert (kp[..., 0] >= 0).all() and (kp[..., 0] <= spec.width - 1).all()
    assert (kp[..., 1] >= 0).all() and (kp[..., 1] <= spec.height - 1).all()
    step = np.linalg.norm(np.diff(kp, axis=0), axis=-1)
    assert step.max() < 0.25 * long_truth.body_length  # no teleporting


def test_every_state_appears_with_plausible_durations(long_truth):
    counts = np.bincount(long_truth.states, minlength=len(STATES))
    assert (counts > 0).all(), dict(zip(STATES, counts))
    change = np.flatnonzero(np.diff(long_truth.states)) + 1
    durations = np.diff(np.concatenate([[0], change, [len(long_truth.states)]]))[1:-1] / 30.0
    assert durations.min() >= 0.5 - 1e-9 and durations.max() <= 3.0 + 1e-9


def test_state_kinematics(long_truth):
    states, kp, L = long_truth.states, long_truth.keypoints, long_truth.body_length
    centre = kp[:, BODYPARTS.index("bodycentre")]
    speed = np.r_[0.0, np.linalg.norm(np.diff(centre, axis=0), axis=1)] * 30.0 / L  # body lengths/s
    mean = {s: speed[states == i].mean() for i, s in enumerate(STATES)}
    assert mean["walk"] > 1.0
    assert mean["walk"] > 5 * mean["rest"]
    assert mean["walk"] > mean["turn"]
    # rearing shortens the body in top view
    length = np.linalg.norm(
        kp[:, BODYPARTS.index("snout")] - kp[:, BODYPARTS.index("tailbase")], axis=1
    )
    assert np.median(length[states == STATES.index("rear")]) < 0.85 * np.median(length[states == 0])
    # whisking is stronger in walk than at rest; the jaw moves during grooming
    f = long_truth.face_signals
    assert f["whiskers"][states == 1].mean() > 3 * f["whiskers"][states == 0].mean()
    assert f["mouth"][states == 3].mean() > 3 * f["mouth"][states == 1].mean()


def test_videos_decode(written):
    body = read_all(written["video"])
    face = read_all(written["face_video"])
    assert body.shape == (60, 96, 96, 3)
    assert face.shape == (60, 72, 96, 3)
    assert body.std() > 5 and face.std() > 5  # not blank


def test_truth_tables(written):
    pose = read_pose_table(written["pose"])
    truth = simulate_session(TINY, 0)
    assert pose.shape == (60, 3 * len(BODYPARTS))
    assert list(pose.columns.get_level_values("scorer").unique()) == ["synthetic"]
    np.testing.assert_allclose(
        pose.xs("x", level="coords", axis=1).to_numpy(), truth.keypoints[..., 0]
    )
    assert (pose.xs("likelihood", level="coords", axis=1) == 1.0).all().all()
    states = pd.read_csv(written["states"])
    assert list(states.columns) == ["frame", "state_id", "state"]
    assert (states["state"] == [STATES[i] for i in states["state_id"]]).all()
    face = pd.read_csv(written["face_truth"])
    assert list(face.columns) == ["frame", "whiskers", "mouth", "eye"]
    assert len(face) == 60


def test_labelled_frames(written):
    folder = written["labels_dir"]
    pngs = sorted(p.name for p in folder.glob("*.png"))
    assert len(pngs) == TINY.n_labeled
    assert all(len(name) == len("img00000.png") and name.startswith("img") for name in pngs)
    labels = read_pose_table(folder / "CollectedData_synthetic.h5")
    labels_csv = read_pose_table(folder / "CollectedData_synthetic.csv")
    pd.testing.assert_frame_equal(labels, labels_csv, check_index_type=False)
    assert set(labels.columns.get_level_values("coords")) == {"x", "y"}
    assert sorted(labels.index) == [f"labeled-data/demo1/{name}" for name in pngs]
    # the PNGs are the frames as decoded from the mp4
    video = read_all(written["video"])
    for name in pngs:
        image = cv2.imread(str(folder / name))
        np.testing.assert_array_equal(image, video[int(name[3:8])])
    assert not list(folder.glob(".*"))  # no temporaries left behind


def test_label_noise_level(tmp_path):
    spec = DemoSpec(
        n_frames=400,
        width=96,
        height=96,
        face_width=48,
        face_height=36,
        n_labeled=200,
        label_noise_px=2.0,
    )
    paths = session_paths(tmp_path, "s")
    write_session(spec, 0, "s", paths)
    labels = read_pose_table(paths["labels_dir"] / "CollectedData_synthetic.h5")
    frames = np.array([int(Path(i).stem[3:]) for i in labels.index])
    truth = simulate_session(spec, 0).keypoints[frames]
    xy = labels.to_numpy().reshape(len(frames), len(BODYPARTS), 2)
    err = (xy - truth)[np.isfinite(xy)]
    robust_sd = 1.4826 * np.median(np.abs(err - np.median(err)))
    assert 0.7 * spec.label_noise_px < robust_sd < 1.3 * spec.label_noise_px
    assert 0 < np.isnan(xy).mean() < 0.15  # some points skipped, most labelled
