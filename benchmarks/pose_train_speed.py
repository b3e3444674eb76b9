"""Training speed of the pose network on a CPU, per backbone and downsampling, against DeepLabCut.

Usage::

    python benchmarks/pose_train_speed.py [--iters 20] [--backbones small efficientnet_lite0 resnet_50]
                                          [--downsample 1 2] [--batch 4] [--dlc-python PATH]
                                          [--dlc-epochs 1]

Each row is the real training loop (:func:`ethoflow.pose.training.train`: augmentation,
targets, forward, loss, backward, Adam) on the open-field example's labelled 640x480 frames,
in this process: a run of 3 iterations is subtracted from a run of ``3 + --iters``, so model
building and saving do not count. Columns: seconds and CPU-seconds per iteration,
iterations per CPU-second, images per CPU-second (CPU time of every thread). The backbones
start from random weights (speed does not depend on them).

DeepLabCut 3.0.2 (PyTorch engine, its default ``resnet_50`` bottom-up model, batch 8, its own
data pipeline on the full-size frames) is timed the same way where its venv exists
(``--dlc-python``, default ``/opt/dlc-venv/bin/python``; set-up in
``benchmarks/_dlc_runner.py``): ``train_network`` for 1 epoch is subtracted from
``1 + --dlc-epochs`` epochs, CPU time from the child process. Skips when the data is absent.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ethoflow.pose.training import TrainParams, train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _openfield import BODYPARTS, DATA, load_openfield  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_DLC = Path("/opt/dlc-venv/bin/python")
WARMUP = 3


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_ethoflow(images, xy, backbone: str, downsample: float, batch: int, iters: int, tmp: Path) -> dict:
    out = {}
    for n in (WARMUP, WARMUP + iters):
        params = TrainParams(maxiters=n, batch_size=batch, backbone=backbone, downsample=downsample,
                             flip=True, flip_pairs=((1, 2),), rotation=180, display_iters=10_000,
                             save_iters=10_000, device="cpu")
        wall, cpu = time.perf_counter(), cpu_self()
        train(images, xy, BODYPARTS, params, tmp / f"{backbone}-{downsample}-{batch}-{n}")
        out[n] = (time.perf_counter() - wall, cpu_self() - cpu)
    (w1, c1), (w2, c2) = out[WARMUP], out[WARMUP + iters]
    return {"s_per_iter": (w2 - w1) / iters, "cpu_s_per_iter": (c2 - c1) / iters}


def time_dlc(python: Path, epochs: int, batch: int) -> dict | None:
    runner = HERE / "_dlc_runner.py"
    project = Path.home() / ".cache/ethoflow-bench/dlc-openfield-project"
    if not (project / "config.yaml").exists():
        subprocess.run([str(python), str(runner), "--setup"], check=True, stdout=subprocess.DEVNULL)
    out = {}
    for n in (1, 1 + epochs):
        cpu = cpu_children()
        res = subprocess.run([str(python), str(runner), "--train", str(n), "--batch", str(batch)],
                             check=True, capture_output=True, text=True)
        out[n] = (json.loads(res.stdout.strip().splitlines()[-1]), cpu_children() - cpu)
    (a, ca), (b, cb) = out[1], out[1 + epochs]
    iters = b["iterations"] - a["iterations"]
    return {"s_per_iter": (b["wall_s"] - a["wall_s"]) / iters, "cpu_s_per_iter": (cb - ca) / iters}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--backbones", nargs="+", default=["small", "efficientnet_lite0", "resnet_50"])
    parser.add_argument("--downsample", nargs="+", type=float, default=[1.0, 2.0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--dlc-python", type=Path, default=DEFAULT_DLC)
    parser.add_argument("--dlc-epochs", type=int, default=1)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        return 0
    logging.basicConfig(level=logging.WARNING)
    labels, images = load_openfield()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backbone in args.backbones:
            for ds in args.downsample:
                r = time_ethoflow(images, labels.xy, backbone, ds, args.batch, args.iters, Path(tmp))
                rows.append((f"ethoflow {backbone}", ds, args.batch, r))
                print(f"# {rows[-1]}", flush=True)
    if args.dlc_python.exists():
        r = time_dlc(args.dlc_python, args.dlc_epochs, 8)
        rows.append(("DeepLabCut 3.0.2 resnet_50", 1.0, 8, r))
    else:
        print(f"# DeepLabCut not timed: {args.dlc_python} not found")
    print("| network | downsample | batch | s / iteration | CPU-s / iteration | iterations / CPU-s "
          "| images / CPU-s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, ds, batch, r in rows:
        print(f"| {name} | {ds:g} | {batch} | {r['s_per_iter']:.2f} | {r['cpu_s_per_iter']:.2f} | "
              f"{1 / r['cpu_s_per_iter']:.3f} | {batch / r['cpu_s_per_iter']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
