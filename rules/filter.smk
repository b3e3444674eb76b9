# DLC's filterpredictions: the _filtered pose table of each session (swapped bodyparts traded
# back first), and DLC's analyzeskeleton on it.


rule pose_filter:
    input:
        pose="results/pose/{session}.h5",
        # the method calibrated smooths with the calibration's error model
        calibration=(
            get_calibration_file if POSE["filter"]["method"] == "calibrated" else []
        ),
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


# DLC's analyzeskeleton: length, orientation and likelihood of every bone, per frame.
rule pose_skeleton:
    input:
        "results/pose/{session}_filtered.h5",
    output:
        "results/pose/skeleton/{session}.csv",
    log:
        logfile("pose/skeleton", "{session}"),
    group:
        "pose_post"
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(10),
    params:
        config=settings("pose.skeleton"),
    script:
        "../scripts/pose_skeleton.py"
