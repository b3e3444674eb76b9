"""Plot one session's motifs (rule segment_plot)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.behaviour import plot_session_motifs
from ethoflow.discover import read_record

runlog.to_file(snakemake.log[0])
i = snakemake.input
fps = read_record(i.record)["video"]["fps"]
plot_session_motifs(i.segment, i.embedding, snakemake.output[0], fps, snakemake.wildcards.session)
