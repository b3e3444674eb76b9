"""What Snakemake would run for each of several config files laid over a project's config,
in one process (a dry run per variant costs ~2 s as a command, ~0.2 s here).

    python -m tests.workflow.plan_variants WORKDIR VARIANT.yaml [VARIANT.yaml ...]

Prints JSON: variant path -> sorted names of the rules that need to run (``all`` left out).
Uses Snakemake's API and, to stop before execution, two of its private methods (the DAG as a
dry run first builds it); Snakemake is pinned below 10 in pyproject.toml.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from snakemake.api import SnakemakeApi
from snakemake.settings.types import (
    ConfigSettings,
    DAGSettings,
    OutputSettings,
    Quietness,
    ResourceSettings,
)

from tests.conftest import REPO


def needrun_rules(workdir: Path, variant: Path) -> list[str]:
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        workflow_api = api.workflow(ResourceSettings(cores=1), ConfigSettings(configfiles=[variant]),
                                    snakefile=REPO / "Snakefile", workdir=workdir)
        workflow_api.dag(DAGSettings())
        workflow = workflow_api._workflow
        workflow._prepare_dag(forceall=False, ignore_incomplete=True, lock_warn_only=True)
        workflow._build_dag()
        return sorted({job.rule.name for job in workflow.dag.needrun_jobs()} - {"all"})


if __name__ == "__main__":
    workdir, *variants = sys.argv[1:]
    print(json.dumps({v: needrun_rules(Path(workdir), Path(v)) for v in variants}))
