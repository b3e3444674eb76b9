"""Run VAME 0.14.4 itself on given tracks; called by ``segmentation.py`` with VAME's own Python.

Usage (inside VAME's venv)::

    python _vame_runner.py IN.npz OUT.npz WORKDIR

``IN.npz`` holds ``bodyparts``, ``coords_sNNN`` ``(T, K, 2)`` and ``conf_sNNN`` ``(T, K)`` per
session, ``fps``, ``centre`` / ``orient`` (the egocentric reference keypoints), ``n_clusters``,
``seed`` and the model sizes (``time_window``, ``zdims``, ``hidden``, ``future_steps``,
``batch_size``, ``epochs``, ``lr``, ``beta``) and ``pose_confidence``. The sessions are written
as DeepLabCut CSV files and go through VAME's own pipeline (``vame.pipeline.VAMEPipeline``):
``preprocessing`` (low-confidence cleaning, egocentric alignment, outlier cleaning,
Savitzky-Golay), the training set, ``train_model``, ``segment_session`` (k-means and HMM, one
model for all sessions, as VAME's default).
``OUT.npz`` gets each session's labels per algorithm (``kmeans_sNNN``, ``hmm_sNNN``) and
``time_window``: VAME's label ``i`` belongs to the window of frames ``i .. i + time_window - 1``.
Environment setup (VAME needs Python >= 3.12)::

    PYENV_VERSION=3.12.1 pyenv exec python -m venv /opt/vame-venv
    /opt/vame-venv/bin/pip install vame-py==0.14.4
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd


def write_dlc_csv(path: Path, bodyparts: list[str], xy: np.ndarray, conf: np.ndarray) -> None:
    """A DeepLabCut CSV (scorer / bodyparts / coords header rows)."""
    columns = pd.MultiIndex.from_tuples([("vame-bench", bp, c) for bp in bodyparts for c in ("x", "y", "likelihood")],
                                        names=["scorer", "bodyparts", "coords"])
    data = np.stack([xy[..., 0], xy[..., 1], conf], axis=-1).reshape(len(xy), -1)
    pd.DataFrame(data, columns=columns).to_csv(path)


def main(in_npz: str, out_npz: str, workdir: str) -> None:
    import vame
    from vame.pipeline import VAMEPipeline

    data = np.load(in_npz)
    bodyparts = [str(b) for b in data["bodyparts"]]
    sessions = sorted(k.removeprefix("coords_") for k in data.files if k.startswith("coords_"))
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    poses = []
    for s in sessions:
        path = work / f"{s}.csv"
        write_dlc_csv(path, bodyparts, data[f"coords_{s}"], data[f"conf_{s}"])
        poses.append(str(path))
    hidden = int(data["hidden"])
    config_kwargs = {
        "n_clusters": int(data["n_clusters"]), "project_random_state": int(data["seed"]),
        "time_window": int(data["time_window"]), "zdims": int(data["zdims"]),
        "hidden_size_layer_1": hidden, "hidden_size_layer_2": hidden, "hidden_size_rec": hidden,
        "hidden_size_pred": hidden, "prediction_steps": int(data["future_steps"]),
        "batch_size": int(data["batch_size"]), "max_epochs": int(data["epochs"]),
        "learning_rate": float(data["lr"]), "beta": float(data["beta"]),
        "segmentation_algorithms": ["kmeans", "hmm"],
        # VAME's default 0.99 would blank every point of a network whose likelihoods sit at
        # 0.8-0.95 (all of the demo's); the benchmark passes ethoflow's embed.pcutoff.
        "pose_confidence": float(data["pose_confidence"]),
    }
    pipeline = VAMEPipeline(project_name="bench", poses_estimations=poses, source_software="DeepLabCut",
                            working_directory=str(work), fps=float(data["fps"]), config_kwargs=config_kwargs,
                            save_logs=False)
    last = pipeline.preprocessing(centered_reference_keypoint=str(data["centre"]),
                                  orientation_reference_keypoint=str(data["orient"]))
    pipeline.create_training_set(read_from_variable=last)
    pipeline.train_model()
    pipeline.run_segmentation()
    config = pipeline.config
    out = {"time_window": int(config["time_window"]), "vame_version": getattr(vame, "__version__", "")}
    n = config["n_clusters"]
    for algo in ("kmeans", "hmm"):
        for s in sessions:
            folder = Path(config["project_path"]) / "results" / s / config["model_name"] / f"{algo}-{n}"
            out[f"{algo}_{s}"] = np.load(folder / f"{n}_{algo}_label_{s}.npy")
    np.savez(out_npz, **out)


if __name__ == "__main__":
    main(*sys.argv[1:4])
