# Train and test errors of each shuffle's network, as DLC's evaluate_network.


rule pose_evaluate:
    input:
        model=f"{SHUFFLE_DIR}/model.pt",
        dataset=f"{SHUFFLE_DIR}/dataset.json",
    output:
        csv=report(
            f"{SHUFFLE_DIR}/evaluation.csv",
            caption="../report/evaluation.rst",
            category="Pose training",
            labels={"shuffle": "{shuffle}", "figure": "errors (table)"},
        ),
        png=report(
            f"{SHUFFLE_DIR}/evaluation.png",
            caption="../report/evaluation.rst",
            category="Pose training",
            labels={"shuffle": "{shuffle}", "figure": "test predictions"},
        ),
    log:
        logfile(f"pose/{ITERATION}", "shuffle{shuffle}_evaluate"),
    conda:
        "../envs/pose.yaml"
    threads: 1
    resources:
        mem_mb=scaled(4000),
        runtime=scaled(30),
    params:
        project=POSE_PROJECT,
        config=settings(
            "pose.evaluate",
            "pose.inference.device",
            "pose.inference.likelihood",
            "pose.inference.flip_test",
        ),
    script:
        "../scripts/pose_evaluate.py"
