# The cross-session summary table of the report.


rule summary:
    input:
        sessions="results/discover/sessions.tsv",
        face=get_face_outputs,
        pose=get_pose_tables,
        segment=get_segment_tables,
        evaluation=get_evaluation_table,
        calibration=get_calibration_file,
    output:
        tsv="results/summary.tsv",
        html=report(
            "results/summary.html",
            caption="../report/summary.rst",
            category="Summary",
        ),
    log:
        logfile("report", "summary"),
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(10),
    params:
        config=settings("pose.evaluate.pcutoff"),
    script:
        "../scripts/summary.py"
