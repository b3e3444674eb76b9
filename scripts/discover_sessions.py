"""Gather the per-session records into the sessions table (checkpoint discover_sessions)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.sessions.discover import sessions_table

to_file(snakemake.log[0])
sessions_table(snakemake.input, snakemake.output.table)
