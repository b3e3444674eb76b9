# The labelling loop, step 1: frames to label. Not part of `rule all`: run
# `snakemake extract_frames`, label the frames in <project>/labeled-data/<session>/, then
# run the workflow.


rule extract_frames_session:
    input:
        video=get_video,
        record="results/discover/{session}.json",
    output:
        "results/pose/frames/{session}.tsv",
    log:
        logfile("pose/frames", "{session}"),
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(30),
    params:
        folder=get_label_folder,
        config=settings("pose.frames", "seed"),
    script:
        "../scripts/extract_frames.py"


rule extract_frames:
    input:
        per_session("results/pose/frames/{session}.tsv"),
