"""Pieces of the benchmarks' synthetic projects."""

from __future__ import annotations

from pathlib import Path

__all__ = ["labelled_folder", "tiny_video"]


def tiny_video(path: Path) -> Path:
    """20 frames of noise, 64x48, 30 fps: one real video for many sessions to link to."""
    import cv2
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (64, 48))
    rng = np.random.default_rng(0)
    for _ in range(20):
        writer.write(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    writer.release()
    return path


def labelled_folder(folder: Path) -> None:
    """One labelled folder in ``pose-project/``: it puts the pose, embedding and motif stages
    in the plan (nothing reads the file while planning)."""
    labelled = folder / "pose-project" / "labeled-data" / "s00000"
    labelled.mkdir(parents=True)
    (labelled / "CollectedData_bench.csv").write_text("")
