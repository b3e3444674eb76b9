"""Sample (session, frame, bodypart) triples for the error calibration (rule calibration_sample)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.calibration.sampling import calibration_sample
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
i = snakemake.input
calibration_sample(i.pose, snakemake.params.sessions, i.sessions, snakemake.output[0], snakemake.params.config)
