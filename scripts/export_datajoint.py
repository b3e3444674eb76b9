"""One session's results into the DataJoint database (rule export_datajoint)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.datajoint import export_session
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
export_session(
    snakemake.wildcards.session,
    dict(snakemake.input.items()),
    snakemake.output[0],
    snakemake.params.config,
    snakemake.params.metadata,
)
