"""Labelled video of one session (rule pose_video)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.pose_stages import video_session

runlog.to_file(snakemake.log[0])
video_session(snakemake.input.video, snakemake.input.pose, snakemake.output[0], snakemake.params.pose)
