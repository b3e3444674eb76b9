rule pose_evaluate:
    input:
        model=f"{POSE_DIR}/shuffle{{shuffle}}/model.pt",
        dataset=f"{POSE_DIR}/shuffle{{shuffle}}/dataset.json",
    output:
        csv=report(
            f"{POSE_DIR}/shuffle{{shuffle}}/evaluation.csv",
            caption="../report/evaluation.rst",
            category="Pose training",
            labels={"shuffle": "{shuffle}", "figure": "errors (table)"},
        ),
        png=report(
            f"{POSE_DIR}/shuffle{{shuffle}}/evaluation.png",
            caption="../report/evaluation.rst",
            category="Pose training",
            labels={"shuffle": "{shuffle}", "figure": "test predictions"},
        ),
    log:
        f"logs/pose/iteration-{POSE['dataset']['iteration']}/shuffle{{shuffle}}_evaluate.log",
    conda:
        "../envs/pose.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        project=POSE_PROJECT,
        pose={k: POSE[k] for k in ("evaluate", "train")},
    script:
        "../scripts/pose_evaluate.py"


if DEMO:

    rule pose_demo_check:
        input:
            pose=lambda wildcards: expand(
                "results/pose/{session}.h5", session=included_sessions()
            ),
            truth=lambda wildcards: expand(
                f"{DEMO_DIR}/truth/{{session}}_pose.h5", session=included_sessions()
            ),
            dataset=f"{POSE_DIR}/shuffle{POSE['inference']['shuffle']}/dataset.json",
        output:
            report(
                "results/pose/demo_check.tsv",
                caption="../report/pose_demo_check.rst",
                category="Pose training",
                labels={"figure": "demo: error against the truth"},
            ),
        log:
            "logs/pose/demo_check.log",
        conda:
            "../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            sessions=lambda wildcards: included_sessions(),
            pcutoff=POSE["evaluate"]["pcutoff"],
        script:
            "../scripts/pose_demo_check.py"
