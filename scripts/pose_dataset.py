"""Merge the labelled folders and split them for one shuffle (rule pose_dataset)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from pathlib import Path

from ethoflow.io.logging import to_file
from ethoflow.pose.dataset import build_dataset

to_file(snakemake.log[0])
p = snakemake.params
folders = [str(Path(f).parent) for f in snakemake.input]
build_dataset(folders, p.project, snakemake.output[0], p.config, int(snakemake.wildcards.shuffle))
