import cv2
import numpy as np
import pytest

from ethoflow.exceptions import VideoError
from ethoflow.io.video import iter_frame_chunks, probe_video
from tests.conftest import moving_scene, write_video


def test_probe_counts_frames_by_decoding(tiny_video):
    info = probe_video(tiny_video)
    assert info.nframes == 60
    assert (info.width, info.height) == (64, 48)
    assert info.fps == pytest.approx(30.0)
    assert info.duration_s == pytest.approx(2.0)
    assert info.codec in ("mp4v", "fmp4")  # FFmpeg reports MPEG-4 part 2 as FMP4
    assert info.size_bytes == tiny_video.stat().st_size


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: p, "does not exist"),
        (lambda p: (p.write_bytes(b""), p)[1], "empty"),
        (lambda p: (p.write_bytes(b"this is not a video" * 100), p)[1], "cannot open|no frame"),
    ],
    ids=["missing", "empty", "garbage"],
)
def test_probe_bad_files_name_the_file(tmp_path, make, match):
    path = make(tmp_path / "bad.mp4")
    with pytest.raises(VideoError, match=match) as err:
        probe_video(path)
    assert str(path) in str(err.value)


def test_probe_truncated_video(tmp_path):
    good = write_video(tmp_path / "good.avi", moving_scene(n=90), fourcc="MJPG")
    data = good.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])  # AVI index lost with the tail: stops early
    with pytest.raises(VideoError, match="truncated or corrupt: decoding stopped after") as err:
        probe_video(cut)
    assert "cut.avi" in str(err.value)


def test_chunks_cover_every_frame_in_order(tiny_video):
    chunks = list(iter_frame_chunks(tiny_video, chunk_size=16))
    assert [len(c) for c in chunks] == [16, 16, 16, 12]
    frames = np.concatenate(chunks)
    assert frames.shape == (60, 48, 64) and frames.dtype == np.uint8
    bgr = np.concatenate(list(iter_frame_chunks(tiny_video, chunk_size=16, gray=False)))
    assert bgr.shape == (60, 48, 64, 3)
    # luma and BGR->gray agree up to video's limited-range scaling
    gray = bgr.astype(float) @ np.array([0.114, 0.587, 0.299])
    assert np.corrcoef(gray.ravel(), frames.ravel())[0, 1] > 0.99


def test_chunk_reader_stops_cleanly_when_abandoned(tiny_video):
    it = iter_frame_chunks(tiny_video, chunk_size=4, queue_size=1)
    next(it)
    it.close()  # must not hang on the background thread


def test_bgr_grey_levels_are_what_opencv_bgr_to_grey_gives(tiny_video):
    """gray_levels="bgr" (the face stage's Facemap units) maps the luma plane to the grey of
    OpenCV's BGR frame (Facemap's reading) to within a level; the luma plane itself is
    limited range (16..235)."""
    luma = np.concatenate(list(iter_frame_chunks(tiny_video, 16)))
    grey = np.concatenate(list(iter_frame_chunks(tiny_video, 16, gray_levels="bgr")))
    cap = cv2.VideoCapture(str(tiny_video))
    want = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        want.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    cap.release()
    diff = np.abs(grey.astype(int) - np.stack(want))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.999, ((diff == 0).mean(), diff.max())
    assert luma.min() >= 16 and grey.min() < 16  # mp4v writes limited-range yuv420p
    with pytest.raises(ValueError, match="gray_levels 'rgb'"):
        next(iter_frame_chunks(tiny_video, 16, gray_levels="rgb"))
