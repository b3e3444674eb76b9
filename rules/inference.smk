# "Analyze videos": a GPU rule like training (CUDA when present, else CPU).


rule pose_infer:
    input:
        model=INFERENCE_MODEL,
        video=lambda wildcards: SESSIONS[wildcards.session].video,
        record="results/discover/{session}.json",
    output:
        "results/pose/{session}.h5",
    log:
        "logs/pose/inference/{session}.log",
    benchmark:
        "logs/benchmarks/pose/inference/{session}.tsv"
    wildcard_constraints:
        # results/pose/<session>_filtered.h5 is pose_filter's
        session=f"(?![^/]*_filtered\\.h5$){NAME_PATTERN}",
    conda:
        "../envs/pose.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=1,
    params:
        pose={k: POSE[k] for k in ("dataset", "train", "inference")},
    script:
        "../scripts/pose_infer.py"


rule pose_export:
    input:
        "results/pose/{session}.h5",
    output:
        "results/pose/{session}.{fmt}",
    log:
        "logs/pose/inference/{session}_{fmt}.log",
    group:
        "plots"
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/pose_export.py"
