"""One session's motif labels and usage, its figure and, with segment.vame_files, VAME's
files (rule segment_session)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.behaviour.io import export_vame
from ethoflow.behaviour.motifs import segment_session
from ethoflow.behaviour.plots import plot_session_motifs
from ethoflow.io.logging import to_file
from ethoflow.sessions.discover import read_record

to_file(snakemake.log[0])
i, p, out = snakemake.input, snakemake.params, snakemake.output
session = snakemake.wildcards.session
calibration = i.calibration[0] if i.calibration else None
_, latents = segment_session(i.series, out.h5, p.config, session,
                             model_h5=i.model[0] if i.model else None, calibration_yaml=calibration)
plot_session_motifs(out.h5, latents, out.png, read_record(i.record)["video"]["fps"], session)
if out.vame:
    export_vame(out.h5, latents, list(out.vame))
