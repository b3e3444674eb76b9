"""Pick frames to label from one session's video (rule extract_frames_session)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.pose.frames import extract_frames

to_file(snakemake.log[0])
i, p = snakemake.input, snakemake.params
extract_frames(i.video, i.record, p.folder, snakemake.output[0], p.config)
