"""The tiny workflow through `snakemake --profile profiles/slurm` on a real local SLURM.

The cluster is started by the fixture (see slurm_cluster.py) and stopped afterwards. Where
it cannot start the tests skip, except under CI (CI=true), where they must run.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.workflow import slurm_cluster
from tests.workflow.test_pose_workflow import pose_project
from tests.workflow.test_workflow import snakemake


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    why = slurm_cluster.available()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the SLURM tests: {why}")
        pytest.skip(why)
    folder = tmp_path_factory.mktemp("slurm")
    try:
        slurm_cluster.start(folder)
    except (RuntimeError, subprocess.CalledProcessError) as err:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"SLURM did not start: {err}")
    yield folder
    slurm_cluster.stop(folder)


GPU_RULES = ("pose_train", "pose_infer", "embed_train", "embed_session")


def make_profile(tmp_path: Path) -> Path:
    """profiles/slurm with the test cluster's partition names: the only test-only change."""
    config = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    config["default-resources"]["slurm_partition"] = slurm_cluster.CPU_PARTITION
    for rule in GPU_RULES:
        config["set-resources"][rule]["slurm_partition"] = slurm_cluster.GPU_PARTITION
    config["slurm-init-seconds-before-status-checks"] = 2
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "config.yaml").write_text(yaml.safe_dump(config))
    return profile


def run_slurm(workdir: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
           "--profile", str(profile), "--verbose", *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=workdir, timeout=900)
    assert proc.returncode == 0, proc.stdout[-8000:]
    return proc


def sbatch_calls(output: str) -> list[str]:
    return [line for line in output.splitlines() if "sbatch" in line and "--job-name" in line]


def same_file(a: Path, b: Path) -> bool:
    """Byte-identical, or for pandas/PyTables pose tables (which stamp times) equal tables."""
    if a.suffix == ".h5" and a.parent.name == "pose":
        import pandas as pd

        from ethoflow.io.dlc import read_pose_table

        pd.testing.assert_frame_equal(read_pose_table(a), read_pose_table(b))
        return True
    return filecmp.cmp(a, b, shallow=False)


def test_slurm_run_matches_local_run(cluster, tmp_path):
    """One SLURM run of the tiny pose + face project (each run costs minutes of status
    polling): outputs identical to a local run, the GPU rules (pose_train, pose_infer) sent
    and the VAE's (embed_train, embed_session) to the GPU partition with ``--gpus=1`` by the
    profile itself, every other job on the CPU
    partition without a GPU, and small jobs bundled."""
    local = pose_project(tmp_path / "local", face=True)
    snakemake(local)
    remote = pose_project(tmp_path / "remote", face=True)
    proc = run_slurm(remote, make_profile(tmp_path))
    calls = sbatch_calls(proc.stdout)
    gpu_rules = tuple(f"rule_{r}" for r in GPU_RULES)
    gpu = [c for c in calls if any(r in c for r in gpu_rules)]
    other = [c for c in calls if not any(r in c for r in gpu_rules)]
    assert sum("rule_pose_train" in c for c in gpu) == 1, calls
    assert sum("rule_pose_infer" in c for c in gpu) == 2, calls
    assert sum("rule_embed_train" in c for c in gpu) == 1, calls
    assert sum("rule_embed_session" in c for c in gpu) == 2, calls
    assert all("--gpus=1" in c and f"-p {slurm_cluster.GPU_PARTITION}" in c for c in gpu), gpu
    assert all(f"-p {slurm_cluster.CPU_PARTITION}" in c and "--gpus" not in c for c in other), other
    for rule in gpu_rules:
        print("GPU submit line:", next(c for c in gpu if rule in c))
    # discover and plot jobs were bundled: fewer SLURM jobs than rules x sessions
    assert not any("rule_discover_video" in c for c in calls)
    files = sorted(p.relative_to(local) for p in (local / "results").rglob("*") if p.is_file())
    assert files and files == sorted(
        p.relative_to(remote) for p in (remote / "results").rglob("*") if p.is_file())
    different = [str(f) for f in files if not same_file(local / f, remote / f)]
    assert not different, different
    jobcomp = (cluster / "jobcomp.log").read_text()
    gpu_jobs = [line for line in jobcomp.splitlines()
                if f"Partition={slurm_cluster.GPU_PARTITION}" in line]
    assert len(gpu_jobs) == 6 and all("JobState=COMPLETED" in line for line in gpu_jobs), gpu_jobs
