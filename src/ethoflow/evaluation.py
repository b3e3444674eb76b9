"""Evaluate a trained pose network on its dataset, as DeepLabCut's ``evaluate_network`` does.

The error of a prediction is its Euclidean distance in pixels to the human
label. Means are taken over every labelled (image, bodypart) pair of the split;
missing labels are left out. With ``pcutoff``, predictions whose likelihood is
below it are left out as well (the error of the points one would keep).
"""

from __future__ import annotations

import logging
import os

import numpy as np

from ethoflow.errors import error_table
from ethoflow.files import provenance, write_table
from ethoflow.labels import load_images, read_dataset
from ethoflow.pose import load_model, predict

log = logging.getLogger(__name__)

__all__ = ["evaluate", "predict_images"]


def predict_images(model, images: list[np.ndarray], batch_size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Predictions for a list of images (batched where consecutive images share a size)."""
    xys, liks = [], []
    i = 0
    while i < len(images):
        j = i + 1
        while j < len(images) and j - i < batch_size and images[j].shape == images[i].shape:
            j += 1
        xy, lik = predict(model, np.stack(images[i:j]))
        xys.append(xy)
        liks.append(lik)
        i = j
    return np.concatenate(xys), np.concatenate(liks)


def evaluate(
    model_path: str | os.PathLike,
    dataset_path: str | os.PathLike,
    project: str | os.PathLike,
    out_csv: str | os.PathLike,
    pcutoff: float = 0.6,
    device: str = "auto",
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
    pred, lik = predict_images(model, images)
    err = np.linalg.norm(pred - labels.xy, axis=-1)
    train, test = np.array(dataset["train"], int), np.array(dataset["test"], int)
    table = error_table(err, lik, train, test, bodyparts, pcutoff)
    import torch

    maxiters = torch.load(model_path, map_location="cpu", weights_only=False)["params"]["maxiters"]
    meta = provenance({**dataset["params"], "training_iterations": maxiters, "pcutoff": pcutoff})
    write_table(table.round(4), out_csv, comment=meta)
    overall = table.iloc[0]
    log.info("iteration %s shuffle %s: train error %.2f px, test error %.2f px "
             "(with p-cutoff %.2f: %.2f / %.2f px)", dataset["params"]["iteration"],
             dataset["params"]["shuffle"], overall.train_error_px, overall.test_error_px, pcutoff,
             overall.train_error_pcutoff_px, overall.test_error_pcutoff_px)
    return {"table": table, "images": images, "labels": labels.xy, "pred": pred, "likelihood": lik,
            "train": train, "test": test, "bodyparts": bodyparts}
