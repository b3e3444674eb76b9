rule face_svd:
    input:
        video=get_face_video,
        record="results/discover/{session}.json",
    output:
        h5="results/face/{session}.h5",
        # the figure is made in the same job: one job less per session keeps planning
        # 1,000 sessions fast (benchmarks/planning.py)
        png=report(
            "results/face/{session}.png",
            caption="../report/face.rst",
            category="Face motion",
            labels={"session": "{session}"},
        ),
    log:
        "logs/face/{session}.log",
    benchmark:
        "logs/benchmarks/face/{session}.tsv"
    conda:
        "../envs/core.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        face={k: v for k, v in config["face"].items() if k != "enabled"},
    script:
        "../scripts/face_svd.py"


if DEMO:

    rule face_demo_check:
        input:
            face=expand("results/face/{session}.h5", session=sorted(SESSIONS)),
            truth=expand(
                f"{DEMO_DIR}/truth/{{session}}_face.csv", session=sorted(SESSIONS)
            ),
        output:
            report(
                "results/face/demo_check.tsv",
                caption="../report/face_demo_check.rst",
                category="Face motion",
            ),
        log:
            "logs/face/demo_check.log",
        conda:
            "../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        script:
            "../scripts/face_demo_check.py"
