"""Generate one demo session with ground truth (rule demo_session)."""

from pathlib import Path

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.synthetic import DemoSpec, write_session

runlog.to_file(snakemake.log[0])
out = snakemake.output
write_session(
    DemoSpec(**snakemake.params.spec),
    snakemake.params.index,
    snakemake.wildcards.session,
    {
        "video": Path(out.video),
        "face_video": Path(out.face_video),
        "pose": Path(out.pose),
        "states": Path(out.states),
        "face_truth": Path(out.face_truth),
        "labels_dir": Path(out.labels).parent,
    },
)
