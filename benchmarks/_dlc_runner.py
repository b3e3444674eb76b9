"""Time DeepLabCut 3 (PyTorch engine) video analysis, fully offline; run by
``benchmarks/pose_inference.py --dlc-python``, inside DeepLabCut's own virtual environment
(so it imports only DeepLabCut and the standard library).

What it does
  analyse mode:  _dlc_runner.py VIDEO OUTDIR [--batch 8] [--project DIR]
      Runs deeplabcut.analyze_videos(config, [VIDEO], batch_size=B, destfolder=OUTDIR,
      device="cpu", overwrite=True) on the project's shuffle 1 and prints ONE JSON line
      to stdout: {"wall_s": ..., "frames": ..., "fps": ...}. wall_s is the whole
      analyze_videos call (model build + snapshot load + decode + inference + writing
      the .h5); frames is the number of rows in the .h5 DLC wrote. Everything DLC
      prints goes to stderr.
  train mode:    _dlc_runner.py --train EPOCHS [--batch 8] [--project DIR]
      Runs deeplabcut.train_network(config, shuffle=1, device="cpu", epochs=EPOCHS,
      batch_size=B) from the untrained snapshot of setup mode (its backbone set to
      pretrained: false, so nothing is downloaded): DLC's own data loading, augmentation,
      forward, loss and backward on the open-field training frames at their full size.
      Prints ONE JSON line: {"wall_s", "epochs", "batch", "images", "iterations"}; the
      caller subtracts a shorter run to remove start-up time.
  setup mode:    _dlc_runner.py --setup [--project DIR] [--data SRC]
      Builds, without any network access, a single-animal bottom-up project with DLC's
      default `resnet_50` PyTorch model (timm `resnet50_gn` backbone + heatmap head):
      copies config.yaml and labeled-data/ from SRC (DLC's open-field demo,
      ../shared/data/dlc-openfield), runs deeplabcut.create_training_dataset
      (engine pytorch), then builds the model from the generated pytorch_config.yaml
      with DLC's own PoseModel.build(..., pretrained_backbone=False) (randomly
      initialised, no ImageNet download) and saves it with DLC's own
      TorchSnapshotManager as train/snapshot-001.pt. The weights are untrained: fine
      for a throughput benchmark, meaningless for accuracy.

Venv (once; only PyPI needed, ~2 min, ~6.6 GB because the PyPI torch is the CUDA build):
  python3.11 -m venv /opt/dlc-venv
  /opt/dlc-venv/bin/pip install torch==2.14.1 torchvision==0.29.1
  /opt/dlc-venv/bin/pip install deeplabcut==3.0.2
"""

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_PROJECT = Path.home() / ".cache" / "ethoflow-bench" / "dlc-openfield-project"
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "dlc-openfield"

# Nothing may touch the network: set before deeplabcut (timm / huggingface_hub) loads.
for _k, _v in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
               "MPLBACKEND": "Agg", "DLClight": "True"}.items():
    os.environ.setdefault(_k, _v)
os.environ.setdefault("TORCH_HOME", str(DEFAULT_PROJECT.parent / "torch-home"))
os.environ.setdefault("HF_HOME", str(DEFAULT_PROJECT.parent / "hf-home"))


