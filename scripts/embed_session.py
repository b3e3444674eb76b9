"""One session's latent vectors (rule embed_session)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.behaviour import embed_session

runlog.to_file(snakemake.log[0])
i = snakemake.input
embed_session(i.model, i.pose, snakemake.output[0], snakemake.params.embed,
              snakemake.wildcards.session, threads=snakemake.threads)
