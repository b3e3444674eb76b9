import numpy as np
import pandas as pd
import pytest

from ethoflow.calibration.sampling import cut_samples, frame_indexes, sample_error_frames
from ethoflow.exceptions import EthoflowError
from tests.conftest import write_video

PARTS = ["snout", "ear", "tail"]


def skewed_confidences(rng, n=2000):
    """Mostly confident detections, few unsure ones: what a good pose table looks like."""
    return {s: np.clip(1 - rng.exponential(0.02, (n, 3)), 1e-3, 1) ** rng.choice([1, 1, 1, 40], (n, 3))
            for s in ("a", "b")}


def test_sampling_fills_every_bin_equally_and_is_seeded(rng):
    conf = skewed_confidences(rng)
    keys = sample_error_frames(conf, PARTS, num_bins=10, num_samples=100, seed=3)
    every = np.concatenate([c.ravel() for c in conf.values()]) + 1e-3
    edges = np.logspace(np.log10(every.min()), np.log10(every.max()), 11)
    all_counts = np.histogram(every, edges)[0]
    sampled = np.array([conf[s][t, PARTS.index(bp)] for s, t, bp in keys]) + 1e-3
    counts = np.histogram(sampled, edges)[0]
    # each bin gives num_samples // num_bins, or all it has (keypoint-MoSeq's enrichment)
    assert (counts == np.minimum(all_counts - (np.arange(10) == 9), 10)).all(), (counts, all_counts)
    assert np.median(sampled) < np.median(every) / 2  # enriched for low confidence
    assert len(set(keys)) == len(keys)  # without replacement
    assert keys == sample_error_frames(conf, PARTS, num_bins=10, num_samples=100, seed=3)
    assert keys != sample_error_frames(conf, PARTS, num_bins=10, num_samples=100, seed=4)
    only = sample_error_frames(conf, PARTS, ["tail"], seed=3)
    assert {bp for _, _, bp in only} == {"tail"}


def test_frame_indexes_and_their_errors(tmp_path):
    np.testing.assert_array_equal(frame_indexes("s", 5, 6, None, "s.h5", tolerance=2), np.arange(5))
    with pytest.raises(EthoflowError, match=r"s.h5: 5 pose rows but the video of session s has 60 frames.*"
                                            "video_frame_indexes"):
        frame_indexes("s", 5, 60, None, "s.h5")
    idx = tmp_path / "s.txt"
    idx.write_text("\n".join(str(i) for i in range(0, 60, 12)))
    np.testing.assert_array_equal(frame_indexes("s", 5, 60, str(idx), "s.h5"), [0, 12, 24, 36, 48])
    with pytest.raises(EthoflowError, match="s.txt: 5 video frame indexes for the 4 rows of s.h5"):
        frame_indexes("s", 4, 60, str(idx), "s.h5")
    idx.write_text("0\n99\n")
    with pytest.raises(EthoflowError, match="outside the video's 60 frames"):
        frame_indexes("s", 2, 60, str(idx), "s.h5")


def test_cut_samples_crops_around_the_point(tmp_path):
    frames = np.zeros((12, 100, 120, 3), np.uint8)
    for i in range(12):
        frames[i, 40:60, 10 * i:10 * i + 20] = 255  # a bright square moving right
    video = write_video(tmp_path / "v.mp4", frames)
    samples = pd.DataFrame({"key": ["v", "v"], "coordinate_index": [3, 9], "video_frame_index": [3, 9],
                            "bodypart": ["snout", "tail"], "x": [40.0, 118.0], "y": [50.0, 50.0],
                            "confidence": [0.5, 0.1]})
    out = cut_samples(samples, {"v": str(video)}, tmp_path / "s", crop_size=32)
    import cv2

    crop = cv2.imread(str(tmp_path / "s" / out.loc[0, "crop"]))
    assert crop.shape == (32, 32, 3) and crop[16, 16].mean() > 200  # the square at the point
    assert out.loc[1, "crop_x0"] == 120 - 32  # kept inside the frame
    assert out.loc[0, "frame_scale"] == 1.0
    late = samples.assign(video_frame_index=[3, 40])
    with pytest.raises(EthoflowError, match="v.mp4: ended after 12 frames, before sampled frame 40"):
        cut_samples(late, {"v": str(video)}, tmp_path / "t")


def test_pose_tables_that_cannot_be_calibrated_are_refused(tmp_path):
    from ethoflow.calibration.sampling import load_poses
    from ethoflow.io.dlc import pose_dataframe, write_pose_table

    config = {"calibration": {"video_frame_indexes": {}}, "discover": {"frame_count_tolerance": 2}}
    sessions = tmp_path / "sessions.tsv"
    sessions.write_text("session\tnframes\ns1\t10\n")
    good = tmp_path / "s1.h5"
    write_pose_table(pose_dataframe(np.zeros((10, 3, 2)), np.full((10, 3), 0.5), PARTS, "n"), good)
    poses, index = load_poses([str(good)], ["s1"], str(sessions), config)
    assert poses["s1"][0] == PARTS and list(index["s1"]) == list(range(10))
    over = tmp_path / "over.h5"
    write_pose_table(pose_dataframe(np.zeros((10, 3, 2)), np.full((10, 3), 1.5), PARTS, "n"), over)
    with pytest.raises(EthoflowError, match=r"over.h5: likelihoods outside \[0, 1\] \(e.g. 1.5\)"):
        load_poses([str(over)], ["s1"], str(sessions), config)
    short = tmp_path / "short.h5"
    write_pose_table(pose_dataframe(np.zeros((5, 3, 2)), np.full((5, 3), 0.5), PARTS, "n"), short)
    with pytest.raises(EthoflowError, match="short.h5: 5 pose rows but the video of session s1 has 10 frames"):
        load_poses([str(short)], ["s1"], str(sessions), config)
