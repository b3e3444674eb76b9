"""Trajectory plots of one session (rule pose_plot)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.pose.plots import plot_session

to_file(snakemake.log[0])
i = snakemake.input
plot_session(i.pose, i.filtered, i.record, snakemake.output[0], snakemake.params.config,
             snakemake.wildcards.session)
