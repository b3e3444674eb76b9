# A GPU rule: on SLURM the profile sends it to the GPU partition; locally it uses
# CUDA when present (train.device: auto) and the CPU otherwise. Snapshots stay in
# shuffle<N>/train/, so an interrupted run resumes from the last one.


rule pose_train:
    input:
        f"{POSE_DIR}/shuffle{{shuffle}}/dataset.json",
    output:
        model=f"{POSE_DIR}/shuffle{{shuffle}}/model.pt",
        stats=f"{POSE_DIR}/shuffle{{shuffle}}/learning_stats.csv",
        loss=report(
            f"{POSE_DIR}/shuffle{{shuffle}}/loss.png",
            caption="../report/loss.rst",
            category="Pose training",
            labels={"shuffle": "{shuffle}", "figure": "loss"},
        ),
    log:
        f"logs/pose/iteration-{POSE['dataset']['iteration']}/shuffle{{shuffle}}_train.log",
    benchmark:
        f"logs/benchmarks/pose/iteration-{POSE['dataset']['iteration']}/shuffle{{shuffle}}_train.tsv"
    conda:
        "../envs/pose.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=720,
        gpu=1,
    params:
        project=POSE_PROJECT,
        pose={k: POSE[k] for k in ("bodyparts", "flip_pairs", "train")},
        seed=config["seed"],
    script:
        "../scripts/pose_train.py"
