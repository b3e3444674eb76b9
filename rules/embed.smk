# Latent behaviour embeddings (VAME-equivalent). Both rules are GPU rules: on SLURM the
# profile sends them to the GPU partition; locally they use CUDA when present
# (embed.model.device: auto) and the CPU otherwise.


rule embed_train:
    input:
        lambda wildcards: list(get_embed_train_poses(wildcards).values()),
    output:
        model="results/embed/model.pt",
        stats="results/embed/learning_stats.csv",
        loss=report(
            "results/embed/loss.png",
            caption="../report/embed_loss.rst",
            category="Behaviour embedding",
            labels={"figure": "RNN-VAE loss"},
        ),
    log:
        "logs/embed/train.log",
    benchmark:
        "logs/benchmarks/embed/train.tsv"
    conda:
        "../envs/embed.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=720,
        gpu=1,
    params:
        sessions=lambda wildcards: list(get_embed_train_poses(wildcards)),
        embed=EMBED_PARAMS,
        seed=config["seed"],
    script:
        "../scripts/embed_train.py"


rule embed_session:
    input:
        model="results/embed/model.pt",
        pose=EMBED_POSE,
    output:
        "results/embed/{session}.h5",
    log:
        "logs/embed/{session}.log",
    benchmark:
        "logs/benchmarks/embed/{session}.tsv"
    conda:
        "../envs/embed.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=1,
    params:
        embed=EMBED_PARAMS,
    script:
        "../scripts/embed_session.py"
