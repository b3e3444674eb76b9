"""Fit the motif model shared by all sessions (rule segment_fit)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.behaviour.motifs import fit_motifs
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
i = snakemake.input
fit_motifs(list(i.series), snakemake.output[0], snakemake.params.config,
           calibration_yaml=i.calibration[0] if i.calibration else None)
