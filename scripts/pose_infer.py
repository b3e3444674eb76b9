"""Analyse one session's video with the pose network (rule pose_infer)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.network import analyze_session

runlog.to_file(snakemake.log[0])
i = snakemake.input
analyze_session(i.model, i.video, i.record, snakemake.output[0], snakemake.params.pose,
                threads=snakemake.threads)
