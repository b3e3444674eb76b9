"""Motif usage across sessions (rule segment_usage)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.behaviour import plot_usage

runlog.to_file(snakemake.log[0])
plot_usage(list(snakemake.input), snakemake.output[0])
