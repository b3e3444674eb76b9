"""The cross-session summary table (rule summary)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.report.summary import session_summary

to_file(snakemake.log[0])
i = snakemake.input
session_summary(
    i.sessions, i.face, snakemake.output.tsv, snakemake.output.html, pose_h5s=i.pose,
    evaluation_csv=i.evaluation[0] if i.evaluation else None,
    pcutoff=snakemake.params.config["pose"]["evaluate"]["pcutoff"], segment_h5s=i.segment,
    calibration_yaml=i.calibration[0] if i.calibration else None,
)
