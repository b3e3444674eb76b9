"""The demo's filters, calibrated smoother and error model against the truth (rule calibration_demo_check)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.demo.checks import check_calibration
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
i, o, p = snakemake.input, snakemake.output, snakemake.params
check_calibration(list(i.pose), list(i.calibrated), list(i.truth), p.sessions, i.calibration, o.tsv, o.fit,
                  p.config["pose"]["filter"])
