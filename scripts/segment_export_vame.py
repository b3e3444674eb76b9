"""One session's latent vectors and motifs as VAME's .npy files (rule segment_export_vame)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.behaviour import export_vame

runlog.to_file(snakemake.log[0])
export_vame(snakemake.input.segment, snakemake.input.embedding, list(snakemake.output))
