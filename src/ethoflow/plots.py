"""Figures the stages write next to their results (matplotlib, no display needed)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ethoflow import __version__
from ethoflow.files import atomic_path

__all__ = [
    "plot_evaluation",
    "plot_face",
    "plot_labels",
    "plot_loss",
    "plot_motif_usage",
    "plot_motifs",
    "plot_trajectories",
    "plot_vae_loss",
    "save_figure",
]


def plot_face(face_h5: str | os.PathLike, png: str | os.PathLike, title: str = "",
              ncomp: int = 3) -> None:
    """Average frame with ROIs, leading motion masks, motion energy and motion-SVD traces.

    Parameters
    ----------
    face_h5
        A file written by :func:`ethoflow.face.process_video`.
    png
        The figure to write.
    title
        Figure title (e.g. the session name).
    ncomp
        Leading components shown per ROI.
    """
    from ethoflow.face import read_face

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
    with atomic_path(png) as tmp:
        fig.savefig(tmp, dpi=80, metadata={
            "Software": f"ethoflow {__version__}",
            "Description": f"face-motion SVD of {face_h5}; params {face['attrs'].get('params', '')}",
        })
    plt.close(fig)


def save_figure(fig, png: str | os.PathLike, description: str, dpi: int = 80) -> None:
    """Save ``fig`` atomically with provenance in the PNG metadata, and close it."""
    with atomic_path(png) as tmp:
        fig.savefig(tmp, dpi=dpi, metadata={"Software": f"ethoflow {__version__}",
                                            "Description": description})
    plt.close(fig)


def plot_loss(stats_csv: str | os.PathLike, png: str | os.PathLike, title: str = "") -> None:
    """Training loss (and learning rate) against iteration from ``learning_stats.csv``."""
    import pandas as pd

    stats = pd.read_csv(stats_csv)
    fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
    ax.plot(stats["iteration"], stats["loss"], "-o", ms=2, lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss")
    ax2 = ax.twinx()
    ax2.plot(stats["iteration"], stats["lr"], color="0.6", lw=0.8)
    ax2.set_ylabel("learning rate", color="0.5")
    ax.set_title(title or "training loss")
    save_figure(fig, png, f"training loss from {stats_csv}")


def _bodypart_colours(n: int) -> np.ndarray:
    return plt.get_cmap("rainbow")(np.linspace(0, 1, max(n, 2)))[:n]


def plot_evaluation(result: dict, png: str | os.PathLike, pcutoff: float, max_images: int = 12,
                    title: str = "") -> None:
    """Labels (+) and predictions (o; x where below ``pcutoff``) on test images
    (training images when there is no test image), with the error table's numbers."""
    idx = result["test"] if len(result["test"]) else result["train"]
    idx = idx[np.linspace(0, len(idx) - 1, min(max_images, len(idx))).astype(int)] if len(idx) else idx
    ncol = min(4, max(len(idx), 1))
    nrow = max(1, int(np.ceil(len(idx) / ncol)))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 3.0 * nrow + 0.6), squeeze=False,
                             constrained_layout=True)
    colours = _bodypart_colours(len(result["bodyparts"]))
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, idx):
        ax.imshow(result["images"][i][..., ::-1])
        for k, c in enumerate(colours):
            lx, ly = result["labels"][i, k]
            px, py = result["pred"][i, k]
            ax.plot(lx, ly, "+", color=c, ms=9, mew=1.5)
            ok = result["likelihood"][i, k] >= pcutoff
            ax.plot(px, py, "o" if ok else "x", mfc="none", color=c, ms=6, mew=1.2)
        ax.set_title(f"{'test' if len(result['test']) else 'train'} image {i}", fontsize=8)
    t = result["table"].iloc[0]
    fig.suptitle(f"{title}  train {t.train_error_px:.2f} px, test {t.test_error_px:.2f} px "
                 f"(p>={pcutoff}: {t.train_error_pcutoff_px:.2f} / {t.test_error_pcutoff_px:.2f} px)\n"
                 "+ human label, o prediction, x prediction below p-cutoff", fontsize=9)
    save_figure(fig, png, f"pose evaluation {title}; pcutoff {pcutoff}")


