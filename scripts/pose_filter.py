"""Filter one session's pose table (rule pose_filter)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.pose.filtering import filter_session

to_file(snakemake.log[0])
i = snakemake.input
filter_session(i.pose, snakemake.output[0], snakemake.params.config,
               calibration=i.calibration[0] if i.calibration else None)
