"""The behaviour stages' files: a session's embedding, its motifs and the segmentation model,
as HDF5 with VAME's names; and VAME's own ``.npy`` files.

Readers need only h5py and numpy (the summary table reads motifs without the models' libraries).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import json
from collections.abc import Sequence

import h5py
import numpy as np

from ethoflow.exceptions import FileFormatError
from ethoflow.io.files import atomic_path, write_h5_attrs

__all__ = [
    "bouts",
    "export_vame",
    "motif_usage",
    "read_embedding",
    "read_segmentation",
    "read_segmentation_model",
    "vame_names",
    "write_embedding",
    "write_segmentation",
    "write_segmentation_model",
]


def bouts(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """Runs of one motif: ``(motif, start, stop)`` with ``stop`` exclusive."""
    labels = np.asarray(labels)
    if len(labels) == 0:
        return []
    edges = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [len(labels)]])
    return [(int(labels[a]), int(a), int(b)) for a, b in zip(starts, stops)]


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
        raise FileFormatError(f"{path}: not an ethoflow segmentation model ({err})") from None
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
        raise FileFormatError(f"{path}: not an ethoflow segmentation ({err})") from None
    return out


def write_embedding(path: str | os.PathLike, latent: np.ndarray, features: np.ndarray,
                    feature_names: Sequence[str], attrs: Mapping) -> None:
    """One session's embedding as HDF5: ``latent_vector`` (VAME's name), the egocentric
    features (``egocentric``) and provenance attributes. Written atomically."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        h5.create_dataset("latent_vector", data=latent, compression="gzip")
        h5.create_dataset("egocentric", data=features, compression="gzip")
        h5["egocentric"].attrs["names"] = json.dumps(list(feature_names))
        write_h5_attrs(h5, attrs)


def read_embedding(path: str | os.PathLike) -> dict:
    """Read a file written by :func:`write_embedding` (``latent_vector``, ``egocentric``, its
    ``names``, ``attrs``)."""
    path = Path(path)
    try:
        with h5py.File(path, "r") as h5:
            return {"latent_vector": h5["latent_vector"][()], "egocentric": h5["egocentric"][()],
                    "names": json.loads(h5["egocentric"].attrs.get("names", "[]")),
                    "attrs": dict(h5.attrs)}
    except (OSError, KeyError) as err:
        raise FileFormatError(f"{path}: not an ethoflow embedding ({err})") from None


def vame_names(session: str, method: str, n_clusters: int) -> list[str]:
    """VAME's per-session file names: latent vectors, labels, motif usage, cluster centres."""
    kind = "km" if method == "kmeans" else "hmm"
    return [f"latent_vector_{session}.npy", f"{n_clusters}_{kind}_label_{session}.npy",
            f"motif_usage_{session}.npy", f"cluster_center_{session}.npy"]


def export_vame(segment_h5: str, latents: np.ndarray, out_paths: Sequence[str]) -> None:
    """Write one session's latent vectors and motifs as VAME's ``.npy`` files (the paths in
    :func:`vame_names`' order). Ours cover every frame; VAME's start ``time_window`` in."""
    seg = read_segmentation(segment_h5)
    arrays = [np.asarray(latents), seg["labels"], seg["motif_usage"], seg["cluster_center"]]
    for array, path in zip(arrays, out_paths, strict=True):
        with atomic_path(path) as tmp:
            np.save(tmp, array)
