"""Probe one session's videos by decoding them (rule discover_video)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.sessions.discover import discover_session

to_file(snakemake.log[0])
settings = snakemake.params.config["discover"]
discover_session(
    snakemake.params.session,
    snakemake.output[0],
    on_bad_video=settings["on_bad_video"],
    frame_count_tolerance=settings["frame_count_tolerance"],
)
