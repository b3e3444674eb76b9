rule check_labels:
    input:
        lambda wildcards: LABEL_FILES[wildcards.folder],
    output:
        report(
            "results/pose/labels/{folder}.png",
            caption="../report/labels.rst",
            category="Pose labels",
            labels={"folder": "{folder}"},
        ),
    log:
        "logs/pose/labels/{folder}.log",
    group:
        "plots"
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        project=POSE_PROJECT,
        bodyparts=POSE["bodyparts"],
    script:
        "../scripts/check_labels.py"


rule pose_dataset:
    input:
        lambda wildcards: [LABEL_FILES[f] for f in sorted(LABEL_FILES)],
    output:
        f"{POSE_DIR}/shuffle{{shuffle}}/dataset.json",
    log:
        f"logs/pose/iteration-{POSE['dataset']['iteration']}/shuffle{{shuffle}}_dataset.log",
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        project=POSE_PROJECT,
        pose={k: POSE[k] for k in ("bodyparts", "dataset")},
        seed=config["seed"],
    script:
        "../scripts/pose_dataset.py"
