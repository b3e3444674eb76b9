"""Compare the demo's face-motion components with the generator's oscillations."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.synthetic import check_face

runlog.to_file(snakemake.log[0])
check_face(snakemake.input.face, snakemake.input.truth, snakemake.output[0])
