"""Reading videos: metadata by decoding, and streamed frame chunks.

Everything here streams: a video is never held in memory whole. Decoding runs
in a background thread (OpenCV releases the GIL while it decodes), so the
caller's work on one chunk overlaps the decoding of the next.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from ethoflow.exceptions import VideoError

log = logging.getLogger(__name__)

__all__ = ["VideoInfo", "iter_frame_chunks", "probe_video"]


@dataclass(frozen=True)
class VideoInfo:
    """Metadata of one video, with the frame count established by decoding.

    Attributes
    ----------
    path : str
        The video file.
    nframes : int
        Frames actually decoded from the file.
    nframes_header : int
        Frames the container declares (may be wrong; informative only).
    fps : float
        Frame rate the container declares.
    width, height : int
        Frame size in pixels.
    duration_s : float
        ``nframes / fps``.
    codec : str
        FourCC of the video stream, e.g. ``"mp4v"`` or ``"h264"``.
    size_bytes : int
        File size.
    """

    path: str
    nframes: int
    nframes_header: int
    fps: float
    width: int
    height: int
    duration_s: float
    codec: str
    size_bytes: int

    def to_dict(self) -> dict:
        """Plain-dict form, for JSON records and tables."""
        return asdict(self)


def _open(path: Path) -> cv2.VideoCapture:
    if not path.exists():
        raise VideoError(path, "file does not exist")
    if path.is_dir():
        raise VideoError(path, "is a directory, not a video file")
    if path.stat().st_size == 0:
        raise VideoError(path, "file is empty (0 bytes)")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise VideoError(path, "OpenCV cannot open it as a video (corrupt, or not a video)")
    return cap


def _fourcc(cap: cv2.VideoCapture) -> str:
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    chars = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return chars.strip("\x00 ").lower() or "unknown"


def probe_video(
    path: str | os.PathLike,
    frame_count_tolerance: int = 0,
    progress_every: int = 10_000,
) -> VideoInfo:
    """Open a video, decode every frame to count them, and return its metadata.

    Only one frame is held at a time (``grab`` without ``retrieve``), so memory
    stays flat whatever the video's length.

    Parameters
    ----------
    path
        The video file.
    frame_count_tolerance
        How many frames fewer than the container declares may decode before the
        file is called truncated. Containers sometimes over-count by a frame or
        two; a video that stops well short of its declared length is damaged.
    progress_every
        Log a progress line every this many frames.

    Returns
    -------
    VideoInfo

    Raises
    ------
    VideoError
        If the file is missing, empty, cannot be opened, decodes no frame, has
        no valid frame size or frame rate, or stops decoding more than
        ``frame_count_tolerance`` frames before its declared end.
    """
    path = Path(path)
    cap = _open(path)
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        nheader = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        codec = _fourcc(cap)
        n = 0
        while cap.grab():
            n += 1
            if progress_every and n % progress_every == 0:
                log.info("%s: %d frames decoded", path.name, n)
    finally:
        cap.release()
    if n == 0:
        raise VideoError(path, "no frame could be decoded (empty or corrupt video stream)")
    if width <= 0 or height <= 0:
        raise VideoError(path, f"invalid frame size {width}x{height}")
    if not np.isfinite(fps) or fps <= 0:
        raise VideoError(path, f"invalid frame rate {fps!r}")
    if nheader and n < nheader - frame_count_tolerance:
        raise VideoError(
            path,
            f"truncated or corrupt: decoding stopped after {n} frames but the container "
            f"declares {nheader} (tolerance {frame_count_tolerance})",
        )
    if nheader != n:
        log.warning("%s: container declares %d frames, %d decoded", path, nheader, n)
    return VideoInfo(
        path=str(path),
        nframes=n,
        nframes_header=nheader,
        fps=fps,
        width=width,
        height=height,
        duration_s=n / fps,
        codec=codec,
        size_bytes=path.stat().st_size,
    )


_END = object()


def _open_for_chunks(path: Path, gray: bool) -> tuple[cv2.VideoCapture, np.ndarray | None]:
    """Open ``path`` and read its first frame, taking the luma plane directly when possible.

    For grayscale, OpenCV's FFmpeg backend can hand over the decoded luma (Y)
    plane without the YUV-to-BGR conversion, which costs more than decoding
    itself. Luma is the grayscale image (up to a fixed linear scaling of
    video's limited range). Where the backend returns anything else, the video
    is reopened and converted the usual way.
    """
    if gray:
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            cap = _open(path)
            width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
            height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            if cap.set(cv2.CAP_PROP_CONVERT_RGB, 0) and cap.get(cv2.CAP_PROP_CONVERT_RGB) == 0:
                ok, frame = cap.read()
                if not ok:
                    return cap, None
                if (
                    frame.ndim == 2
                    and frame.dtype == np.uint8
                    and frame.shape[1] == width
                    and frame.shape[0] in (height, height * 3 // 2, height * 2, height * 3)
                ):
                    return cap, frame
            cap.release()
        finally:
            cv2.utils.logging.setLogLevel(level)
    cap = _open(path)
    ok, frame = cap.read()
    return cap, (frame if ok else None)


def _bgr_gray_table(path: Path, luma: np.ndarray) -> np.ndarray:
    """A lookup table from the decoded luma plane to what ``cv2.COLOR_BGR2GRAY`` of the BGR
    frame gives (Facemap's grey levels), learnt from the first frame.

    A limited-range video (most yuv420p H.264/MPEG-4) codes black..white as luma 16..235 and
    its BGR conversion stretches that to 0..255 (BT.601: grey = 255/219 (Y - 16); the colour
    terms nearly cancel in the grey weights); a full-range one (yuvj420p, grey) keeps luma as
    it is. Each luma level of the first frame maps to the median grey it has there; the other
    levels follow a line fitted to the frame (or, on a frame of fewer than 16 levels, the
    better of the two ranges).
    """
    cap = _open(path)
    try:
        ok, frame = cap.read()
    finally:
        cap.release()
    levels = np.arange(256, dtype=np.float64)
    full = levels.copy()
    limited = (levels - 16.0) * 255.0 / 219.0
    if not ok or frame is None or frame.shape[:2] != luma.shape:
        return full.astype(np.uint8)
    y = luma.ravel()
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).ravel().astype(np.float64)
    present = np.unique(y)
    if len(present) >= 16:
        slope, offset = np.polyfit(y.astype(np.float64), grey, 1)
        table = slope * levels + offset
    else:
        errors = [np.abs(np.rint(t[y]) - grey).mean() for t in (full, limited)]
        table = (full, limited)[int(np.argmin(errors))]
    order = np.argsort(y, kind="stable")
    bounds = np.searchsorted(y[order], present)
    for level, chunk in zip(present, np.split(grey[order], bounds[1:])):
        table[level] = np.median(chunk)
    return np.clip(np.rint(table), 0, 255).astype(np.uint8)


def iter_frame_chunks(
    path: str | os.PathLike,
    chunk_size: int = 256,
    gray: bool = True,
    queue_size: int = 3,
    gray_levels: str = "luma",
) -> Iterator[np.ndarray]:
    """Yield consecutive chunks of frames, decoded in a background thread.

    Parameters
    ----------
    path
        The video file.
    chunk_size
        Frames per chunk (the last chunk may be shorter).
    gray
        Yield 8-bit grayscale: the decoded luma plane where the backend gives it,
        else ``cv2.COLOR_BGR2GRAY`` of the BGR frame. Otherwise BGR.
    queue_size
        Decoded chunks buffered ahead of the consumer; bounds memory.
    gray_levels
        With ``gray``: ``"luma"`` yields the luma plane as decoded (a limited-range video's
        black..white is 16..235); ``"bgr"`` maps it to what ``cv2.COLOR_BGR2GRAY`` of the
        BGR frame gives (0..255: what Facemap and most tools see) with a lookup table, at
        about the cost of a copy instead of a colour conversion.

    Yields
    ------
    numpy.ndarray
        ``(n, height, width)`` uint8 when ``gray``, else ``(n, height, width, 3)``.

    Raises
    ------
    VideoError
        If the file cannot be opened, or a frame's size differs from the first.
    """
    if gray_levels not in ("luma", "bgr"):
        raise ValueError(f"gray_levels {gray_levels!r}: use 'luma' or 'bgr'")
    path = Path(path)
    cap, first = _open_for_chunks(path, gray)
    q: queue.Queue = queue.Queue(maxsize=queue_size)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    luma = gray and cap.get(cv2.CAP_PROP_CONVERT_RGB) == 0
    height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    table = None
    if luma and gray_levels == "bgr" and first is not None:
        table = _bgr_gray_table(path, first[:height])
        if np.array_equal(table, np.arange(256)):
            table = None  # full range: luma is already the grey

    def decode() -> None:
        try:
            buf: np.ndarray | None = None
            i = 0
            shape = None
            frame = first
            while frame is not None:
                if luma:
                    frame = frame[:height]
                    if table is not None:
                        frame = cv2.LUT(frame, table)
                elif gray:
                    frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
                if shape is None:
                    shape = frame.shape
                elif frame.shape != shape:
                    raise VideoError(path, f"frame size changes from {shape} to {frame.shape}")
                if buf is None:
                    buf = np.empty((chunk_size, *shape), np.uint8)
                buf[i] = frame
                i += 1
                if i == chunk_size:
                    if not put(buf):
                        return
                    buf, i = None, 0
                ok, frame = cap.read()
                if not ok:
                    frame = None
            if buf is not None and i:
                put(buf[:i])
            put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
        finally:
            cap.release()

    # the FFmpeg backend warns on every raw frame of some pixel formats
    level = cv2.utils.logging.getLogLevel()
    if luma:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    worker = threading.Thread(target=decode, name=f"decode-{path.name}", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
        cv2.utils.logging.setLogLevel(level)
