"""Shared fixtures: tiny videos made on the fly, a seeded rng, the shared data folder."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def write_video(path: Path, frames: np.ndarray, fps: float = 30.0, fourcc: str = "mp4v") -> Path:
    """Write ``(n, h, w)`` gray or ``(n, h, w, 3)`` BGR uint8 frames to a video file."""
    n, h, w = frames.shape[:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"cannot write {path}"
    for f in frames:
        writer.write(f if f.ndim == 3 else cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def moving_scene(n: int = 60, h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    """A textured background, a bright square that oscillates left-right in the upper half,
    and a blob that pulses in the lower right: motion with a known structure."""
    rng = np.random.default_rng(seed)
    bg = cv2.GaussianBlur(rng.integers(60, 140, (h, w)).astype(np.uint8), (5, 5), 0)
    frames = np.empty((n, h, w, 3), np.uint8)
    for i in range(n):
        f = bg.copy()
        x = int(w / 4 + (w / 6) * np.sin(2 * np.pi * i / 15))
        cv2.rectangle(f, (x, 6), (x + 10, 16), 230, -1)
        r = int(4 + 3 * (1 + np.sin(2 * np.pi * i / 9)))
        cv2.circle(f, (int(0.75 * w), int(0.7 * h)), r, 20, -1)
        frames[i] = cv2.cvtColor(f, cv2.COLOR_GRAY2BGR)
    return frames


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(42)


@pytest.fixture
def tiny_video(tmp_path) -> Path:
    """60 frames, 64x48, 30 fps mp4 of :func:`moving_scene`."""
    return write_video(tmp_path / "tiny.mp4", moving_scene())


@pytest.fixture
def openfield_video() -> Path:
    """DeepLabCut's open-field demo video (2,330 frames, 640x480); skip if absent."""
    path = SHARED_DATA / "dlc-openfield" / "videos" / "m3v1mp4.mp4"
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


@pytest.fixture(scope="session")
def mariadb():
    """A real MariaDB server for the session (tests/mariadb_server.py); skips where MariaDB is
    not installed, fails under CI (CI=true), which must run the DataJoint tests."""
    from tests import mariadb_server

    why_not = mariadb_server.available()
    if why_not:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the DataJoint tests: {why_not}")
        pytest.skip(why_not)
    server = mariadb_server.start()
    yield server
    mariadb_server.stop(server.folder)
