"""Train the RNN-VAE on the sessions' pose tables (rule embed_train)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.behaviour import train_embedding

runlog.to_file(snakemake.log[0])
p, out = snakemake.params, snakemake.output
train_embedding(dict(zip(p.sessions, snakemake.input)), out.model, out.stats, out.loss, p.embed,
                p.seed, threads=snakemake.threads)
