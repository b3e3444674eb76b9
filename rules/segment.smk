# Behavioural motifs (VAME segment_session): one model fitted on all sessions' latent
# vectors (scope: shared), or one per session (scope: individual); segment.method: arhmm
# fits keypoint-MoSeq's AR-HMM to the pose tables instead.


rule segment_fit:
    input:
        series=get_segment_fit_inputs,
        calibration=get_segment_calibration,
    output:
        f"{SEGMENT_DIR}_model.h5",
    log:
        logfile("segment", f"{MOTIFS}_fit"),
    benchmark:
        benchfile("segment", f"{MOTIFS}_fit")
    conda:
        "../envs/embed.yaml"
    threads: 2
    resources:
        mem_mb=scaled(16000),  # k-means/HMM/AR-HMM on up to segment.max_frames frames
        runtime=scaled(240),
    params:
        config=settings(*SEGMENT_SETTINGS, "seed"),
    script:
        "../scripts/segment_fit.py"


rule segment_session:
    input:
        series=SEGMENT_SERIES,
        model=[f"{SEGMENT_DIR}_model.h5"] if SEGMENT["scope"] == "shared" else [],
        calibration=get_segment_calibration,
        record="results/discover/{session}.json",
    output:
        h5=f"{SEGMENT_DIR}/{{session}}.h5",
        # the figure is made here, not by a grouped plot rule: a grouped job downstream of
        # segment_fit makes Snakemake's group checks quadratic in the number of sessions
        png=report(
            f"{SEGMENT_DIR}/plots/{{session}}.png",
            caption="../report/motifs.rst",
            category="Behaviour motifs",
            subcategory="sessions",
            labels={"session": "{session}"},
        ),
        # VAME's .npy files, for users who go on in VAME (segment.vame_files: true)
        vame=VAME_FILES,
    log:
        logfile(f"segment/{MOTIFS}", "{session}"),
    conda:
        "../envs/embed.yaml"
    threads: 1
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(30),
    params:
        config=settings(*SEGMENT_SETTINGS, "seed"),
    script:
        "../scripts/segment_session.py"


rule segment_usage:
    input:
        get_segment_tables,
    output:
        report(
            f"{SEGMENT_DIR}/usage.png",
            caption="../report/motif_usage.rst",
            category="Behaviour motifs",
            subcategory="all sessions",
            labels={"figure": "motif usage"},
        ),
    log:
        logfile("segment", f"{MOTIFS}_usage"),
    conda:
        "../envs/embed.yaml"
    threads: 1
    resources:
        mem_mb=scaled(1000),
        runtime=scaled(10),
    script:
        "../scripts/segment_usage.py"


if SEGMENT_VIEWS:

    # the views people name motifs with, over all sessions of the shared model
    rule segment_views:
        input:
            segments=get_segment_tables,
            series=get_segment_series_all,
            model=f"{SEGMENT_DIR}_model.h5",
            calibration=get_segment_calibration,
            record=get_first_record,
        output:
            transitions=report(
                f"{SEGMENT_DIR}/views/transitions.png",
                caption="../report/motif_views.rst",
                category="Behaviour motifs",
                subcategory="views",
                labels={"figure": "transitions"},
            ),
            communities=report(
                f"{SEGMENT_DIR}/views/communities.png",
                caption="../report/motif_views.rst",
                category="Behaviour motifs",
                subcategory="views",
                labels={"figure": "community tree"},
            ),
            poses=report(
                f"{SEGMENT_DIR}/views/poses.png",
                caption="../report/motif_views.rst",
                category="Behaviour motifs",
                subcategory="views",
                labels={"figure": "average pose per motif"},
            ),
            latents=report(
                f"{SEGMENT_DIR}/views/latents.png",
                caption="../report/motif_views.rst",
                category="Behaviour motifs",
                subcategory="views",
                labels={"figure": "latent space by motif"},
            ),
            table=f"{SEGMENT_DIR}/views/motifs.tsv",
        log:
            logfile("segment", f"{MOTIFS}_views"),
        conda:
            "../envs/embed.yaml"
        threads: 1
        resources:
            mem_mb=scaled(4000),
            runtime=scaled(30),
        params:
            config=settings(
                *SEGMENT_SETTINGS,
                "seed",
                "embed.align",
                "embed.pcutoff",
                "pose.skeleton",
            ),
        script:
            "../scripts/segment_views.py"


if GRID_MOVIES:

    rule segment_grid_movies:
        input:
            segments=get_segment_tables,
            poses=get_segment_poses_all,
            videos=get_all_videos,
            record=get_first_record,
        output:
            report(
                expand(
                    f"{SEGMENT_DIR}/views/grid_motif{{motif}}.mp4",
                    motif=range(SEGMENT["n_clusters"]),
                ),
                caption="../report/grid_movies.rst",
                category="Behaviour motifs",
                subcategory="grid movies",
            ),
        log:
            logfile("segment", f"{MOTIFS}_grid_movies"),
        conda:
            "../envs/embed.yaml"
        threads: 1
        resources:
            mem_mb=scaled(4000),
            runtime=scaled(60),
        params:
            sessions=get_included_sessions,
            config=settings("segment.grid_movies", "embed.align", "seed"),
        script:
            "../scripts/segment_grid_movies.py"
