"""The demo's motifs against the generator's hidden states (rule segment_demo_check)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.demo.checks import check_motifs
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
check_motifs(list(snakemake.input.segment), list(snakemake.input.states), snakemake.output[0])
