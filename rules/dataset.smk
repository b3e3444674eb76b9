# Labels: a check figure per labelled folder, and the training dataset of each shuffle.


rule check_labels:
    input:
        get_labels_file,
    output:
        report(
            "results/pose/labels/{folder}.png",
            caption="../report/labels.rst",
            category="Pose labels",
            labels={"folder": "{folder}"},
        ),
    log:
        logfile("pose/labels", "{folder}"),
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(10),
    params:
        project=POSE_PROJECT,
        config=settings("pose.bodyparts"),
    script:
        "../scripts/check_labels.py"


rule pose_dataset:
    input:
        get_all_label_files,
    output:
        f"{SHUFFLE_DIR}/dataset.json",
    log:
        logfile(f"pose/{ITERATION}", "shuffle{shuffle}_dataset"),
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(10),
    params:
        project=POSE_PROJECT,
        config=settings("pose.bodyparts", "pose.dataset", "seed"),
    script:
        "../scripts/pose_dataset.py"
