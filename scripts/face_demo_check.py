"""Compare the demo's face-motion components with the generator's oscillations."""

from snakemake.script import snakemake

from ethoflow import runlog
from ethoflow.face import check_against_truth

runlog.to_file(snakemake.log[0])
check_against_truth(snakemake.input.face, snakemake.input.truth, snakemake.output[0])
