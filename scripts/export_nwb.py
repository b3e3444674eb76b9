"""One session's results as an NWB file (rule export_nwb)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.export.nwb import export_session
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
export_session(
    snakemake.wildcards.session,
    dict(snakemake.input.items()),
    snakemake.output[0],
    snakemake.params.config,
    snakemake.params.metadata,
)
