"""The skeleton table (bone lengths and orientations) of one session (rule pose_skeleton)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.io.logging import to_file
from ethoflow.pose.skeleton import skeleton_session

to_file(snakemake.log[0])
skeleton_session(snakemake.input[0], snakemake.output[0], snakemake.params.config)
