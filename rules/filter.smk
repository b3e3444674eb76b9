# DLC's filterpredictions: the _filtered pose table of each session.


rule pose_filter:
    input:
        "results/pose/{session}.h5",
    output:
        "results/pose/{session}_filtered.h5",
    log:
        logfile("pose/filter", "{session}"),
    group:
        "pose_post"
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(20),
    params:
        config=settings("pose.filter"),
    script:
        "../scripts/pose_filter.py"
