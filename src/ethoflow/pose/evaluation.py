"""Evaluate a trained pose network on its dataset, as DeepLabCut's ``evaluate_network`` does
(the ``pose_evaluate`` stage).

The error of a prediction is its Euclidean distance in pixels to the human
label. Means are taken over every labelled (image, bodypart) pair of the split;
missing labels are left out. With ``pcutoff``, predictions whose likelihood is
below it are left out as well (the error of the points one would keep).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.io.files import provenance, write_table
from ethoflow.pose.dataset import read_dataset
from ethoflow.pose.inference import predict_images
from ethoflow.pose.labels import load_images
from ethoflow.pose.metrics import error_table, pixel_errors
from ethoflow.pose.network import load_model
from ethoflow.pose.plots import plot_evaluation

log = logging.getLogger(__name__)

__all__ = ["evaluate", "evaluate_shuffle"]


def evaluate(
    model_path: str | os.PathLike,
    dataset_path: str | os.PathLike,
    project: str | os.PathLike,
    out_csv: str | os.PathLike,
    pcutoff: float = 0.6,
    device: str = "auto",
    likelihood: str = "unique",
    flip_test: bool = False,
) -> dict:
    """Predict every labelled image of the dataset and write the error table.

    The CSV has one row for all bodyparts together and one per bodypart; its
    ``#`` header lines record the ethoflow version, the dataset's iteration,
    shuffle, training fraction and seed, the training iterations and ``pcutoff``.

    Returns
    -------
    dict
        ``table`` (the errors), ``images``, ``labels`` (n, K, 2), ``pred`` (n, K, 2),
        ``likelihood`` (n, K), ``train`` and ``test`` indices, for plotting.
    """
    dataset, labels = read_dataset(dataset_path)
    model, bodyparts = load_model(model_path, device)
    if bodyparts != labels.bodyparts:
        raise ValueError(f"{model_path}: model bodyparts {bodyparts} differ from the dataset's "
                         f"{labels.bodyparts} ({dataset_path})")
    images = load_images(labels.images, project)
    pred, lik = predict_images(model, images, likelihood=likelihood, flip_test=flip_test)
    err = pixel_errors(pred, labels.xy)
    train, test = np.array(dataset["train"], int), np.array(dataset["test"], int)
    table = error_table(err, lik, train, test, bodyparts, pcutoff)
    meta = provenance({**dataset["params"], "training_iterations": model.train_params["maxiters"],
                       "pcutoff": pcutoff})
    write_table(table.round(4), out_csv, comment=meta)
    overall = table.iloc[0]
    log.info("iteration %s shuffle %s: train error %.2f px, test error %.2f px "
             "(with p-cutoff %.2f: %.2f / %.2f px)", dataset["params"]["iteration"],
             dataset["params"]["shuffle"], overall.train_error_px, overall.test_error_px, pcutoff,
             overall.train_error_pcutoff_px, overall.test_error_pcutoff_px)
    return {"table": table, "images": images, "labels": labels.xy, "pred": pred, "likelihood": lik,
            "train": train, "test": test, "bodyparts": bodyparts}


def evaluate_shuffle(model: str, dataset_json: str, project: str, out_csv: str, png: str,
                     config: Mapping) -> pd.DataFrame:
    """The ``pose_evaluate`` stage: train/test errors of one shuffle's network (CSV) and a
    figure of its test predictions.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.evaluate.pcutoff`` and ``pose.inference``'s
        ``device``, ``likelihood`` and ``flip_test`` (the network is measured as it analyses).
    """
    pcutoff = config["pose"]["evaluate"]["pcutoff"]
    inf = config["pose"]["inference"]
    result = evaluate(model, dataset_json, project, out_csv, pcutoff, inf["device"], inf["likelihood"],
                      inf["flip_test"])
    plot_evaluation(result, png, pcutoff, title=Path(out_csv).parent.name)
    return result["table"]
