"""One session's motif labels and usage, and its figure (rule segment_session)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.behaviour import plot_session_motifs, segment_session
from ethoflow.discover import read_record

runlog.to_file(snakemake.log[0])
i, p, out = snakemake.input, snakemake.params, snakemake.output
session = snakemake.wildcards.session
segment_session(i.embedding, out.h5, p.segment, p.seed, session, model_h5=i.model[0] if i.model else None)
plot_session_motifs(out.h5, i.embedding, out.png, read_record(i.record)["video"]["fps"], session)
