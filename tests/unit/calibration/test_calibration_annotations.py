import numpy as np
import pandas as pd
import pytest

from ethoflow.calibration.annotations import read_annotations, refined_points, truth_points
from ethoflow.calibration.page import CSV_HEADER
from ethoflow.exceptions import EthoflowError
from ethoflow.io.dlc import pose_dataframe, write_pose_table
from ethoflow.pose.labels import write_labels

PARTS = ["snout", "tail"]


def poses(n=50):
    xy = np.stack([np.arange(n) * 1.0, np.arange(n) * 2.0], axis=-1)[:, None, :].repeat(2, axis=1)
    lik = np.linspace(0.01, 0.99, n)[:, None].repeat(2, axis=1)
    return {"s1": (PARTS, xy, lik)}


def annotations(tmp_path, rows):
    path = tmp_path / "error_annotations.csv"
    path.write_text("\n".join(CSV_HEADER + rows) + "\n")
    return path


def test_keypoint_moseq_annotations_are_read_against_the_pose(tmp_path):
    path = annotations(tmp_path, ["s1,10,10,snout,13.0,24.0", "s1,20,20,tail,,"])
    points, hidden = read_annotations(path, poses())
    assert hidden == 1 and len(points) == 1
    p = points.iloc[0]
    assert (p.x_pred, p.y_pred) == (10.0, 20.0) and p.error_px == pytest.approx(5.0)
    assert p.confidence == pytest.approx(poses()["s1"][2][10, 0]) and p.source == "annotations"
    # a downsampled pose table: row 10 is video frame 40
    idx = {"s1": np.arange(50) * 4}
    with pytest.raises(EthoflowError, match="video_frame_index 10 but pose row 10 is video frame 40"):
        read_annotations(path, poses(), idx)


@pytest.mark.parametrize("row, message", [
    ("s9,10,10,snout,1,1", "session 's9' has no pose table"),
    ("s1,50,50,snout,1,1", "coordinate_index 50 is outside the pose table's 50 rows"),
    ("s1,10,10,paw,1,1", "bodypart 'paw' is not in the pose table"),
    ("s1,10,10,snout,1,", "x and y must both be numbers"),
])
def test_annotations_that_do_not_match_the_pose_are_refused(tmp_path, row, message):
    path = annotations(tmp_path, [row])
    with pytest.raises(EthoflowError, match=f"error_annotations.csv: row 1 .*{message}"):
        read_annotations(path, poses())


def test_a_file_without_keypoint_moseqs_columns(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("session,frame\ns1,1\n")
    with pytest.raises(EthoflowError, match=r"a.csv: missing column\(s\)"):
        read_annotations(path, poses())


def test_refined_frames_count_once_a_person_changed_them(tmp_path):
    folder = tmp_path / "labeled-data" / "s1"
    folder.mkdir(parents=True)
    index = [f"labeled-data/s1/img{i:05d}.png" for i in (3, 7)]
    pred = np.array([[[10.0, 10.0], [50.0, 50.0]], [[20.0, 20.0], [60.0, 60.0]]])
    lik = np.array([[0.9, 0.3], [0.95, 0.9]])
    write_pose_table(pose_dataframe(pred, lik, PARTS, "net", index=index), folder / "machinelabels-iter0.h5")
    human = pred.copy()
    human[0, 1] = [80.0, 50.0]  # frame 3: the tail was moved 30 px (it had been left missing: lik 0.3)
    cols = pd.MultiIndex.from_product([["me"], PARTS, ["x", "y"]], names=["scorer", "bodyparts", "coords"])
    write_labels(pd.DataFrame(human.reshape(2, 4), index=index, columns=cols), folder, "me")
    points = refined_points([str(folder / "machinelabels-iter0.h5")])
    # frame 7 still holds the merged predictions: not looked at, left out
    assert list(points["coordinate_index"]) == [3, 3] and set(points["source"]) == {"refined"}
    assert points["error_px"].tolist() == pytest.approx([0.0, 30.0])
    assert points["confidence"].tolist() == pytest.approx([0.9, 0.3])


def test_truth_points_at_the_sampled_triples(tmp_path):
    p = poses()
    truth = p["s1"][1] + np.array([3.0, 4.0])
    write_pose_table(pose_dataframe(truth, np.ones((50, 2)), PARTS, "truth"), tmp_path / "t.h5")
    samples = pd.DataFrame({"key": ["s1", "s1"], "coordinate_index": [5, 6], "video_frame_index": [5, 6],
                            "bodypart": ["snout", "tail"]})
    points = truth_points(samples, p, {"s1": str(tmp_path / "t.h5")})
    assert points["error_px"].tolist() == pytest.approx([5.0, 5.0]) and set(points["source"]) == {"truth"}


def test_session_names_that_look_like_numbers_stay_names(tmp_path):
    p = {"2021": poses()["s1"]}
    path = annotations(tmp_path, ["2021,10,10,snout,13.0,24.0"])
    points, _ = read_annotations(path, p)
    assert points["key"].tolist() == ["2021"]
