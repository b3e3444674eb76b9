"""The cross-session summary table (rule summary)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.summary import session_summary

runlog.to_file(snakemake.log[0])
session_summary(
    snakemake.input.sessions, snakemake.input.face, snakemake.output.tsv, snakemake.output.html
)
