"""Fit the error model of the calibration (rule calibration_fit)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.calibration.fit import calibration_fit
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
o = snakemake.output
calibration_fit(snakemake.input[0], o.yaml, o.patch, o.png, snakemake.params.config)