def setup(project: Path, data: Path) -> None:
    import deeplabcut
    from deeplabcut.pose_estimation_pytorch import TorchSnapshotManager
    from deeplabcut.pose_estimation_pytorch.config import read_config_as_dict
    from deeplabcut.pose_estimation_pytorch.models import PoseModel
    from deeplabcut.utils import auxiliaryfunctions as af

    if project.exists():
        shutil.rmtree(project)
    project.mkdir(parents=True)
    shutil.copy(data / "config.yaml", project / "config.yaml")
    shutil.copytree(data / "labeled-data", project / "labeled-data")
    for p in project.rglob("*"):  # source files are read-only
        p.chmod(0o755 if p.is_dir() else 0o644)
    config = str(project / "config.yaml")
    cfg = af.read_config(config)
    cfg["project_path"] = str(project)
    # the labelled frames live in labeled-data/m4s1 -> name the (absent) video m4s1
    cfg["video_sets"] = {str(project / "videos" / "m4s1.mp4"): {"crop": "0, 640, 0, 480"}}
    cfg["engine"] = "pytorch"
    cfg["multianimalproject"] = False  # the demo leaves it empty (DLC warns)
    af.write_config(config, cfg)

    deeplabcut.create_training_dataset(config, num_shuffles=1, net_type="resnet_50",
                                       engine=deeplabcut.Engine.PYTORCH)
    train_dir = project / af.get_model_folder(cfg["TrainingFraction"][0], 1, cfg,
                                              engine=deeplabcut.Engine.PYTORCH) / "train"
    model_cfg = read_config_as_dict(train_dir / "pytorch_config.yaml")
    model = PoseModel.build(model_cfg["model"], pretrained_backbone=False)
    TorchSnapshotManager("snapshot", train_dir).update(
        1, {"model": model.state_dict(), "metadata": {"epoch": 1, "metrics": {}, "losses": {}}},
        last=True)
    print(f"project ready: {config}\nsnapshot: {sorted(train_dir.glob('snapshot-*.pt'))}",
          file=sys.stderr)


def analyse(project: Path, video: Path, outdir: Path, batch: int) -> dict:
    import deeplabcut
    from deeplabcut.utils.auxiliaryfunctions import load_analyzed_data

    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    scorer = deeplabcut.analyze_videos(str(project / "config.yaml"), [str(video)], shuffle=1,
                                       batch_size=batch, device="cpu", destfolder=str(outdir),
                                       overwrite=True, save_as_csv=False)
    wall = time.perf_counter() - t0
    frames = len(load_analyzed_data(str(outdir), video.stem, scorer)[0])
    return {"wall_s": round(wall, 3), "frames": frames, "fps": round(frames / wall, 3)}


def train(project: Path, epochs: int, batch: int) -> dict:
    import math

    import deeplabcut
    import yaml
    from deeplabcut.utils import auxiliaryfunctions as af

    config = str(project / "config.yaml")
    cfg = af.read_config(config)
    train_dir = project / af.get_model_folder(cfg["TrainingFraction"][0], 1, cfg,
                                              engine=deeplabcut.Engine.PYTORCH) / "train"
    pcfg_path = train_dir / "pytorch_config.yaml"
    pcfg = yaml.safe_load(pcfg_path.read_text())
    pcfg["model"]["backbone"]["pretrained"] = False  # never download ImageNet weights
    pcfg_path.write_text(yaml.safe_dump(pcfg))
    snapshot = sorted(train_dir.glob("snapshot-*.pt"))[0]
    images = len(list((project / "labeled-data" / "m4s1").glob("*.png")))
    n_train = round(images * cfg["TrainingFraction"][0])
    t0 = time.perf_counter()
    deeplabcut.train_network(config, shuffle=1, device="cpu", snapshot_path=str(snapshot),
                             epochs=epochs, batch_size=batch, save_epochs=10_000)
    wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 3), "epochs": epochs, "batch": batch, "images": n_train,
            "iterations": epochs * math.ceil(n_train / batch)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("video", nargs="?", type=Path)
    ap.add_argument("outdir", nargs="?", type=Path)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--project", type=Path, default=DEFAULT_PROJECT)
    ap.add_argument("--setup", action="store_true", help="build the offline project + snapshot")
    ap.add_argument("--train", type=int, metavar="EPOCHS", help="time DLC's training for EPOCHS")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="DLC open-field demo folder")
    a = ap.parse_args()
    if not a.setup and a.train is None and (a.video is None or a.outdir is None):
        ap.error("VIDEO and OUTDIR are required unless --setup")
    with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the JSON line only
        if a.setup:
            setup(a.project.resolve(), a.data)
            return
        if a.train is not None:
            result = train(a.project.resolve(), a.train, a.batch)
        else:
            result = analyse(a.project.resolve(), a.video.resolve(), a.outdir.resolve(), a.batch)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
