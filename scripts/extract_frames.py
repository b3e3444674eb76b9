"""Pick frames to label from one session's video (rule extract_frames_session)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.pose_stages import extract_frames

runlog.to_file(snakemake.log[0])
p = snakemake.params
extract_frames(snakemake.input.video, snakemake.input.record, p.folder, snakemake.output[0], p.pose, p.seed)
