"""Labelled video of one session (rule pose_video)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.pose.overlay import labeled_video_session

to_file(snakemake.log[0])
i = snakemake.input
labeled_video_session(i.video, i.pose, snakemake.output[0], snakemake.params.config)
