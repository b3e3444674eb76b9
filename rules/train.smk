# A GPU rule: on SLURM the profile sends it to the GPU partition; locally it uses CUDA when
# present (train.device: auto) and the CPU otherwise. Snapshots stay in shuffle<N>/train/,
# so an interrupted run resumes from the last one.


rule pose_train:
    input:
        f"{SHUFFLE_DIR}/dataset.json",
    output:
        model=f"{SHUFFLE_DIR}/model.pt",
        stats=f"{SHUFFLE_DIR}/learning_stats.csv",
        loss=report(
            f"{SHUFFLE_DIR}/loss.png",
            caption="../report/loss.rst",
            category="Pose training",
            labels={"shuffle": "{shuffle}", "figure": "loss"},
        ),
    log:
        logfile(f"pose/{ITERATION}", "shuffle{shuffle}_train"),
    benchmark:
        benchfile(f"pose/{ITERATION}", "shuffle{shuffle}_train")
    conda:
        "../envs/pose.yaml"
    threads: 4  # data augmentation runs on the CPU
    resources:
        mem_mb=scaled(16000),
        runtime=scaled(720),
        gpu=1,
    params:
        project=POSE_PROJECT,
        config=settings("pose.bodyparts", "pose.flip_pairs", "pose.train", "seed"),
    script:
        "../scripts/pose_train.py"
