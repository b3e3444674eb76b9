"""Train the RNN-VAE on the sessions' pose tables (rule embed_train)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.behaviour.vae import train_embedding
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
p, out = snakemake.params, snakemake.output
train_embedding(dict(zip(p.sessions, snakemake.input)), out.model, out.stats, out.loss, p.config,
                threads=snakemake.threads)
