import numpy as np
import pytest

from ethoflow.exceptions import VideoError
from ethoflow.io.dlc import pose_dataframe, read_pose_table
from ethoflow.pose.labels import write_labels
from ethoflow.pose.outliers import extract_outliers, outlier_flags, pick_outliers
from ethoflow.pose.overlay import labeled_video


def track(n=60):
    t = np.arange(n)
    xy = np.stack([np.stack([20 + 0.3 * t, 10 + 0.2 * t], -1), np.stack([40 - 0.2 * t, 30 + 0.1 * t], -1)], 1)
    lik = np.full((n, 2), 0.95)
    xy[n // 2, 0] += 35.0  # a one-frame jump (a tracking error)
    lik[3 * n // 4, 1] = 0.001  # an uncertain point
    return pose_dataframe(xy, lik, ["a", "b"], "net")


def test_each_method_finds_its_outlier():
    flags = outlier_flags(track(), ["jump", "uncertain", "fitting"], epsilon=20, p_bound=0.01)
    assert set(np.flatnonzero(flags["jump"])) == {30, 31}  # into and out of the jump
    assert list(np.flatnonzero(flags["uncertain"])) == [45]
    assert 30 in np.flatnonzero(flags["fitting"]) and flags["fitting"].sum() <= 3
    assert list(pick_outliers(flags, 10, seed=0)) == sorted(np.flatnonzero(flags.any(axis=1)))
    assert len(pick_outliers(flags, 2, seed=0)) == 2
    with pytest.raises(ValueError, match="unknown outlier method"):
        outlier_flags(track(), ["arima"])


def test_outliers_go_next_to_existing_labels(tmp_path, tiny_video):
    folder = tmp_path / "labeled-data" / "tiny"
    human = pose_dataframe(np.ones((1, 2, 2)), None, ["a", "b"], "me", ["labeled-data/tiny/img00030.png"])
    folder.mkdir(parents=True)
    (folder / "img00030.png").write_bytes(b"a human's frame")
    write_labels(human, folder, "me")
    machine = extract_outliers(tiny_video, track(), np.array([30, 45]), folder, 2, tmp_path)
    assert (folder / "img00030.png").read_bytes() == b"a human's frame"  # kept as it was
    assert (folder / "img00045.png").stat().st_size > 100
    assert list(machine.index) == ["labeled-data/tiny/img00030.png", "labeled-data/tiny/img00045.png"]
    assert read_pose_table(folder / "machinelabels-iter2.h5").shape == (2, 6)
    assert read_pose_table(folder / "CollectedData_me.h5").shape == (1, 4)


def test_labeled_video_has_every_frame(tmp_path, tiny_video):
    cv2 = pytest.importorskip("cv2")
    out = tmp_path / "labeled.mp4"
    assert labeled_video(tiny_video, track(), out, [("a", "b")], trail=3) == 60
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 60
    with pytest.raises(VideoError, match="more frames than the pose table"):
        labeled_video(tiny_video, track(40), tmp_path / "short.mp4")
    assert not (tmp_path / "short.mp4").exists()


def test_no_outlier_frames_write_nothing(tmp_path, tiny_video):
    folder = tmp_path / "labeled-data" / "tiny"
    machine = extract_outliers(tiny_video, track(), np.array([], int), folder, 0, tmp_path)
    assert machine.shape == (0, 6) and not folder.exists()
