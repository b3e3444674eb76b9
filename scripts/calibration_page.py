"""Cut the sampled frames out and write the annotation page (rule calibration_page)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.calibration.page import annotation_page
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
i, o = snakemake.input, snakemake.output
annotation_page(i.samples, snakemake.params.sessions, i.videos, o.folder, o.html, snakemake.params.config)
