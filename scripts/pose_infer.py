"""Analyse one session's video with the pose network (rule pose_infer)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.pose.inference import analyze_session

to_file(snakemake.log[0])
i = snakemake.input
analyze_session(i.model, i.video, i.record, snakemake.output[0], snakemake.params.config,
                threads=snakemake.threads)
