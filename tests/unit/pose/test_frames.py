import numpy as np
import pytest

from ethoflow.io.video import iter_frame_chunks
from ethoflow.pose.frames import frame_name, pick_kmeans, pick_uniform, write_frames
from tests.conftest import moving_scene, write_video


def test_uniform_is_spread_seeded_and_within_bounds():
    a = pick_uniform(1000, 20, seed=1, start=0.1, stop=0.9)
    assert len(a) == 20 and a.min() >= 100 and a.max() < 900
    assert (np.diff(a) > 0).all()  # one per stretch, in order
    np.testing.assert_array_equal(a, pick_uniform(1000, 20, seed=1, start=0.1, stop=0.9))
    assert not np.array_equal(a, pick_uniform(1000, 20, seed=2, start=0.1, stop=0.9))
    with pytest.raises(ValueError, match="start < stop"):
        pick_uniform(100, 5, 0, start=0.5, stop=0.5)


def test_kmeans_picks_one_frame_per_appearance(tmp_path):
    # three visually distinct scenes (dark, mid, bright) of 30 frames each: k=3 must take
    # one from each, whatever moves inside them
    scenes = [(moving_scene(n=30, seed=k) // 3 + 80 * k).astype(np.uint8) for k in range(3)]
    video = write_video(tmp_path / "v.mp4", np.concatenate(scenes))
    picked = pick_kmeans(video, 90, 3, seed=0)
    assert sorted(p // 30 for p in picked) == [0, 1, 2]
    np.testing.assert_array_equal(picked, pick_kmeans(video, 90, 3, seed=0))


def test_write_frames_decoded_and_never_over_labels(tmp_path, tiny_video):
    import cv2

    out = write_frames(tiny_video, np.array([3, 40]), tmp_path / "labeled-data" / "tiny", 60)
    assert [p.name for p in out] == [frame_name(3, 60), frame_name(40, 60)] == ["img00003.png", "img00040.png"]
    frames = np.concatenate(list(iter_frame_chunks(tiny_video, gray=False)))
    np.testing.assert_array_equal(cv2.imread(str(out[1])), frames[40])
    (tmp_path / "labeled-data" / "tiny" / "CollectedData_me.h5").write_bytes(b"")
    with pytest.raises(FileExistsError, match="already holds labels"):
        write_frames(tiny_video, np.array([5]), tmp_path / "labeled-data" / "tiny", 60)
    with pytest.raises(ValueError, match="ended after 60 frames"):
        write_frames(tiny_video, np.array([5, 70]), tmp_path / "other", 60)
