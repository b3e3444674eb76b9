"""The motif views over all sessions: transitions, community tree, average poses, latent
space and the motif table (rule segment_views)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.behaviour.views import motif_views
from ethoflow.io.logging import to_file
from ethoflow.sessions.discover import read_record

to_file(snakemake.log[0])
i, out = snakemake.input, snakemake.output
motif_views(list(i.segments), list(i.series), i.model,
            {k: out[k] for k in ("transitions", "communities", "poses", "latents", "table")},
            snakemake.params.config, read_record(i.record)["video"]["fps"],
            calibration_yaml=i.calibration[0] if i.calibration else None)
