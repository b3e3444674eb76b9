"""Merge the labelled folders and split them for one shuffle (rule pose_dataset)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from pathlib import Path

from ethoflow import runlog
from ethoflow.pose_stages import build_dataset

runlog.to_file(snakemake.log[0])
p = snakemake.params
folders = [str(Path(f).parent) for f in snakemake.input]
build_dataset(folders, p.project, snakemake.output[0], p.pose, p.seed, int(snakemake.wildcards.shuffle))
