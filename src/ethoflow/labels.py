"""Human labels in DeepLabCut's format: loading, checking, and the train/test split.

Labels live in ``labeled-data/<video>/CollectedData_<scorer>.h5`` (or ``.csv``),
indexed by the image path relative to the project. Missing coordinates (an
occluded or unseen point) are NaN and stay missing: they are never zeros.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ethoflow.dlc import read_pose_table

log = logging.getLogger(__name__)

__all__ = ["LabelError", "Labels", "load_labels", "load_label_folders", "split"]


class LabelError(ValueError):
    """Labels that cannot be used: wrong bodyparts, missing images, nothing labelled."""


@dataclass
class Labels:
    """Labelled frames of one or more folders.

    Attributes
    ----------
    images : list of str
        Image paths relative to the project (``labeled-data/<video>/imgNNNNN.png``).
    xy : numpy.ndarray
        ``(n_images, n_bodyparts, 2)`` pixel coordinates; NaN where not labelled.
    bodyparts : list of str
        In the order of ``xy``'s second axis (the config's order).
    """

    images: list[str]
    xy: np.ndarray
    bodyparts: list[str]


def _labels_file(folder: Path) -> Path:
    found = sorted(folder.glob("CollectedData_*.h5")) or sorted(folder.glob("CollectedData_*.csv"))
    if not found:
        raise LabelError(f"{folder}: no CollectedData_<scorer>.h5 or .csv (an empty labelled folder?)")
    return found[0]


def load_labels(folder: str | os.PathLike, bodyparts: list[str], project: str | os.PathLike) -> Labels:
    """Load and check one labelled folder.

    Parameters
    ----------
    folder
        ``labeled-data/<video>`` folder holding ``CollectedData_<scorer>.h5``/``.csv``.
    bodyparts
        The config's bodyparts, in order; the file must have exactly these.
    project
        The folder that image paths in the index are relative to.

    Raises
    ------
    LabelError
        If the file names bodyparts the config does not have (or lacks some), an
        image it indexes does not exist, or it holds no labelled point at all.
    """
    folder, project = Path(folder), Path(project)
    path = _labels_file(folder)
    df = read_pose_table(path)
    found = list(dict.fromkeys(df.columns.get_level_values("bodyparts")))
    unknown = sorted(set(found) - set(bodyparts))
    missing = sorted(set(bodyparts) - set(found))
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"has {', '.join(unknown)}, which are not in the config's bodyparts")
        if missing:
            parts.append(f"lacks {', '.join(missing)}")
        raise LabelError(f"{path}: {'; '.join(parts)} (config: {', '.join(bodyparts)})")
    if len(df) == 0:
        raise LabelError(f"{path}: no labelled image")
    images = [str(Path(*i)) if isinstance(i, tuple) else str(i) for i in df.index]
    absent = [i for i in images if not (project / i).is_file()]
    if absent:
        raise LabelError(
            f"{path}: {len(absent)} labelled image(s) not found under {project}, e.g. {absent[0]}"
        )

    def column(bp: str, coord: str) -> np.ndarray:
        return df.xs((bp, coord), level=("bodyparts", "coords"), axis=1).iloc[:, 0].to_numpy(float)

    xy = np.stack([np.stack([column(bp, "x"), column(bp, "y")], axis=-1) for bp in bodyparts], 1)
    if np.isnan(xy).all():
        raise LabelError(f"{path}: every coordinate is missing: nothing is labelled")
    empty = [bp for k, bp in enumerate(bodyparts) if np.isnan(xy[:, k]).all()]
    if empty:
        log.warning("%s: bodyparts never labelled: %s", path, ", ".join(empty))
    return Labels(images, xy, list(bodyparts))


def load_label_folders(
    folders: list[str | os.PathLike], bodyparts: list[str], project: str | os.PathLike
) -> Labels:
    """Merge several labelled folders (in the order given) into one :class:`Labels`."""
    parts = [load_labels(f, bodyparts, project) for f in folders]
    if not parts:
        raise LabelError("no labelled folder given")
    return Labels(
        [i for p in parts for i in p.images], np.concatenate([p.xy for p in parts]), list(bodyparts)
    )


def split(n: int, fraction: float, seed: int, shuffle: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """DLC-style train/test split of ``n`` labelled images.

    A seeded permutation (the seed and the shuffle number together), of which the
    first ``round(fraction * n)`` are training images. The same arguments give
    the same split; different shuffle numbers give different splits.

    Returns
    -------
    train, test : numpy.ndarray
        Sorted image indices.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"TrainingFraction must be in (0, 1], got {fraction}")
    perm = np.random.default_rng(np.random.SeedSequence([seed, shuffle])).permutation(n)
    k = int(round(fraction * n))
    return np.sort(perm[:k]), np.sort(perm[k:])
