"""Draw the labels of one labelled folder on its frames (rule check_labels)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from pathlib import Path

from ethoflow.io.logging import to_file
from ethoflow.pose.labels import check_labels

to_file(snakemake.log[0])
p = snakemake.params
check_labels(str(Path(snakemake.input[0]).parent), p.project, snakemake.output[0], p.config)
