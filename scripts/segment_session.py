"""One session's motif labels and usage (rule segment_session)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.behaviour import segment_session

runlog.to_file(snakemake.log[0])
i, p = snakemake.input, snakemake.params
segment_session(i.embedding, snakemake.output[0], p.segment, p.seed, snakemake.wildcards.session,
                model_h5=i.model[0] if i.model else None)
