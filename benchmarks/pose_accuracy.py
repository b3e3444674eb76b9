"""Train the pose network from scratch on DeepLabCut's open-field labels; report pixel errors.

Usage::

    python benchmarks/pose_accuracy.py [--iters 1500] [--batch 4] [--shuffles 1] [--out DIR]

116 human-labelled 640x480 frames (4 bodyparts), 95% training split per shuffle (seeded), as
in DLC's test script. Prints train and test error (mean Euclidean distance, px) per bodypart
and overall, and the training time. Reference: DLC 2.0, ImageNet-pretrained ResNet-50, 15k
iterations on a GPU: 2.89 px train, 2.81 px test. The test split has 6 frames: use several
shuffles. Skips when the data is absent.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ethoflow.pose.dataset import split
from ethoflow.pose.inference import predict
from ethoflow.pose.metrics import pixel_errors
from ethoflow.pose.network import load_model
from ethoflow.pose.training import TrainParams, train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _openfield import BODYPARTS, DATA, load_openfield  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--shuffles", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    labels, images = load_openfield()
    out = args.out or Path(tempfile.mkdtemp())
    print("| shuffle | split | " + " | ".join(BODYPARTS) + " | all (px) | train time (s) |")
    print("|---|---|" + "---:|" * (len(BODYPARTS) + 2))
    for shuffle in range(1, args.shuffles + 1):
        tr, te = split(len(images), 0.95, seed=0, shuffle=shuffle)
        tic = time.perf_counter()
        model_path = train([images[i] for i in tr], labels.xy[tr], BODYPARTS,
                           TrainParams(maxiters=args.iters, batch_size=args.batch, seed=shuffle,
                                       flip=True, flip_pairs=((1, 2),), display_iters=100,
                                       save_iters=500),
                           out / f"shuffle{shuffle}")
        seconds = time.perf_counter() - tic
        model, _ = load_model(model_path, "cpu")
        for name, idx in (("train", tr), ("test", te)):
            pred = np.concatenate([predict(model, np.stack([images[i] for i in idx[j:j + 8]]))[0]
                                   for j in range(0, len(idx), 8)])
            err = pixel_errors(pred, labels.xy[idx])
            per = " | ".join(f"{v:.2f}" for v in np.nanmean(err, axis=0))
            print(f"| {shuffle} | {name} ({len(idx)}) | {per} | {np.nanmean(err):.2f} | {seconds:.0f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
