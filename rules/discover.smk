rule discover_video:
    input:
        get_session_videos,
    output:
        "results/discover/{session}.json",
    log:
        "logs/discover/{session}.log",
    group:
        "discover"
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    params:
        on_bad_video=config["discover"]["on_bad_video"],
        frame_count_tolerance=config["discover"]["frame_count_tolerance"],
        session=lambda wildcards: SESSIONS[wildcards.session],
    script:
        "../scripts/discover_video.py"


checkpoint discover_sessions:
    input:
        expand("results/discover/{session}.json", session=sorted(SESSIONS)),
    output:
        table="results/discover/sessions.tsv",
    log:
        "logs/discover/sessions.log",
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    script:
        "../scripts/discover_sessions.py"
