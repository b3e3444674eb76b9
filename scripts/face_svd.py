"""Face-motion SVD of one session (rule face_svd)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.face import process_session

runlog.to_file(snakemake.log[0])
process_session(
    snakemake.input.video,
    snakemake.input.record,
    snakemake.output[0],
    snakemake.params.face,
    session=snakemake.wildcards.session,
    tmpdir=snakemake.resources.get("tmpdir"),
    threads=snakemake.threads,
)
