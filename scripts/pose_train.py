"""Train the pose network of one shuffle (rule pose_train)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.pose.training import train_shuffle

to_file(snakemake.log[0])
p, out = snakemake.params, snakemake.output
train_shuffle(snakemake.input[0], p.project, out.model, out.stats, out.loss, p.config,
              threads=snakemake.threads)
