"""One session's existing pose table, checked, as its raw pose table (rule pose_import)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.pose.tracks import import_session

to_file(snakemake.log[0])
i = snakemake.input
import_session(i.tracks, i.video, i.record, snakemake.output[0], snakemake.params.config)
