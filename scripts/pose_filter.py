"""Filter one session's pose table (rule pose_filter)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.pose_stages import filter_session

runlog.to_file(snakemake.log[0])
filter_session(snakemake.input[0], snakemake.output[0], snakemake.params.pose)
