"""Train the pose network of one shuffle (rule pose_train)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.network import train_shuffle

runlog.to_file(snakemake.log[0])
p, out = snakemake.params, snakemake.output
train_shuffle(snakemake.input[0], p.project, out.model, out.stats, out.loss, p.pose, p.seed,
              threads=snakemake.threads)
