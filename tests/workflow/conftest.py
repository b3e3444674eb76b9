"""The suite's two real runs, made once and shared: the README's demo (tiny) and a lab-layout
pose project. Tests that change a project undo it or work on a copy; each run's checksums are
taken right after it, for the determinism and SLURM comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.workflow.helpers import checksums, demo_project, pose_project, snakemake
from tests.workflow.second_run import SECOND_RUN


def pytest_collection_modifyitems(config, items):
    """Start the second run of the lab-layout project (SLURM) before the tests, when a test
    that needs it is to run: it mostly waits, the other tests run meanwhile."""
    if any(Path(str(item.fspath)).name == "test_slurm.py" for item in items):
        SECOND_RUN.start()


def pytest_sessionfinish(session, exitstatus):
    SECOND_RUN.close()


@dataclass
class Run:
    """A finished run: its working directory, what snakemake printed, its outputs' checksums."""

    workdir: Path
    stdout: str
    sums: dict[str, str]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Run:
    """`snakemake --cores all` on the demo (config/config.yaml, made tiny): every stage."""
    workdir = demo_project(tmp_path_factory.mktemp("demo"))
    proc = snakemake(workdir)
    return Run(workdir, proc.stdout, checksums(workdir))


@pytest.fixture(scope="session")
def pose_run(tmp_path_factory) -> Run:
    """A sample sheet of two videos, a1 labelled in a DLC-style project, b1 not (it is
    analysed, not trained on): the lab's layout."""
    workdir = pose_project(tmp_path_factory.mktemp("pose"), labelled=("a1",), unlabelled=("b1",))
    proc = snakemake(workdir)
    return Run(workdir, proc.stdout, checksums(workdir, folders=("results",)))
