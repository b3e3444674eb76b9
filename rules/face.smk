# Facemap-equivalent motion energy, motion SVD and movie SVD of each session's face video.


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
        logfile("face", "{session}"),
    benchmark:
        benchfile("face", "{session}")
    conda:
        "../envs/core.yaml"
    threads: 2
    resources:
        mem_mb=scaled(4000),
        runtime=scaled(120),
    params:
        config=settings(
            *(
                f"face.{k}"
                for k in config["face"]
                if k not in ("enabled", "facemap_proc")
            )
        ),
    script:
        "../scripts/face_svd.py"


rule face_facemap_proc:
    input:
        h5="results/face/{session}.h5",
        video=get_face_video,
        record="results/discover/{session}.json",
    output:
        "results/face/{session}_proc.npy",
    log:
        logfile("face", "{session}_proc"),
    conda:
        "../envs/core.yaml"
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(10),
    script:
        "../scripts/face_facemap_proc.py"
