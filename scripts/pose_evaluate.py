"""Train and test errors of one shuffle's network (rule pose_evaluate)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.pose.evaluation import evaluate_shuffle

to_file(snakemake.log[0])
i, p, out = snakemake.input, snakemake.params, snakemake.output
evaluate_shuffle(i.model, i.dataset, p.project, out.csv, out.png, p.config)
