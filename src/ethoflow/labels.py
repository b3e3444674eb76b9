"""Human labels in DeepLabCut's format: loading, checking, and the train/test split.

Labels live in ``labeled-data/<video>/CollectedData_<scorer>.h5`` (or ``.csv``),
indexed by the image path relative to the project. Missing coordinates (an
occluded or unseen point) are NaN and stay missing: they are never zeros.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ethoflow.dlc import read_pose_table, write_labels
from ethoflow.files import provenance, write_json

log = logging.getLogger(__name__)

__all__ = [
    "LabelError",
    "Labels",
    "labels_file",
    "load_images",
    "load_label_folders",
    "load_labels",
    "make_dataset",
    "merge_machine_labels",
    "read_dataset",
    "split",
]


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


def labels_file(folder: str | os.PathLike) -> Path:
    """The ``CollectedData_<scorer>.h5`` (preferred) or ``.csv`` file of a labelled folder."""
    folder = Path(folder)
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
    path = labels_file(folder)
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


def _json_xy(xy: np.ndarray) -> list:
    return [[[None if not np.isfinite(v) else round(float(v), 4) for v in p] for p in im] for im in xy]


def _digest(labels: Labels) -> str:
    """SHA-256 of the labels' content (HDF5 files' bytes change with PyTables' timestamps)."""
    return hashlib.sha256(json.dumps([labels.images, _json_xy(labels.xy)]).encode()).hexdigest()


def make_dataset(
    folders: list[str | os.PathLike],
    bodyparts: list[str],
    project: str | os.PathLike,
    out: str | os.PathLike,
    fraction: float,
    seed: int,
    shuffle: int = 1,
    iteration: int = 0,
) -> dict:
    """Merge labelled folders and split them (DLC's ``create_training_dataset``), into one JSON file.

    The file records everything training and evaluation need and everything that
    made it: the image paths (relative to ``project``), the labels (``null`` where
    missing), the train/test indices, iteration, shuffle, training fraction, seed,
    and a SHA-256 of every labels file's content. The same labels and settings give
    a byte-identical file.

    Returns
    -------
    dict
        The dataset as written.
    """
    folders = sorted(folders, key=str)
    parts = [load_labels(f, bodyparts, project) for f in folders]
    if not parts:
        raise LabelError("no labelled folder given")
    labels = Labels([i for p in parts for i in p.images], np.concatenate([p.xy for p in parts]),
                    list(bodyparts))
    train_idx, test_idx = split(len(labels.images), fraction, seed, shuffle)
    if len(train_idx) == 0:
        raise LabelError(f"TrainingFraction {fraction} of {len(labels.images)} labelled images leaves "
                         "no training image")
    dataset = {
        **provenance({"iteration": iteration, "shuffle": shuffle, "training_fraction": fraction,
                      "seed": seed}),
        "bodyparts": list(bodyparts),
        "label_files": {str(labels_file(f)): _digest(p) for f, p in zip(folders, parts)},
        "images": labels.images,
        "xy": _json_xy(labels.xy),
        "train": train_idx.tolist(),
        "test": test_idx.tolist(),
    }
    write_json(dataset, out)
    log.info("dataset iteration %d shuffle %d: %d images (%d train, %d test) from %d folders",
             iteration, shuffle, len(labels.images), len(train_idx), len(test_idx), len(folders))
    return dataset


def read_dataset(path: str | os.PathLike) -> tuple[dict, Labels]:
    """The dataset file written by :func:`make_dataset` and its labels as :class:`Labels`."""
    with open(path) as fh:
        dataset = json.load(fh)
    xy = np.array([[[np.nan if v is None else v for v in p] for p in im] for im in dataset["xy"]], float)
    return dataset, Labels(dataset["images"], xy.reshape(len(dataset["images"]), -1, 2),
                           dataset["bodyparts"])


def merge_machine_labels(folder: str | os.PathLike, scorer: str, pcutoff: float = 0.6) -> Path:
    """Fold the network's predictions on extracted outlier frames into the human labels.

    ``labeled-data/<video>/machinelabels-iter<N>.h5`` (written by the outlier
    step) holds predictions for frames that have no human label yet. This adds
    those frames to ``CollectedData_<scorer>.h5``/``.csv`` (points below
    ``pcutoff`` become missing), keeping every row a human already labelled or
    corrected. Correct the added rows in a labelling tool, then raise
    ``pose.iteration`` so that the next dataset includes them.

    Returns
    -------
    pathlib.Path
        The labels file written.
    """
    folder = Path(folder)
    machine = sorted(folder.glob("machinelabels-iter*.h5"),
                     key=lambda p: int(p.stem.split("iter")[-1]))
    if not machine:
        raise LabelError(f"{folder}: no machinelabels-iter<N>.h5 to merge (run the outlier step first)")
    pred = read_pose_table(machine[-1])
    try:
        human = read_pose_table(labels_file(folder))
        human.index = [str(Path(*i)) if isinstance(i, tuple) else str(i) for i in human.index]
        scorer = human.columns.get_level_values("scorer")[0]
    except LabelError:
        human = None
    parts = list(dict.fromkeys(pred.columns.get_level_values("bodyparts")))
    cols = pd.MultiIndex.from_product([[scorer], parts, ["x", "y"]], names=["scorer", "bodyparts", "coords"])
    new = pd.DataFrame(index=pred.index, columns=cols, dtype=float)
    pscorer = pred.columns.get_level_values("scorer")[0]
    for bp in parts:
        ok = pred[(pscorer, bp, "likelihood")].to_numpy(float) >= pcutoff
        for c in ("x", "y"):
            new[(scorer, bp, c)] = np.where(ok, pred[(pscorer, bp, c)].to_numpy(float), np.nan)
    if human is not None:
        new = new.loc[~new.index.isin(human.index)]
        merged = pd.concat([human, new[human.columns]]).sort_index()
    else:
        merged = new.sort_index()
    h5, _ = write_labels(merged, folder, scorer)
    log.info("%s: %d machine-labelled frames merged into %s", folder, len(new), h5.name)
    return h5


def load_images(paths: list[str], project: str | os.PathLike) -> list[np.ndarray]:
    """Read labelled images (BGR) from paths relative to ``project``.

    Raises
    ------
    LabelError
        Naming the first image that is missing or unreadable.
    """
    images = []
    for rel in paths:
        img = cv2.imread(str(Path(project) / rel), cv2.IMREAD_COLOR)
        if img is None:
            raise LabelError(f"{Path(project) / rel}: labelled image missing or unreadable")
        images.append(img)
    return images
