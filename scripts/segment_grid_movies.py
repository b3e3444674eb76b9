"""One grid movie per motif, from every session (rule segment_grid_movies)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.behaviour.views import grid_movies
from ethoflow.io.logging import to_file
from ethoflow.sessions.discover import read_record

to_file(snakemake.log[0])
i, p = snakemake.input, snakemake.params
grid_movies(list(i.segments), list(i.poses), list(i.videos), list(p.sessions), list(snakemake.output),
            p.config, read_record(i.record)["video"]["fps"])
