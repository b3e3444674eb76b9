# Behavioural motifs (VAME segment_session): one model fitted on all sessions' latent
# vectors (scope: shared), or one per session (scope: individual).


rule segment_fit:
    input:
        lambda wildcards: expand(
            "results/embed/{session}.h5", session=get_embed_train_poses(wildcards)
        ),
    output:
        f"{SEGMENT_DIR}_model.h5",
    log:
        f"logs/segment/{SEGMENT['method']}-{SEGMENT['n_clusters']}_fit.log",
    benchmark:
        f"logs/benchmarks/segment/{SEGMENT['method']}-{SEGMENT['n_clusters']}_fit.tsv"
    conda:
        "../envs/embed.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        segment=SEGMENT_PARAMS,
        seed=config["seed"],
    script:
        "../scripts/segment_fit.py"


rule segment_session:
    input:
        embedding="results/embed/{session}.h5",
        model=[f"{SEGMENT_DIR}_model.h5"] if SEGMENT["scope"] == "shared" else [],
        record="results/discover/{session}.json",
    output:
        h5=f"{SEGMENT_DIR}/{{session}}.h5",
        # the figure is made here, not by a grouped plot rule: a grouped job downstream of
        # segment_fit makes Snakemake's group checks quadratic in the number of sessions
        png=report(
            f"{SEGMENT_DIR}/plots/{{session}}.png",
            caption="../report/motifs.rst",
            category="Behaviour motifs",
            subcategory="sessions",
            labels={"session": "{session}"},
        ),
    log:
        f"logs/segment/{SEGMENT['method']}-{SEGMENT['n_clusters']}/{{session}}.log",
    conda:
        "../envs/embed.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        segment=SEGMENT_PARAMS,
        seed=config["seed"],
    script:
        "../scripts/segment_session.py"


rule segment_usage:
    input:
        get_segment_tables,
    output:
        report(
            f"{SEGMENT_DIR}/usage.png",
            caption="../report/motif_usage.rst",
            category="Behaviour motifs",
            subcategory="all sessions",
            labels={"figure": "motif usage"},
        ),
    log:
        f"logs/segment/{SEGMENT['method']}-{SEGMENT['n_clusters']}_usage.log",
    conda:
        "../envs/embed.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/segment_usage.py"


if DEMO:

    rule segment_demo_check:
        input:
            segment=get_segment_tables,
            states=lambda wildcards: expand(
                f"{DEMO_DIR}/truth/{{session}}_states.csv", session=included_sessions()
            ),
        output:
            report(
                f"{SEGMENT_DIR}/demo_check.tsv",
                caption="../report/motifs_demo_check.rst",
                category="Behaviour motifs",
                subcategory="all sessions",
                labels={"figure": "demo: motifs against the hidden states"},
            ),
        log:
            f"logs/segment/{SEGMENT['method']}-{SEGMENT['n_clusters']}_demo_check.log",
        conda:
            "../envs/embed.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        script:
            "../scripts/segment_demo_check.py"


# VAME's .npy files per session, for users who go on in VAME (segment.vame_files: true)
rule segment_export_vame:
    input:
        segment=f"{SEGMENT_DIR}/{{session}}.h5",
        embedding="results/embed/{session}.h5",
    output:
        [
            f"{SEGMENT_DIR}/vame/{{session}}/{name}"
            for name in vame_names(
                "{session}", SEGMENT["method"], SEGMENT["n_clusters"]
            )
        ],
    log:
        f"logs/segment/{SEGMENT['method']}-{SEGMENT['n_clusters']}/{{session}}_vame.log",
    conda:
        "../envs/embed.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/segment_export_vame.py"
