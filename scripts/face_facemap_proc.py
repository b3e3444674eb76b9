"""One session's face results as Facemap's _proc.npy (rule face_facemap_proc)."""

# `snakemake` is injected by Snakemake's script preamble
snakemake = globals()["snakemake"]

from ethoflow.face.facemap_proc import write_facemap_proc
from ethoflow.io.logging import to_file
from ethoflow.sessions.discover import video_info

to_file(snakemake.log[0])
i = snakemake.input
info = video_info(i.record, i.video, key="face_video")
write_facemap_proc(i.h5, i.video, info["height"], info["width"], snakemake.output[0])
