"""Human labels in DeepLabCut's format: reading, checking, writing, and the labels check figure.

Labels live in ``labeled-data/<video>/CollectedData_<scorer>.h5`` (or ``.csv``),
indexed by the image path relative to the project. Missing coordinates (an
occluded or unseen point) are NaN and stay missing: they are never zeros.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ethoflow.exceptions import LabelError
from ethoflow.io.dlc import check_columns, pose_arrays, read_pose_table, write_pose_table

log = logging.getLogger(__name__)

__all__ = [
    "Labels",
    "check_labels",
    "labels_file",
    "load_images",
    "load_label_folders",
    "load_labels",
    "merge_machine_labels",
    "write_labels",
]


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
    _, xy, _ = pose_arrays(df, bodyparts)
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


def write_labels(df: pd.DataFrame, folder: str | os.PathLike, scorer: str) -> tuple[Path, Path]:
    """Write labels as ``CollectedData_<scorer>.h5`` and ``.csv`` in ``folder``, as DLC 2.x does.

    Parameters
    ----------
    df
        A labels table (coords x, y), indexed by the image path relative to the
        project, e.g. ``labeled-data/<video>/img00012.png``.
    folder
        The ``labeled-data/<video>`` folder (created if needed).
    scorer
        The scorer; names the files.

    Returns
    -------
    tuple of pathlib.Path
        The ``.h5`` and ``.csv`` paths.

    Raises
    ------
    LabelError
        If ``df`` is not a labels table (other levels, a likelihood column,
        a non-string index).
    """
    folder = Path(folder)
    h5, csv = folder / f"CollectedData_{scorer}.h5", folder / f"CollectedData_{scorer}.csv"
    check_columns(df, h5)
    if "likelihood" in set(df.columns.get_level_values("coords")):
        raise LabelError(f"{h5}: labels have coords x, y only, but the table has a likelihood")
    if not all(isinstance(i, str) for i in df.index):
        raise LabelError(
            f"{h5}: the labels index must be image paths like 'labeled-data/<video>/img00012.png'"
        )
    write_pose_table(df, csv)
    write_pose_table(df, h5)
    return h5, csv


def merge_machine_labels(folder: str | os.PathLike, scorer: str, pcutoff: float = 0.6) -> Path:
    """Fold the network's predictions on extracted outlier frames into the human labels.

    ``labeled-data/<video>/machinelabels-iter<N>.h5`` (written by the outlier
    step) holds predictions for frames that have no human label yet. This adds
    those frames to ``CollectedData_<scorer>.h5``/``.csv`` (points below
    ``pcutoff`` become missing), keeping every row a human already labelled or
    corrected. Correct the added rows in a labelling tool, then raise
    ``pose.dataset.iteration`` so that the next dataset includes them.

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


def check_labels(folder: str, project: str, png: str, config: Mapping, max_images: int = 12) -> None:
    """The ``check_labels`` stage: a figure of a labelled folder's frames with their labels
    drawn (DLC's ``check_labels``).

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.bodyparts``.
    """
    from ethoflow.pose.plots import plot_labels

    bodyparts = config["pose"]["bodyparts"]
    labels = load_labels(folder, bodyparts, project)
    pick = np.linspace(0, len(labels.images) - 1, min(max_images, len(labels.images))).astype(int)
    images = load_images([labels.images[i] for i in pick], project)
    plot_labels(images, labels.xy[pick], [labels.images[i] for i in pick], bodyparts, png,
                title=f"{Path(folder).name}: {len(labels.images)} labelled frames")
