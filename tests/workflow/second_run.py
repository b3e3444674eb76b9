"""The lab-layout project made a second time, from nothing, started in the background when
the SLURM tests are collected: through the SLURM profile on a real local cluster where one can
start, else locally. Most of a SLURM run is waiting (job start-up, status polling), so the
other workflow tests run meanwhile; ``test_slurm.py`` waits for it and compares."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from tests.conftest import REPO
from tests.workflow import slurm_cluster
from tests.workflow.helpers import pose_project

GPU_RULES = ("pose_train", "pose_infer", "embed_train", "embed_session")


def make_profile(folder: Path) -> Path:
    """profiles/slurm with the test cluster's partition names: the only test-only change."""
    config = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    config["default-resources"]["slurm_partition"] = slurm_cluster.CPU_PARTITION
    for rule in GPU_RULES:
        config["set-resources"][rule]["slurm_partition"] = slurm_cluster.GPU_PARTITION
    config["slurm-init-seconds-before-status-checks"] = 2
    profile = folder / "profile"
    profile.mkdir()
    (profile / "config.yaml").write_text(yaml.safe_dump(config))
    return profile


class SecondRun:
    """Start with :meth:`start`; :meth:`wait` returns (workdir, output, cluster folder or None,
    why there is no cluster); :meth:`close` stops the cluster and removes the folder."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.cluster: Path | None = None
        self.why_not: str | None = None
        self.error: str | None = None

    def start(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ethoflow-second-run-"))
        workdir = pose_project(self.folder / "project", labelled=("a1",), unlabelled=("b1",))
        self.why_not = slurm_cluster.available()
        if self.why_not is None:
            self.cluster = self.folder / "slurm"
            try:
                slurm_cluster.start(self.cluster)
            except (RuntimeError, subprocess.CalledProcessError) as err:
                self.why_not, self.cluster = f"SLURM did not start: {err}", None
        cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir)]
        if self.cluster is not None:
            cmd += ["--profile", str(make_profile(self.folder)), "--verbose"]
        else:
            cmd += ["--cores", "2"]
        self.log = open(self.folder / "snakemake.out", "w+")
        self.proc = subprocess.Popen(cmd, cwd=workdir, stdout=self.log, stderr=subprocess.STDOUT,
                                     text=True)
        self.workdir = workdir

    def wait(self, timeout: float = 900) -> tuple[Path, str, Path | None, str | None]:
        if self.proc is None:
            self.start()
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self.log.seek(0)
            output = self.log.read()
        if self.proc.returncode != 0:
            raise AssertionError(f"the second run failed ({self.proc.returncode}):\n{output[-8000:]}")
        return self.workdir, output, self.cluster, self.why_not

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.cluster is not None:
            slurm_cluster.stop(self.cluster)
        if self.folder is not None and not os.environ.get("ETHOFLOW_KEEP_TEST_RUNS"):
            shutil.rmtree(self.folder, ignore_errors=True)


SECOND_RUN = SecondRun()
