"""Generate one demo session with ground truth (rule demo_session)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from pathlib import Path

from ethoflow.demo.simulate import DemoSpec, write_session
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
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
