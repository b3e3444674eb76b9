"""DeepLabCut's open-field data (../shared/data/dlc-openfield) for the pose benchmarks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ethoflow.pose.labels import Labels, load_labels

DATA = Path(__file__).resolve().parents[2] / "shared/data/dlc-openfield"
VIDEO = DATA / "videos/m3v1mp4.mp4"
BODYPARTS = ["snout", "leftear", "rightear", "tailbase"]


def load_openfield() -> tuple[Labels, list[np.ndarray]]:
    """The 116 human labels of session m4s1 and their images (BGR)."""
    labels = load_labels(DATA / "labeled-data/m4s1", BODYPARTS, DATA)
    return labels, [cv2.imread(str(DATA / i)) for i in labels.images]
