"""The pose stages' figures: training loss, evaluation, trajectories, labels check; and the
``pose_plot`` stage."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ethoflow.io.dlc import pose_arrays, read_pose_table
from ethoflow.io.figures import plt, save_figure
from ethoflow.sessions.discover import read_record

__all__ = ["plot_evaluation", "plot_labels", "plot_loss", "plot_session", "plot_trajectories"]


def plot_loss(stats_csv: str | os.PathLike, png: str | os.PathLike, title: str = "") -> None:
    """Training loss (and learning rate) against iteration from ``learning_stats.csv``."""
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
                      title: str = "", filtered=None) -> None:
    """DLC-style trajectory plots of a pose table: x and y against time, likelihood
    against time, x against y (points above ``pcutoff``), and a histogram of
    frame-to-frame jumps per bodypart. With ``filtered`` (the filtered table), the
    filtered x and y are drawn over the raw ones (thin), to show what filtering did."""
    parts, xy, likelihood = pose_arrays(df)
    smooth = pose_arrays(filtered, parts)[1] if filtered is not None else None
    colours = _bodypart_colours(len(parts))
    t = np.arange(len(df)) / fps
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), constrained_layout=True)
    raw_lw = 0.4 if smooth is not None else 0.7
    for k, (bp, c) in enumerate(zip(parts, colours)):
        x, y, lik = xy[:, k, 0], xy[:, k, 1], likelihood[:, k]
        ok = lik >= pcutoff
        xs, ys = np.where(ok, x, np.nan), np.where(ok, y, np.nan)
        axes[0, 0].plot(t, xs, color=c, lw=raw_lw, label=bp, alpha=0.5 if smooth is not None else 1)
        axes[0, 0].plot(t, ys, color=c, lw=raw_lw, ls="--", alpha=0.5 if smooth is not None else 1)
        if smooth is not None:
            axes[0, 0].plot(t, smooth[:, k, 0], color=c, lw=0.9)
            axes[0, 0].plot(t, smooth[:, k, 1], color=c, lw=0.9, ls="--")
        axes[0, 1].plot(t, lik, color=c, lw=0.7)
        axes[1, 0].plot(xs, ys, ".", color=c, ms=1.5)
        jumps = np.hypot(np.diff(xs), np.diff(ys))
        jumps = jumps[np.isfinite(jumps)]
        if len(jumps):
            axes[1, 1].hist(jumps, bins=np.linspace(0, max(np.percentile(jumps, 99.5), 1), 40),
                            histtype="step", color=c)
    axes[0, 0].set(xlabel="time (s)" if fps != 1.0 else "frame", ylabel="x (solid), y (dashed), px",
                   title="position against time" + (" (thin: raw, thick: filtered)" if smooth is not None else ""))
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


def plot_session(pose_h5: str, filtered_h5: str, record_json: str, png: str, config: Mapping,
                 session: str) -> None:
    """The ``pose_plot`` stage: trajectory plots of one session, raw and filtered.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.evaluate.pcutoff``.
    """
    fps = float(read_record(record_json)["video"]["fps"])
    plot_trajectories(read_pose_table(pose_h5), png, config["pose"]["evaluate"]["pcutoff"], fps,
                      title=session, filtered=read_pose_table(filtered_h5))
