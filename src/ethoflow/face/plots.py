"""The face stage's figure: average frame with ROIs, leading masks, traces, motion energy."""

from __future__ import annotations

import os

import numpy as np
from matplotlib.patches import Rectangle

from ethoflow.face.io import read_face
from ethoflow.io.figures import plt, save_figure

__all__ = ["plot_face"]


def plot_face(face_h5: str | os.PathLike, png: str | os.PathLike, title: str = "",
              ncomp: int = 3) -> None:
    """Average frame with ROIs, leading motion masks, motion energy and motion-SVD traces.

    Parameters
    ----------
    face_h5
        A file written by :func:`ethoflow.face.svd.process_video`.
    png
        The figure to write.
    title
        Figure title (e.g. the session name).
    ncomp
        Leading components shown per ROI.
    """
    face = read_face(face_h5)
    fps = float(face["attrs"].get("fps", 1.0))
    rois = face["rois"]
    names = [r["name"] for r in rois]
    n = len(next(iter(face["motion"].values())))
    t = np.arange(n) / fps
    masks = face.get("motMask") or face.get("movMask")
    svd = face.get("motSVD") or face.get("movSVD")
    ncols = max(2 + ncomp, 4)
    fig = plt.figure(figsize=(3 * ncols, 3 * (len(names) + 2)), constrained_layout=True)
    grid = fig.add_gridspec(len(names) + 2, ncols)

    ax = fig.add_subplot(grid[0, 0])
    ax.imshow(face["avgframe"], cmap="gray")
    for r in rois:
        if r["name"] == "full":
            continue
        ax.add_patch(Rectangle((r["xbin0"] - 0.5, r["ybin0"] - 0.5), r["xbin1"] - r["xbin0"],
                               r["ybin1"] - r["ybin0"], fill=False, color="tab:orange"))
        ax.text(r["xbin0"], r["ybin0"] - 1, r["name"], color="tab:orange", fontsize=8)
    ax.set_title("average frame and ROIs")
    ax.axis("off")
    ax = fig.add_subplot(grid[0, 1])
    ax.imshow(face["avgmotion"], cmap="magma")
    ax.set_title("average motion")
    ax.axis("off")

    for i, name in enumerate(names):
        m = masks[name]
        for j in range(min(ncomp, m.shape[-1])):
            ax = fig.add_subplot(grid[1 + i, j])
            lim = np.abs(m[..., j]).max() or 1.0
            ax.imshow(m[..., j], cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(f"{name}: mask {j + 1}", fontsize=9)
            ax.axis("off")
        ax = fig.add_subplot(grid[1 + i, ncomp:])
        v = svd[name][:, : min(ncomp, svd[name].shape[1])]
        offset = 0.0
        for j in range(v.shape[1]):
            trace = v[:, j] / (np.abs(v[:, j]).max() or 1.0)
            ax.plot(t, trace - offset, lw=0.6, label=f"component {j + 1}")
            offset += 2.0
        ax.set_title(f"{name}: leading {'motion' if face.get('motSVD') else 'movie'} SVD", fontsize=9)
        ax.set_yticks([])
        ax.set_xlabel("time (s)")
        ax.legend(fontsize=7, loc="upper right")

    ax = fig.add_subplot(grid[-1, :])
    for name in names:
        e = face["motion"][name]
        ax.plot(t, (e - e.mean()) / (e.std() or 1.0), lw=0.6, label=name)
    ax.set_title("motion energy per ROI (z-scored)")
    ax.set_xlabel("time (s)")
    ax.legend(fontsize=7, loc="upper right", ncol=len(names))
    if title:
        fig.suptitle(title)
    save_figure(fig, png, f"face-motion SVD of {face_h5}; params {face['attrs'].get('params', '')}")
