"""Find and extract one session's outlier frames for relabelling (rule pose_outliers_session)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.pose.outliers import outliers_session

to_file(snakemake.log[0])
i, p = snakemake.input, snakemake.params
outliers_session(i.video, i.pose, p.folder, p.project, snakemake.output[0], p.config)
