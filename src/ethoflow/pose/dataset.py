"""Training datasets, as DeepLabCut's ``create_training_dataset`` makes them: the labelled
folders merged and split, seeded, per shuffle, into one JSON file."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping

import numpy as np

from ethoflow.exceptions import LabelError
from ethoflow.io.files import provenance, write_json
from ethoflow.pose.labels import Labels, labels_file, load_labels

log = logging.getLogger(__name__)

__all__ = ["build_dataset", "make_dataset", "read_dataset", "split"]


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


def build_dataset(folders: list[str], project: str, out_json: str, config: Mapping,
                  shuffle: int) -> dict:
    """The ``pose_dataset`` stage: merge the labelled folders and split them for one shuffle.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.bodyparts``, ``pose.dataset`` and ``seed``.
    """
    d = config["pose"]["dataset"]
    return make_dataset(folders, config["pose"]["bodyparts"], project, out_json,
                        d["training_fraction"], config["seed"], shuffle, d["iteration"])
