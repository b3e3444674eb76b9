"""Face-motion SVD of one session, and its figure (rule face_svd)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.face.plots import plot_face
from ethoflow.face.svd import process_session
from ethoflow.io.logging import to_file

to_file(snakemake.log[0])
out = snakemake.output
process_session(
    snakemake.input.video,
    snakemake.input.record,
    out.h5,
    snakemake.params.config,
    session=snakemake.wildcards.session,
    tmpdir=snakemake.resources.get("tmpdir"),
    threads=snakemake.threads,
)
plot_face(out.h5, out.png, title=snakemake.wildcards.session)
