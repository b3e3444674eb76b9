"""Train and test errors of one shuffle's network (rule pose_evaluate)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.network import evaluate_shuffle

runlog.to_file(snakemake.log[0])
i, p = snakemake.input, snakemake.params
evaluate_shuffle(i.model, i.dataset, p.project, snakemake.output.csv, snakemake.output.png, p.pose)
