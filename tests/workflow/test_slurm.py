"""The lab-layout project through `snakemake --profile profiles/slurm` on a real local SLURM,
against the suite's local run of the same project: identical results (the determinism check
too), GPU rules on the GPU partition, a session's quick pose jobs in one SLURM job.

The second run starts in the background when these tests are collected (second_run.py).
Where SLURM cannot start it runs locally, for the determinism check, and the SLURM checks
skip; under CI (CI=true) SLURM must start.
"""

from __future__ import annotations

import os

import pytest

from tests.workflow import slurm_cluster
from tests.workflow.helpers import checksums
from tests.workflow.second_run import GPU_RULES, SECOND_RUN


@pytest.fixture(scope="module")
def second_run():
    workdir, output, cluster, why_not = SECOND_RUN.wait()
    if cluster is None and os.environ.get("CI"):
        pytest.fail(f"CI must run the SLURM tests: {why_not}")
    return workdir, output, cluster


def test_same_config_and_seed_give_identical_files(pose_run, second_run):
    """Every result of the second run (from nothing; through SLURM where it runs) is the same
    as the first's: byte for byte, and DLC/pandas HDF5 files as tables (PyTables stamps times)."""
    workdir, _, _ = second_run
    again = checksums(workdir, folders=("results",))
    assert len(again) > 30 and sorted(again) == sorted(pose_run.sums)
    different = sorted(f for f in again if again[f] != pose_run.sums[f])
    assert not different, different


def sbatch_calls(output: str) -> list[str]:
    return [line for line in output.splitlines() if "sbatch" in line and "--job-name" in line]


def test_slurm_jobs_go_where_they_should(second_run):
    """GPU rules to the GPU partition with --gpus=1 (the rule asks, the profile names the
    partition), every other job to the CPU partition without a GPU, CPUs and memory from the
    rules; a session's quick pose jobs in one SLURM job; quick aggregates local."""
    _, output, cluster = second_run
    if cluster is None:
        pytest.skip("no SLURM here")
    calls = sbatch_calls(output)
    gpu = [c for c in calls if any(f"rule_{r}" in c for r in GPU_RULES)]
    other = [c for c in calls if c not in gpu]
    counts = {r: sum(f"rule_{r}" in c for c in gpu) for r in GPU_RULES}
    assert counts == {"pose_train": 1, "pose_infer": 2, "embed_train": 1, "embed_session": 2}, calls
    assert all("--gpus=1" in c and f"-p {slurm_cluster.GPU_PARTITION}" in c for c in gpu), gpu
    assert all(f"-p {slurm_cluster.CPU_PARTITION}" in c and "--gpus" not in c for c in other), other
    train = next(c for c in gpu if "rule_pose_train" in c)
    assert "--mem 16000" in train and "--cpus-per-task=4" in train, train
    for rule in GPU_RULES:
        print("GPU submit line:", next(c for c in gpu if f"rule_{rule}" in c))
    # one SLURM job per session for filtering + trajectory plot; no job for the summary
    assert sum("group_pose_post" in c for c in calls) == 2, calls
    assert not any("rule_pose_filter" in c or "rule_pose_plot" in c or "rule_summary" in c
                   for c in calls), calls
    # the calibration: CPU jobs (its fit, a quick aggregate, runs in the main process)
    calib = {r: sum(f"rule_{r}" in c for c in other)
             for r in ("calibration_sample", "calibration_page", "calibration_points", "calibration_smooth",
                       "calibration_fit")}
    assert calib == {"calibration_sample": 1, "calibration_page": 1, "calibration_points": 1,
                     "calibration_smooth": 2, "calibration_fit": 0}, calls
    print(f"{len(calls)} SLURM jobs submitted")
    jobcomp = (cluster / "jobcomp.log").read_text()
    gpu_jobs = [line for line in jobcomp.splitlines()
                if f"Partition={slurm_cluster.GPU_PARTITION}" in line]
    assert len(gpu_jobs) == 6 and all("JobState=COMPLETED" in line for line in gpu_jobs), gpu_jobs
