"""Write a session's raw and filtered pose tables as CSV or TSV (rule pose_export)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.dlc import read_pose_table, write_pose_table
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
for kind in ("raw", "filtered"):
    write_pose_table(read_pose_table(snakemake.input[kind]), snakemake.output[kind])
