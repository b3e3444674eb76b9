"""The annotated points of the error calibration (rule calibration_points)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.calibration.annotations import calibration_points
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
i, p = snakemake.input, snakemake.params
calibration_points(
    snakemake.output[0], p.config, i.pose, p.sessions, i.sessions, samples_tsv=i.get("samples"),
    annotations=i.get("annotations"), shuffles=list(zip(i.get("models", []), i.get("datasets", []))),
    project=p.project, machine_h5s=i.get("machine", []),
    truths=dict(zip(p.sessions, i.truth)) if i.get("truth") else None,
)
