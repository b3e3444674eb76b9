"""The behaviour stages' figures: the VAE's loss, each session's motifs, motif usage across
sessions."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.behaviour.io import read_segmentation
from ethoflow.io.figures import plt, save_figure

__all__ = ["plot_motif_usage", "plot_motifs", "plot_session_motifs", "plot_usage", "plot_vae_loss"]


def plot_vae_loss(stats_csv: str | os.PathLike, png: str | os.PathLike) -> None:
    """RNN-VAE training: train and test loss, reconstruction, prediction and KL per epoch."""
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


def plot_session_motifs(segment_h5: str, latents: np.ndarray, png: str, fps: float, title: str) -> None:
    """The figure of one session's motifs (made by the ``segment_session`` job): ethogram, motif
    usage and the leading latent components (the VAE's, or the AR-HMM's pose PCs)."""
    seg = read_segmentation(segment_h5)
    plot_motifs(seg["labels"], seg["motif_usage"], latents, png, fps, title)


def plot_usage(segment_h5s: Sequence[str], png: str) -> None:
    """The ``segment_usage`` stage: motif usage of every session, as a sessions x motifs heat map."""
    usage = {Path(p).stem: read_segmentation(p)["motif_usage"] for p in segment_h5s}
    plot_motif_usage(usage, png)
