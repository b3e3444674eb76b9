"""The pose stages that do not run the network, as the workflow runs them: one function
per rule, paths and config in (the network's stages are in :mod:`ethoflow.network`).

Each function reads its inputs, calls the library (:mod:`ethoflow.frames`,
:mod:`ethoflow.labels`, :mod:`ethoflow.filtering`, :mod:`ethoflow.outliers`,
:mod:`ethoflow.plots`, :mod:`ethoflow.overlay`) and writes its outputs
atomically; none of them needs PyTorch. They are usable without Snakemake; ``config`` is the ``pose``
section of the workflow config (defaults filled in).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.discover import read_record
from ethoflow.dlc import read_pose_table, write_pose_table
from ethoflow.files import provenance, write_table

log = logging.getLogger(__name__)

__all__ = [
    "build_dataset",
    "check_labels",
    "extract_frames",
    "filter_session",
    "outliers_session",
    "plot_session",
    "scorer_name",
    "session_video_info",
    "video_session",
]


def session_video_info(record_json: str | os.PathLike, video: str | os.PathLike) -> dict:
    """The discovery record's entry for ``video`` (frame count, fps), checked."""
    record = read_record(record_json)
    if record["status"] != "ok":
        raise ValueError(f"{record_json}: session {record['session']} was excluded: {record['reason']}")
    info = record["video"]
    if Path(info["path"]).resolve() != Path(video).resolve():
        raise ValueError(f"{record_json} describes {info['path']}, not {video}: rerun discovery")
    return info


def scorer_name(config: Mapping, shuffle: int) -> str:
    """Scorer of the pose tables, naming the network as DLC does (backbone, shuffle, iterations)."""
    t = config["train"]
    return f"ethoflow_{t['backbone']}_iter{config['dataset']['iteration']}_shuffle{shuffle}_{t['maxiters']}"


def extract_frames(video: str, record_json: str, folder: str, out_tsv: str, config: Mapping,
                   seed: int) -> pd.DataFrame:
    """Pick frames to label (``config['frames']``) and write them into ``folder``."""
    from ethoflow.frames import pick_kmeans, pick_uniform, write_frames

    f = config["frames"]
    nframes = session_video_info(record_json, video)["nframes"]
    if f["method"] == "kmeans":
        picked = pick_kmeans(video, nframes, f["numframes2pick"], seed, f["start"], f["stop"])
    else:
        picked = pick_uniform(nframes, f["numframes2pick"], seed, f["start"], f["stop"])
    crop = tuple(f["crop"]) if f["crop"] else None
    paths = write_frames(video, picked, folder, nframes, crop=crop)
    table = pd.DataFrame({"frame": np.sort(picked), "image": [str(p) for p in sorted(paths)]})
    write_table(table, out_tsv, comment=provenance({**f, "seed": seed, "video": str(video)}))
    return table


def check_labels(folder: str, project: str, bodyparts: list[str], png: str, max_images: int = 12) -> None:
    """A figure of labelled frames with their labels drawn (DLC's ``check_labels``)."""
    from ethoflow.labels import load_images, load_labels
    from ethoflow.plots import plot_labels

    labels = load_labels(folder, bodyparts, project)
    pick = np.linspace(0, len(labels.images) - 1, min(max_images, len(labels.images))).astype(int)
    images = load_images([labels.images[i] for i in pick], project)
    plot_labels(images, labels.xy[pick], [labels.images[i] for i in pick], bodyparts, png,
                title=f"{Path(folder).name}: {len(labels.images)} labelled frames")


def build_dataset(folders: list[str], project: str, out_json: str, config: Mapping, seed: int,
                  shuffle: int) -> dict:
    """Merge the labelled folders and split them for one shuffle."""
    from ethoflow.labels import make_dataset

    d = config["dataset"]
    return make_dataset(folders, config["bodyparts"], project, out_json, d["training_fraction"], seed,
                        shuffle, d["iteration"])


def filter_session(pose_h5: str, out_h5: str, config: Mapping) -> pd.DataFrame:
    """The ``_filtered`` pose table (``config['filter']``)."""
    from ethoflow.filtering import filter_pose

    f = config["filter"]
    df = filter_pose(read_pose_table(pose_h5), f["method"], f["window"], f["p_bound"], f["polyorder"],
                     f["process_sd"])
    write_pose_table(df, out_h5)
    return df


def plot_session(pose_h5: str, record_json: str, png: str, config: Mapping, session: str) -> None:
    """Trajectory plots of one session."""
    from ethoflow.plots import plot_trajectories

    fps = float(read_record(record_json)["video"]["fps"])
    plot_trajectories(read_pose_table(pose_h5), png, config["evaluate"]["pcutoff"], fps, title=session)


def video_session(video: str, pose_h5: str, out_mp4: str, config: Mapping) -> int:
    """The labelled video of one session."""
    from ethoflow.overlay import labeled_video

    v = config["video"]
    return labeled_video(video, read_pose_table(pose_h5), out_mp4,
                         [tuple(e) for e in config["skeleton"]], config["evaluate"]["pcutoff"],
                         v["trail"], v["radius"])


def outliers_session(video: str, pose_h5: str, folder: str, project: str, out_tsv: str,
                     config: Mapping, seed: int) -> pd.DataFrame:
    """Find outlier frames of one session and extract them for relabelling."""
    from ethoflow.outliers import extract_outliers, outlier_flags, pick_outliers

    o = config["outliers"]
    df = read_pose_table(pose_h5)
    flags = outlier_flags(df, o["methods"], o["epsilon"], o["p_bound"], config["filter"]["process_sd"])
    frames = np.sort(pick_outliers(flags, o["numframes2pick"], seed))
    extract_outliers(video, df, frames, folder, config["dataset"]["iteration"], project)
    table = flags.iloc[frames].reset_index(names="frame")
    log.info("%s: %d candidate outlier frames (%s), %d extracted", video, int(flags.any(axis=1).sum()),
             ", ".join(f"{m}: {int(flags[m].sum())}" for m in flags), len(frames))
    write_table(table, out_tsv, comment=provenance({**o, "seed": seed, "folder": str(folder)}))
    return table