def plot_trajectories(df, png: str | os.PathLike, pcutoff: float = 0.6, fps: float = 1.0,
                      title: str = "") -> None:
    """DLC-style trajectory plots of a pose table: x and y against time, likelihood
    against time, x against y (points above ``pcutoff``), and a histogram of
    frame-to-frame jumps per bodypart."""
    scorer = df.columns.get_level_values("scorer")[0]
    parts = list(dict.fromkeys(df.columns.get_level_values("bodyparts")))
    colours = _bodypart_colours(len(parts))
    t = np.arange(len(df)) / fps
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), constrained_layout=True)
    for bp, c in zip(parts, colours):
        x = df[(scorer, bp, "x")].to_numpy(float)
        y = df[(scorer, bp, "y")].to_numpy(float)
        lik = df[(scorer, bp, "likelihood")].to_numpy(float)
        ok = lik >= pcutoff
        xs, ys = np.where(ok, x, np.nan), np.where(ok, y, np.nan)
        axes[0, 0].plot(t, xs, color=c, lw=0.7, label=bp)
        axes[0, 0].plot(t, ys, color=c, lw=0.7, ls="--")
        axes[0, 1].plot(t, lik, color=c, lw=0.7)
        axes[1, 0].plot(xs, ys, ".", color=c, ms=1.5)
        jumps = np.hypot(np.diff(xs), np.diff(ys))
        jumps = jumps[np.isfinite(jumps)]
        if len(jumps):
            axes[1, 1].hist(jumps, bins=np.linspace(0, max(np.percentile(jumps, 99.5), 1), 40),
                            histtype="step", color=c)
    axes[0, 0].set(xlabel="time (s)" if fps != 1.0 else "frame", ylabel="x (solid), y (dashed), px",
                   title="position against time")
    axes[0, 0].legend(fontsize=7, ncol=2, loc="upper right")
    axes[0, 1].set(xlabel="time (s)" if fps != 1.0 else "frame", ylabel="likelihood", ylim=(-0.02, 1.02),
                   title="likelihood against time")
    axes[0, 1].axhline(pcutoff, color="k", lw=0.6, ls=":")
    axes[1, 0].set(xlabel="x (px)", ylabel="y (px)", title=f"trajectories (likelihood >= {pcutoff})")
    axes[1, 0].invert_yaxis()
    axes[1, 0].set_aspect("equal", adjustable="datalim")
    axes[1, 1].set(xlabel="jump between consecutive frames (px)", ylabel="frames",
                   title="frame-to-frame jumps")
    axes[1, 1].set_yscale("log")
    if title:
        fig.suptitle(title)
    save_figure(fig, png, f"pose trajectories {title}; pcutoff {pcutoff}")


def plot_labels(images: list[np.ndarray], xy: np.ndarray, names: list[str], bodyparts: list[str],
                png: str | os.PathLike, title: str = "") -> None:
    """Labelled frames with their labels drawn, one colour per bodypart (missing points are absent)."""
    ncol = min(4, max(len(images), 1))
    nrow = max(1, int(np.ceil(len(images) / ncol)))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 3.0 * nrow + 0.8), squeeze=False,
                             constrained_layout=True)
    colours = _bodypart_colours(len(bodyparts))
    for ax in axes.flat:
        ax.axis("off")
    for ax, img, pts, name in zip(axes.flat, images, xy, names):
        ax.imshow(img[..., ::-1])
        for k, c in enumerate(colours):
            ax.plot(pts[k, 0], pts[k, 1], "o", color=c, ms=4, mec="k", mew=0.4,
                    label=bodyparts[k])
        ax.set_title(os.path.basename(name), fontsize=8)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=bp) for bp, c in zip(bodyparts, colours)]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(bodyparts), 8), fontsize=7)
    if title:
        fig.suptitle(title)
    save_figure(fig, png, f"labels check {title}")


