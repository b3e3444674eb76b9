"""Running the real workflow on tiny projects: the snakemake command, configs, sample sheets,
and what a run (or a dry run) changes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from ethoflow.demo.simulate import DemoSpec, write_session
from tests.conftest import REPO

SNAKEMAKE = [sys.executable, "-m", "snakemake"]

# A demo small enough for the tests: 2 sessions of 60 frames, a tiny network, a tiny VAE.
TINY_DEMO = {
    # (the face video keeps its 192x144: the demo config's face ROIs are drawn for it)
    "demo": {"n_sessions": 2, "n_frames": 60, "width": 96, "height": 96, "n_labeled": 4},
    "face": {"ncomps": 5},
    # a 20-iteration network's confidences are all low: keep every point in the smoother; a
    # tiny project has one or two test frames: fit from fewer points than a real one needs
    "calibration": {"conf_threshold": 0.0, "min_points": 5},
    "pose": {"dataset": {"training_fraction": 0.75},
             "train": {"maxiters": 20, "width": 8, "batch_size": 4, "save_iters": 10,
                       "display_iters": 5},
             "inference": {"save_as": ["csv"]}},
    "embed": {"pcutoff": 0.0,  # a 20-iteration network is unsure everywhere
              "model": {"time_window": 8, "zdims": 3, "hidden_size_layer_1": 8,
                        "hidden_size_rec": 8, "hidden_size_pred": 8, "future_steps": 4,
                        "batch_size": 32, "epochs": 3, "kl_start": 1, "annealtime": 1,
                        "test_fraction": 0.2}},
    "segment": {"n_clusters": 3, "n_init": 2, "vame_files": True,
                "grid_movies": {"enabled": True, "instances": 4, "seconds": 0.5, "crop": 48}},
}

# The demo's bodyparts and the tiny network and VAE, for projects of real-data layout.
TINY_POSE = {
    "project": "labels",
    "bodyparts": ["snout", "leftear", "rightear", "neck", "bodycentre", "tailbase", "tailtip"],
    "skeleton": [["snout", "neck"], ["neck", "tailbase"]],
    "flip_pairs": [["leftear", "rightear"]],
    "frames": {"numframes2pick": 4},
    "dataset": {"training_fraction": 0.75},
    "train": {"maxiters": 20, "width": 8, "batch_size": 4, "save_iters": 10, "display_iters": 5,
              "flip": True},
    "outliers": {"numframes2pick": 3, "p_bound": 0.9},  # a 20-iteration network is unsure everywhere
    "filter": {"p_bound": 0.0},  # (its likelihoods are ~0.01: none would be kept)
}
SPEC = DemoSpec(n_frames=60, width=96, height=96, face_width=64, face_height=48, n_labeled=4)


def merge(base: dict, overrides: dict) -> dict:
    """``base`` with ``overrides`` merged in, section by section (as Snakemake merges configs)."""
    out = dict(base)
    for key, value in overrides.items():
        out[key] = merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 600,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``snakemake --cores 2 ARGS`` with the repository's Snakefile in ``workdir`` (``env``:
    variables added to this process's environment)."""
    cmd = [*SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", "2", *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=workdir, timeout=timeout, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-6000:]}")
    return proc


def planned_rules(workdir: Path, *args: str) -> set[str]:
    """The rules a dry run would run (``all`` left out)."""
    proc = snakemake(workdir, *args, "-n", "--quiet", "rules")
    rules = set()
    table = False
    for line in proc.stdout.splitlines():
        if re.match(r"^job\s+count", line):
            table = True
        elif table and re.match(r"^\w+\s+\d+$", line.strip()):
            name = line.split()[0]
            if name not in ("all", "total"):
                rules.add(name)
        elif table and not line.strip():
            table = False
    return rules


