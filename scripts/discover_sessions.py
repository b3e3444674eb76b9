"""Gather the per-session records into the sessions table (checkpoint discover_sessions)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.discover import sessions_table

runlog.to_file(snakemake.log[0])
sessions_table(snakemake.input, snakemake.output.table)