def plot_vae_loss(stats_csv: str | os.PathLike, png: str | os.PathLike) -> None:
    """RNN-VAE training: train and test loss, reconstruction, prediction and KL per epoch."""
    import pandas as pd

    stats = pd.read_csv(stats_csv, comment="#")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3.5), constrained_layout=True)
    ax.plot(stats["epoch"], stats["loss"], "-o", ms=2, lw=1, label="train")
    if stats["test_loss"].notna().any():
        ax.plot(stats["epoch"], stats["test_loss"], "-o", ms=2, lw=1, label="test")
        best = stats.loc[stats["test_loss"].idxmin()]
        ax.axvline(best["epoch"], color="0.6", lw=0.8, ls="--", label=f"kept (epoch {int(best['epoch'])})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss per window")
    ax.legend(fontsize=8)
    ax.set_title("RNN-VAE loss")
    for key in ("rec", "future", "kl"):
        ax2.plot(stats["epoch"], stats[key], lw=1, label=key)
    ax2.set_xlabel("epoch")
    ax2.set_title("loss terms (train)")
    ax2.legend(fontsize=8)
    save_figure(fig, png, f"RNN-VAE training loss from {stats_csv}")


def _motif_colours(n: int):
    cmap = plt.get_cmap("tab20" if n > 10 else "tab10")
    return [cmap(i % cmap.N) for i in range(n)]


def plot_motifs(labels: np.ndarray, usage: np.ndarray, latent: np.ndarray, png: str | os.PathLike,
                fps: float = 30.0, title: str = "") -> None:
    """One session's motifs: ethogram (motif per frame over time), usage per motif, and the
    two leading principal components of the latent vectors coloured by motif."""
    from matplotlib.colors import ListedColormap

    n = len(usage)
    colours = _motif_colours(n)
    t = np.arange(len(labels)) / fps
    fig = plt.figure(figsize=(10, 5.5), constrained_layout=True)
    grid = fig.add_gridspec(2, 3)
    ax = fig.add_subplot(grid[0, :])
    ax.imshow(labels[None, :], aspect="auto", cmap=ListedColormap(colours), vmin=-0.5, vmax=n - 0.5,
              interpolation="nearest", extent=(0, t[-1] if len(t) else 1, 0, 1))
    ax.set_yticks([])
    ax.set_xlabel("time (s)")
    ax.set_title(f"{title}: motif per frame".strip(": "))
    ax = fig.add_subplot(grid[1, 0])
    share = usage / max(usage.sum(), 1)
    ax.bar(np.arange(n), share, color=colours)
    ax.set_xlabel("motif")
    ax.set_ylabel("share of frames")
    ax.set_title("motif usage")
    ax = fig.add_subplot(grid[1, 1:])
    z = latent - latent.mean(axis=0)
    if z.shape[1] >= 2 and len(z) > 2:
        _, _, vt = np.linalg.svd(z, full_matrices=False)
        pcs = z @ vt[:2].T
        ax.scatter(pcs[:, 0], pcs[:, 1], c=[colours[m] for m in labels], s=3, lw=0)
        ax.set_xlabel("latent PC 1")
        ax.set_ylabel("latent PC 2")
    ax.set_title("latent vectors by motif")
    save_figure(fig, png, f"motifs of {title}")


def plot_motif_usage(usage: dict, png: str | os.PathLike) -> None:
    """Motif usage of every session (share of its frames), sessions x motifs."""
    names = list(usage)
    share = np.array([u / max(u.sum(), 1) for u in usage.values()], float)
    fig, ax = plt.subplots(figsize=(2 + 0.45 * share.shape[1], 1.5 + 0.25 * len(names)),
                           constrained_layout=True)
    im = ax.imshow(share, aspect="auto", cmap="viridis", vmin=0)
    ax.set_yticks(range(len(names)), names, fontsize=7 if len(names) > 30 else 9)
    ax.set_xticks(range(share.shape[1]))
    ax.set_xlabel("motif")
    ax.set_title("motif usage (share of each session's frames)")
    fig.colorbar(im, ax=ax, shrink=0.8)
    save_figure(fig, png, "motif usage across sessions")
