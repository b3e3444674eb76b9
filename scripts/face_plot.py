"""Plot a session's leading face-motion components and motion energy (rule face_plot)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow import runlog
from ethoflow.plots import plot_face

runlog.to_file(snakemake.log[0])
plot_face(snakemake.input[0], snakemake.output[0], title=snakemake.wildcards.session)
