"""One session's latent vectors (rule embed_session)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.behaviour.vae import embed_session
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
i = snakemake.input
embed_session(i.model, i.pose, snakemake.output[0], snakemake.params.config,
              snakemake.wildcards.session, threads=snakemake.threads)
