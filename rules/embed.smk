# Latent behaviour embeddings (VAME-equivalent). Both rules are GPU rules: on SLURM the
# profile sends them to the GPU partition; locally they use CUDA when present
# (embed.model.device: auto) and the CPU otherwise.


rule embed_train:
    input:
        get_embed_train_poses,
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
        logfile("embed", "train"),
    benchmark:
        benchfile("embed", "train")
    conda:
        "../envs/embed.yaml"
    threads: 2
    resources:
        mem_mb=scaled(16000),
        runtime=scaled(720),
        gpu=1,
    params:
        sessions=get_embed_train_sessions,
        config=settings(*EMBED_SETTINGS, "seed"),
    script:
        "../scripts/embed_train.py"


rule embed_session:
    input:
        model="results/embed/model.pt",
        pose=EMBED_POSE,
    output:
        "results/embed/{session}.h5",
    log:
        logfile("embed", "{session}"),
    benchmark:
        benchfile("embed", "{session}")
    conda:
        "../envs/embed.yaml"
    threads: 2
    resources:
        mem_mb=scaled(4000),
        runtime=scaled(60),
        gpu=1,
    params:
        config=settings(*EMBED_SETTINGS),
    script:
        "../scripts/embed_session.py"
