rule summary:
    input:
        sessions="results/discover/sessions.tsv",
        face=get_face_outputs,
    output:
        tsv="results/summary.tsv",
        html=report(
            "results/summary.html",
            caption="../report/summary.rst",
            category="Summary",
        ),
    log:
        "logs/report/summary.log",
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/summary.py"
