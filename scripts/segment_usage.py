"""Motif usage across sessions (rule segment_usage)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.behaviour.plots import plot_usage
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
plot_usage(list(snakemake.input), snakemake.output[0])
