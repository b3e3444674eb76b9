"""The pose stages that run the network (training, evaluation, video analysis), as the
workflow runs them: one function per rule, paths and config in. ``config`` is the
``pose`` section of the workflow config (defaults filled in). These need PyTorch and
use CUDA when present.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import torch

from ethoflow.evaluation import evaluate
from ethoflow.files import atomic_path
from ethoflow.inference import analyze_video
from ethoflow.labels import load_images, read_dataset
from ethoflow.plots import plot_evaluation, plot_loss
from ethoflow.pose import TrainParams, train
from ethoflow.pose_stages import scorer_name, session_video_info

log = logging.getLogger(__name__)

__all__ = ["train_params", "train_shuffle", "evaluate_shuffle", "analyze_session"]


def train_params(config: Mapping, seed: int) -> TrainParams:
    """Training settings from the config: ``train`` plus the seed and the flip pairs as indices."""
    t = dict(config["train"])
    parts = config["bodyparts"]
    flips = tuple((parts.index(a), parts.index(b)) for a, b in config.get("flip_pairs", []))
    return TrainParams(**t, seed=seed, flip_pairs=flips)


def train_shuffle(dataset_json: str, project: str, model_out: str, stats_out: str, loss_png: str,
                  config: Mapping, seed: int, threads: int | None = None) -> None:
    """Train the network of one shuffle on its training images; resumes an interrupted run.

    Snapshots (and the running loss log) are kept in ``train/`` beside ``model_out``, so
    an interrupted run resumes; ``stats_out`` is a copy of the loss log.
    """
    if threads:
        torch.set_num_threads(threads)
    dataset, labels = read_dataset(dataset_json)
    idx = dataset["train"]
    images = load_images([labels.images[i] for i in idx], project)
    params = train_params(config, seed)
    data_id = hashlib.sha256(Path(dataset_json).read_bytes()).hexdigest()
    folder = Path(model_out).parent / "train"
    log.info("training shuffle %s on %d images, %d bodyparts, %s", dataset["params"]["shuffle"],
             len(idx), len(labels.bodyparts), params)
    model = train(images, labels.xy[idx], labels.bodyparts, params, folder, data_id=data_id)
    if model.resolve() != Path(model_out).resolve():
        os.replace(model, model_out)
    stats = folder / "learning_stats.csv"
    if stats.resolve() != Path(stats_out).resolve():
        with atomic_path(stats_out) as tmp:
            shutil.copyfile(stats, tmp)
    plot_loss(stats_out, loss_png, title=f"shuffle {dataset['params']['shuffle']}")


def evaluate_shuffle(model: str, dataset_json: str, project: str, out_csv: str, png: str,
                     config: Mapping) -> pd.DataFrame:
    """Train/test errors of one shuffle's network (CSV) and a figure of test predictions."""
    pcutoff = config["evaluate"]["pcutoff"]
    result = evaluate(model, dataset_json, project, out_csv, pcutoff, config["train"]["device"])
    plot_evaluation(result, png, pcutoff, title=Path(out_csv).parent.name)
    return result["table"]


def analyze_session(model: str, video: str, record_json: str, out_h5: str, config: Mapping,
                    threads: int | None = None) -> dict:
    """Analyse one session's video into a DLC pose table."""
    info = session_video_info(record_json, video)
    inf = config["inference"]
    stats = analyze_video(model, video, out_h5, scorer_name(config, inf["shuffle"]),
                          batch_size=inf["batch_size"], downsample=inf["downsample"],
                          device=inf["device"], nframes_expected=info["nframes"], threads=threads)
    return stats
