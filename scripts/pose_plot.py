"""Trajectory plots of one session (rule pose_plot)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.pose_stages import plot_session

runlog.to_file(snakemake.log[0])
i = snakemake.input
plot_session(i.pose, i.record, snakemake.output[0], snakemake.params.pose, snakemake.wildcards.session)
