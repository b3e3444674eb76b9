"""The demo's pose against the generator's true keypoints (rule pose_demo_check)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.demo.checks import check_pose
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
i, p = snakemake.input, snakemake.params
check_pose(list(i.pose), list(i.truth), p.sessions, snakemake.output[0], i.dataset,
           p.config["pose"]["evaluate"]["pcutoff"])
