# The labelling loop, step 4: outlier frames to relabel, next to the existing labels. Not
# part of `rule all`: run `snakemake pose_outliers`.


rule pose_outliers_session:
    input:
        video=get_video,
        pose="results/pose/{session}.h5",
    output:
        f"{POSE_DIR}/outliers/{{session}}.tsv",
    log:
        logfile(f"pose/outliers/{ITERATION}", "{session}"),
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(30),
    params:
        folder=get_label_folder,
        project=POSE_PROJECT,
        config=settings(
            "pose.outliers", "pose.filter.process_sd", "pose.dataset.iteration", "seed"
        ),
    script:
        "../scripts/pose_outliers.py"


rule pose_outliers:
    input:
        per_session(f"{POSE_DIR}/outliers/{{session}}.tsv"),
