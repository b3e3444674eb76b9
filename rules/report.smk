rule summary:
    input:
        sessions="results/discover/sessions.tsv",
        face=get_face_outputs,
        pose=get_pose_tables,
        segment=get_segment_tables,
        evaluation=lambda wildcards: (
            [f"{POSE_DIR}/shuffle{POSE['inference']['shuffle']}/evaluation.csv"]
            if get_pose_tables(wildcards)
            else []
        ),
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
    params:
        pcutoff=POSE["evaluate"]["pcutoff"],
    script:
        "../scripts/summary.py"


rule pose_plot:
    input:
        pose="results/pose/{session}.h5",
        record="results/discover/{session}.json",
    output:
        report(
            "results/pose/plots/{session}.png",
            caption="../report/trajectories.rst",
            category="Pose sessions",
            subcategory="trajectories",
            labels={"session": "{session}"},
        ),
    log:
        "logs/pose/plots/{session}.log",
    group:
        "plots"
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        pose={"evaluate": POSE["evaluate"]},
    script:
        "../scripts/pose_plot.py"


rule pose_video:
    input:
        video=lambda wildcards: SESSIONS[wildcards.session].video,
        pose="results/pose/{session}.h5",
    output:
        report(
            "results/pose/videos/{session}_labeled.mp4",
            caption="../report/labeled_video.rst",
            category="Pose sessions",
            subcategory="labelled videos",
            labels={"session": "{session}"},
        ),
    log:
        "logs/pose/videos/{session}.log",
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        pose={k: POSE[k] for k in ("skeleton", "evaluate", "video")},
    script:
        "../scripts/pose_video.py"
