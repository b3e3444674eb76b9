# "Analyze videos": each session's video through the network into a DLC pose table (a GPU
# rule like training: CUDA when present, else CPU) -- or the lab's existing tables, checked
# and copied (pose.tracks) -- and what is made from the table: other
# formats, trajectory plots (with the filtered table, these and filtering make one cluster
# job per session: group pose_post), the labelled video.


if POSE_TRACKS:

    # the lab's own pose tables (pose.tracks or the sample sheet's pose column) in place of
    # the network's analysis: checked and copied, nothing trained
    rule pose_import:
        input:
            tracks=get_tracks_file,
            video=get_video,
            record="results/discover/{session}.json",
        output:
            "results/pose/{session}.h5",
        log:
            logfile("pose/import", "{session}"),
        wildcard_constraints:
            session=NOT_FILTERED,
        conda:
            "../envs/interop.yaml"
        threads: 1
        resources:
            mem_mb=scaled(2000),
            runtime=scaled(10),
        params:
            config=settings("pose.bodyparts", "discover.frame_count_tolerance"),
        script:
            "../scripts/pose_import.py"

else:

    rule pose_infer:
        input:
            model=f"{INFERENCE_SHUFFLE}/model.pt",
            video=get_video,
            record="results/discover/{session}.json",
        output:
            "results/pose/{session}.h5",
        log:
            logfile("pose/inference", "{session}"),
        benchmark:
            benchfile("pose/inference", "{session}")
        wildcard_constraints:
            # results/pose/<session>_filtered.h5 is pose_filter's
            session=NOT_FILTERED,
        conda:
            "../envs/pose.yaml"
        threads: 4  # video decoding runs on the CPU
        resources:
            mem_mb=scaled(8000),
            runtime=scaled(240),
            gpu=1,
        params:
            config=settings(
                "pose.inference.shuffle",
                "pose.inference.batch_size",
                "pose.inference.downsample",
                "pose.inference.likelihood",
                "pose.inference.flip_test",
                "pose.inference.device",
                "pose.dataset.iteration",
            ),
        script:
            "../scripts/pose_infer.py"


rule pose_export:
    input:
        raw="results/pose/{session}.h5",
        filtered="results/pose/{session}_filtered.h5",
    output:
        raw="results/pose/{session}.{fmt}",
        filtered="results/pose/{session}_filtered.{fmt}",
    log:
        logfile("pose/inference", "{session}_{fmt}"),
    wildcard_constraints:
        session=NOT_FILTERED,
    group:
        "pose_post"
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(10),
    script:
        "../scripts/pose_export.py"


rule pose_plot:
    input:
        pose="results/pose/{session}.h5",
        filtered="results/pose/{session}_filtered.h5",
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
        logfile("pose/plots", "{session}"),
    group:
        "pose_post"
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(10),
    params:
        config=settings("pose.evaluate.pcutoff"),
    script:
        "../scripts/pose_plot.py"


rule pose_video:
    input:
        video=get_video,
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
        logfile("pose/videos", "{session}"),
    conda:
        "../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(30),
    params:
        config=settings(
            "pose.skeleton",
            "pose.evaluate.pcutoff",
            "pose.video.trail",
            "pose.video.radius",
        ),
    script:
        "../scripts/pose_video.py"
