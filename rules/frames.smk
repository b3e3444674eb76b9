# The labelling loop: frames to label, and outlier frames to relabel. Neither is
# part of `rule all`: run `snakemake extract_frames` (or `pose_outliers`), label
# the frames in <project>/labeled-data/<session>/, then run the workflow.


rule extract_frames_session:
    input:
        video=lambda wildcards: SESSIONS[wildcards.session].video,
        record="results/discover/{session}.json",
    output:
        "results/pose/frames/{session}.tsv",
    log:
        "logs/pose/frames/{session}.log",
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        folder=lambda wildcards: f"{POSE_PROJECT}/labeled-data/{wildcards.session}",
        pose=POSE,
        seed=config["seed"],
    script:
        "../scripts/extract_frames.py"


rule extract_frames:
    input:
        lambda wildcards: expand(
            "results/pose/frames/{session}.tsv", session=included_sessions()
        ),


rule pose_outliers_session:
    input:
        video=lambda wildcards: SESSIONS[wildcards.session].video,
        pose="results/pose/{session}.h5",
    output:
        f"{POSE_DIR}/outliers/{{session}}.tsv",
    log:
        f"logs/pose/outliers/iteration-{POSE['dataset']['iteration']}/{{session}}.log",
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        folder=lambda wildcards: f"{POSE_PROJECT}/labeled-data/{wildcards.session}",
        project=POSE_PROJECT,
        pose=POSE,
        seed=config["seed"],
    script:
        "../scripts/pose_outliers.py"


rule pose_outliers:
    input:
        lambda wildcards: expand(
            f"{POSE_DIR}/outliers/{{session}}.tsv", session=included_sessions()
        ),
