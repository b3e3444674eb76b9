"""Draw the labels of one labelled folder on its frames (rule check_labels)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from pathlib import Path

from ethoflow import runlog
from ethoflow.pose_stages import check_labels

runlog.to_file(snakemake.log[0])
p = snakemake.params
check_labels(str(Path(snakemake.input[0]).parent), p.project, p.bodyparts, snakemake.output[0])
