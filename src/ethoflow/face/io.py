"""The face stage's result file: HDF5 with Facemap's names (see :mod:`ethoflow.face.svd`)."""

from __future__ import annotations

import os

import h5py
import numpy as np

__all__ = ["PER_ROI", "pixel_ranges", "read_face", "roi_table"]


def roi_table(regions: list, sbin: int) -> np.ndarray:
    """The ``rois`` dataset: name, pixel and binned ranges of each region, in order."""
    dtype = np.dtype(
        [("name", "S64"), ("x0", "i4"), ("x1", "i4"), ("y0", "i4"), ("y1", "i4"),
         ("xbin0", "i4"), ("xbin1", "i4"), ("ybin0", "i4"), ("ybin1", "i4")]
    )
    rows = []
    for r in regions:
        rows.append((
            r.name.encode(), r.xs.start * sbin, r.xs.stop * sbin, r.ys.start * sbin,
            r.ys.stop * sbin, r.xs.start, r.xs.stop, r.ys.start, r.ys.stop,
        ))
    return np.array(rows, dtype=dtype)


PER_ROI = ("motion", "motSVD", "motMask", "motSv", "movSVD", "movMask", "movSv")


def read_face(path: str | os.PathLike, keys: tuple[str, ...] = PER_ROI) -> dict:
    """Read a face-SVD HDF5 file written by :func:`ethoflow.face.svd.process_video` into a dict.

    Parameters
    ----------
    path
        The file.
    keys
        The per-ROI datasets to read (default: all; the projections of a long video are
        large, so a reader that needs only singular values asks for those).

    Returns
    -------
    dict
        Keys as in Facemap's ``_proc.npy`` (``motion``, ``motSVD``, ``motMask``,
        ``motSv``, ``movSVD``, ``movMask``, ``movSv``, ``avgframe``,
        ``avgmotion``, ``sbin``, ``rois``); the per-ROI ones are dicts from
        ROI name to array, in ROI order. ``attrs`` holds the file attributes.
    """
    out: dict = {}
    with h5py.File(path, "r") as h5:
        rois = h5["rois"][()]
        names = [r["name"].decode() for r in rois]
        out["rois"] = [
            {k: (r[k].decode() if k == "name" else int(r[k])) for k in rois.dtype.names}
            for r in rois
        ]
        out["sbin"] = int(h5["sbin"][()])
        out["avgframe"] = h5["avgframe"][()]
        out["avgmotion"] = h5["avgmotion"][()]
        for key in keys:
            if key in h5:
                out[key] = {name: h5[key][name][()] for name in names if name in h5[key]}
        out["attrs"] = dict(h5.attrs)
    return out


def pixel_ranges(roi: dict) -> dict[str, np.ndarray]:
    """A region of :func:`read_face`'s ``rois`` as Facemap's index arrays: ``yrange``,
    ``xrange`` (pixels) and ``yrange_bin``, ``xrange_bin`` (bins)."""
    return {"yrange": np.arange(roi["y0"], roi["y1"]), "xrange": np.arange(roi["x0"], roi["x1"]),
            "yrange_bin": np.arange(roi["ybin0"], roi["ybin1"]),
            "xrange_bin": np.arange(roi["xbin0"], roi["xbin1"])}
