"""Motif files: a session's motifs and the segmentation model, as HDF5 with VAME's names.

Kept apart from :mod:`ethoflow.motifs` so that readers (the summary table) need only h5py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import h5py
import numpy as np

from ethoflow.files import atomic_path, write_h5_attrs

__all__ = [
    "motif_usage",
    "read_segmentation",
    "read_segmentation_model",
    "write_segmentation",
    "write_segmentation_model",
]


def motif_usage(labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Frames per motif, ``(n_clusters,)`` (unused motifs count 0)."""
    return np.bincount(np.asarray(labels, np.int64), minlength=n_clusters)[:n_clusters]


def write_segmentation_model(model: Mapping, path: str | os.PathLike, attrs: Mapping) -> None:
    """Save a fitted model (HDF5: one dataset per array, ``method``/``n_clusters`` + ``attrs``)."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        for key, value in model.items():
            if isinstance(value, np.ndarray):
                h5.create_dataset(key, data=value)
        h5.attrs["method"] = model["method"]
        h5.attrs["n_clusters"] = int(model["n_clusters"])
        write_h5_attrs(h5, attrs)


def read_segmentation_model(path: str | os.PathLike) -> dict:
    """Read a model written by :func:`write_segmentation_model`."""
    try:
        with h5py.File(path, "r") as h5:
            out = {k: h5[k][()] for k in h5}
            out["method"] = str(h5.attrs["method"])
            out["n_clusters"] = int(h5.attrs["n_clusters"])
            out["attrs"] = dict(h5.attrs)
    except (OSError, KeyError) as err:
        raise ValueError(f"{path}: not an ethoflow segmentation model ({err})") from None
    return out


def write_segmentation(path: str | os.PathLike, labels: np.ndarray, model: Mapping,
                       attrs: Mapping) -> None:
    """One session's motifs (HDF5 with VAME's names): ``labels`` (n_frames,), ``motif_usage``
    (n_clusters,) frame counts, ``cluster_center`` (n_clusters, zdims); provenance attributes."""
    n = int(model["n_clusters"])
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        h5.create_dataset("labels", data=np.asarray(labels, np.int64), compression="gzip")
        h5.create_dataset("motif_usage", data=motif_usage(labels, n))
        h5.create_dataset("cluster_center", data=np.asarray(model["cluster_center"]))
        h5.attrs["method"] = model["method"]
        h5.attrs["n_clusters"] = n
        write_h5_attrs(h5, attrs)


def read_segmentation(path: str | os.PathLike) -> dict:
    """Read a session's motifs (``labels``, ``motif_usage``, ``cluster_center``, ``attrs``)."""
    path = Path(path)
    try:
        with h5py.File(path, "r") as h5:
            out = {k: h5[k][()] for k in ("labels", "motif_usage", "cluster_center")}
            out["attrs"] = dict(h5.attrs)
    except (OSError, KeyError) as err:
        raise ValueError(f"{path}: not an ethoflow segmentation ({err})") from None
    return out