def planned_rules_many(workdir: Path, variants: list[Path]) -> dict[str, set[str]]:
    """The rules Snakemake would run with each config file laid over the project's config
    (``plan_variants.py``: one process, two at a time)."""
    halves = [variants[::2], variants[1::2]]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.workflow.plan_variants", str(workdir),
                               *map(str, half)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=REPO) for half in halves if half]
    planned = {}
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        if proc.returncode:
            raise AssertionError(f"planning the variants failed:\n{err[-4000:]}")
        planned.update({k: set(v) for k, v in json.loads(out).items()})
    return planned


def write_config(workdir: Path, config: dict) -> dict:
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return config


def read_config(workdir: Path) -> dict:
    return yaml.safe_load((workdir / "config" / "config.yaml").read_text())


def write_sheet(workdir: Path, sessions: dict[str, str]) -> None:
    lines = ["session\tvideo"] + [f"{name}\t{video}" for name, video in sessions.items()]
    (workdir / "sessions.tsv").write_text("\n".join(lines) + "\n")


def demo_project(folder: Path, **overrides) -> Path:
    """The README's demo (config/config.yaml) made tiny, in its own working directory."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    write_config(folder, merge(merge(config, TINY_DEMO), overrides))
    return folder


def add_session(workdir: Path, name: str, index: int, labelled: bool = True) -> None:
    """A session made by the demo generator: its video in videos/, its labelled frames in the
    DLC-style project labels/ (or in scratch, unseen by the workflow, when not ``labelled``)."""
    tmp = workdir / "scratch" / name
    labels = workdir / "labels" / "labeled-data" / name
    write_session(SPEC, index, name, {
        "video": workdir / "videos" / f"{name}.mp4", "face_video": tmp / "face.mp4",
        "pose": tmp / "pose.h5", "states": tmp / "states.csv", "face_truth": tmp / "face.csv",
        "labels_dir": labels if labelled else tmp / "labels",
    })


def pose_project(workdir: Path, labelled=("a1", "a2"), unlabelled=(), **overrides) -> Path:
    """A lab's layout: videos in a sample sheet, labelled frames in a DLC-style project folder;
    the tiny network and VAE; no face stage (the demo has it)."""
    (workdir / "videos").mkdir(parents=True, exist_ok=True)
    names = [*labelled, *unlabelled]
    for i, name in enumerate(names):
        add_session(workdir, name, i, labelled=name in labelled)
    write_sheet(workdir, {s: f"videos/{s}.mp4" for s in names})
    config = {"seed": 0, "demo": {"enabled": False}, "videos": {"sheet": "sessions.tsv"},
              "face": {"enabled": False}, "calibration": TINY_DEMO["calibration"],
              "pose": TINY_POSE,
              # the VAE and the motif model learn from the labelled sessions: new ones are
              # embedded and segmented with them
              "embed": {**TINY_DEMO["embed"], "train_sessions": list(labelled)},
              "segment": {"n_clusters": 3, "n_init": 2}}
    write_config(workdir, merge(config, overrides))
    return workdir


def outputs(workdir: Path, folders=("results",)) -> dict[str, int]:
    """Every file under ``folders`` with its modification time."""
    return {str(p.relative_to(workdir)): p.stat().st_mtime_ns
            for d in folders for p in (workdir / d).rglob("*") if p.is_file()}


def changed(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {k for k, v in after.items() if before.get(k) != v}


def checksums(workdir: Path, folders=("results", "demo")) -> dict[str, str]:
    """sha256 of every file under ``folders``; DLC/pandas HDF5 tables (PyTables stamps times
    into the file) by the hash of their table instead."""
    import pandas as pd

    sums = {}
    for d in folders:
        for p in sorted((workdir / d).rglob("*")):
            if not p.is_file():
                continue
            data = p.read_bytes()
            if p.suffix == ".h5" and b"df_with_missing" in data:
                table = pd.read_hdf(p, "df_with_missing")
                data = pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes()
                data += repr(list(table.columns)).encode()
            sums[str(p.relative_to(workdir))] = hashlib.sha256(data).hexdigest()
    return sums
