# Stage 1: what each session's videos are, by decoding them; the sessions table is a
# checkpoint, so that later stages skip the sessions discovery excluded.


rule discover_video:
    input:
        get_session_videos,
    output:
        "results/discover/{session}.json",
    log:
        logfile("discover", "{session}"),
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(500),
        runtime=scaled(30),
    params:
        session=get_session,
        config=settings("discover.on_bad_video", "discover.frame_count_tolerance"),
    script:
        "../scripts/discover_video.py"


checkpoint discover_sessions:
    input:
        expand("results/discover/{session}.json", session=sorted(SESSIONS)),
    output:
        table="results/discover/sessions.tsv",
    log:
        logfile("discover", "sessions"),
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(500),
        runtime=scaled(10),
    script:
        "../scripts/discover_sessions.py"
