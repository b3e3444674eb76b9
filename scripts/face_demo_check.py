"""Compare the demo's face-motion components with the generator's oscillations."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.demo.checks import check_face
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
check_face(snakemake.input.face, snakemake.input.truth, snakemake.output[0])
