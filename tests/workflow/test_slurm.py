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
from tests.workflow.test_workflow import sheet_project, snakemake


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


def make_profile(tmp_path: Path) -> Path:
    """profiles/slurm with the test cluster's partition names: the only test-only change."""
    config = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    config["default-resources"]["slurm_partition"] = slurm_cluster.CPU_PARTITION
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


def test_slurm_run_matches_local_run(cluster, tmp_path):
    """One SLURM run (each costs ~1 min of status polling): outputs identical to a local run,
    CPU jobs on the CPU partition, small jobs bundled, and a GPU request reaching SLURM.

    No GPU rule has landed yet, so the profile's GPU pattern (``gpu: 1`` on the GPU
    partition) is applied to face_svd from the command line: it must become ``--gpus=1``
    and run on the fake GPU.
    """
    local = sheet_project(tmp_path / "local")
    snakemake(local)
    remote = sheet_project(tmp_path / "remote")
    proc = run_slurm(remote, make_profile(tmp_path), "--set-resources",
                     f"face_svd:slurm_partition={slurm_cluster.GPU_PARTITION}", "face_svd:gpu=1")
    calls = sbatch_calls(proc.stdout)
    face = [c for c in calls if "face_svd" in c]
    other = [c for c in calls if "face_svd" not in c]
    assert len(face) == 3 and other, calls
    assert all("--gpus=1" in c and f"-p {slurm_cluster.GPU_PARTITION}" in c for c in face), face
    assert all(f"-p {slurm_cluster.CPU_PARTITION}" in c and "--gpus" not in c for c in other)
    # discover and plot jobs were bundled: fewer SLURM jobs than per-session jobs
    assert len(other) < 3 + 3
    files = sorted(p.relative_to(local) for p in (local / "results").rglob("*") if p.is_file())
    assert files and files == sorted(
        p.relative_to(remote) for p in (remote / "results").rglob("*") if p.is_file())
    different = [str(f) for f in files if not filecmp.cmp(local / f, remote / f, shallow=False)]
    assert not different, different
    jobcomp = (cluster / "jobcomp.log").read_text()
    gpu_jobs = [line for line in jobcomp.splitlines()
                if f"Partition={slurm_cluster.GPU_PARTITION}" in line]
    assert len(gpu_jobs) == 3 and all("JobState=COMPLETED" in line for line in gpu_jobs)
