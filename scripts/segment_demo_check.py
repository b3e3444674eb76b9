"""The demo's motifs against the generator's hidden states (rule segment_demo_check)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.behaviour import check_motifs

runlog.to_file(snakemake.log[0])
check_motifs(list(snakemake.input.segment), list(snakemake.input.states), snakemake.output[0])
