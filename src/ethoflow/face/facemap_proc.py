"""The face stage's results as Facemap 1.0.8's ``_proc.npy``, for Facemap's GUI and loaders
and element-facemap's ``load`` task mode.

Facemap saves a pickled dict (``np.save(path, proc)``; read with
``np.load(path, allow_pickle=True).item()``). Its per-region lists put the whole frame first
(index 0) and the motion-SVD ROIs after it, in order; ``rois`` lists only the ROIs. What each
key holds here, as ``facemap.process.run`` writes it for one video:

- ``filenames`` ``[[video]]``, ``save_path``, ``Ly``/``Lx`` (lists: the frame's size),
  ``sbin``, ``fullSVD`` (True), ``save_mat`` (False), ``Lybin``/``Lxbin``/``sybin``/``sxbin``
  (arrays, one video), ``LYbin``/``LXbin``, ``sy``/``sx``;
- ``avgframe``/``avgmotion`` (lists of one binned image) and their ``_reshape`` (the image);
- ``motion`` (motion energy per frame), ``motSVD``/``movSVD`` (frames x components),
  ``motMask``/``movMask`` (binned pixels flattened x components) and their ``_reshape``
  (y x x x components);
- ``motSv``/``movSv``: one array of singular values per region, in the same order (Facemap
  1.0.8 keeps one array only, its last SVD's; element-facemap reads ``motSv[roi]``);
- ``rois``: dicts with ``rind`` 1 and ``rtype`` "motion SVD", ``iROI``, ``ivid`` 0, ``color``,
  ``yrange``/``xrange`` (pixels), ``yrange_bin``/``xrange_bin`` (bins), ``saturation``,
  ``ellipse`` (a full mask);
- ``pupil``, ``running``, ``blink``: empty (the face stage computes none).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from ethoflow.exceptions import FileFormatError
from ethoflow.face.io import pixel_ranges, read_face
from ethoflow.io.files import atomic_path

log = logging.getLogger(__name__)

__all__ = ["facemap_proc", "write_facemap_proc"]

_COLOURS = [(255, 0, 0), (0, 255, 0), (0, 128, 255), (255, 128, 0), (255, 0, 255), (0, 255, 255)]


def facemap_proc(face_h5: str | os.PathLike, video: str | os.PathLike, height: int, width: int,
                 save_path: str | os.PathLike) -> dict:
    """Facemap's ``proc`` dict from a face-stage result file.

    Parameters
    ----------
    face_h5
        ``results/face/<session>.h5``.
    video
        The face video (Facemap's ``filenames``; its GUI opens it).
    height, width
        The video's frame size in pixels.
    save_path
        The folder the ``_proc.npy`` goes in.

    Raises
    ------
    FileFormatError
        The file has no whole-frame results (``face.full_frame: false``): Facemap's lists
        hold the whole frame at index 0.
    """
    face = read_face(face_h5)
    names = [r["name"] for r in face["rois"]]
    if "full" not in names:
        raise FileFormatError(f"{face_h5}: no whole-frame results; Facemap's _proc.npy holds "
                              "the whole frame first: set face.full_frame: true")
    order = ["full"] + [n for n in names if n != "full"]
    sbin = int(face["sbin"])
    ly, lx = face["avgframe"].shape
    f32 = np.float32

    def per_region(key: str, reshape_flat: bool = False) -> list:
        found = face.get(key) or {}
        if not found:
            return []
        out = []
        for name in order:
            value = np.asarray(found[name], f32)
            out.append(value.reshape(-1, value.shape[-1]) if reshape_flat else value)
        return out

    rois = []
    for i, r in enumerate(x for x in face["rois"] if x["name"] != "full"):
        ranges = pixel_ranges(r)
        rois.append({
            "rind": 1, "rtype": "motion SVD", "iROI": i, "ivid": 0,
            "color": _COLOURS[i % len(_COLOURS)], **ranges, "saturation": 0.0,
            "ellipse": np.ones((ranges["yrange"].size, ranges["xrange"].size), bool),
            "name": r["name"],
        })
    avgframe = np.asarray(face["avgframe"], f32)
    avgmotion = np.asarray(face["avgmotion"], f32)
    return {
        "filenames": [[os.path.abspath(video)]],
        "save_path": str(save_path),
        "Ly": [int(height)], "Lx": [int(width)],
        "sbin": sbin, "fullSVD": True, "save_mat": False,
        "Lybin": np.array([ly], np.int32), "Lxbin": np.array([lx], np.int32),
        "sybin": np.array([0]), "sxbin": np.array([0]),
        "LYbin": np.int64(ly), "LXbin": np.int64(lx),
        "avgframe": [avgframe], "avgmotion": [avgmotion],
        "avgframe_reshape": avgframe, "avgmotion_reshape": avgmotion,
        "motion": [np.asarray(face["motion"][n], f32) for n in order],
        "motSv": per_region("motSv"), "movSv": per_region("movSv"),
        "motMask": per_region("motMask", reshape_flat=True),
        "movMask": per_region("movMask", reshape_flat=True),
        "motMask_reshape": per_region("motMask"), "movMask_reshape": per_region("movMask"),
        "motSVD": per_region("motSVD"), "movSVD": per_region("movSVD"),
        "pupil": [], "running": [], "blink": [],
        "rois": rois,
        "sy": np.array([0]), "sx": np.array([0]),
    }


def write_facemap_proc(face_h5: str | os.PathLike, video: str | os.PathLike, height: int,
                       width: int, out: str | os.PathLike) -> Path:
    """Write :func:`facemap_proc`'s dict as Facemap does (``np.save`` of the dict), atomically."""
    out = Path(out)
    proc = facemap_proc(face_h5, video, height, width, out.parent.resolve())
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.array(proc, dtype=object), allow_pickle=True)
    log.info("%s: Facemap's proc dict (%d region(s) with the whole frame)", out, len(proc["motion"]))
    return out
