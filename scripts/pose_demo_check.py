"""The demo's pose against the generator's true keypoints (rule pose_demo_check)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.errors import truth_errors

runlog.to_file(snakemake.log[0])
i, p = snakemake.input, snakemake.params
truth_errors(list(i.pose), list(i.truth), p.sessions, snakemake.output[0], i.dataset, p.pcutoff)
