"""Probe one session's videos by decoding them (rule discover_video)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.discover import discover_session

runlog.to_file(snakemake.log[0])
discover_session(
    snakemake.params.session,
    snakemake.output[0],
    on_bad_video=snakemake.params.on_bad_video,
    frame_count_tolerance=snakemake.params.frame_count_tolerance,
)
