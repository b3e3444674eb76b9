rule pose_filter:
    input:
        "results/pose/{session}.h5",
    output:
        "results/pose/{session}_filtered.h5",
    log:
        "logs/pose/filter/{session}.log",
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        pose={"filter": POSE["filter"]},
    script:
        "../scripts/pose_filter.py"
