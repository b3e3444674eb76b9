"""One session's pose smoothed with the calibrated error model (rule calibration_smooth)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.calibration.smoother import calibrated_session
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
calibrated_session(snakemake.input.pose, snakemake.input.calibration, snakemake.output[0], snakemake.params.config)
