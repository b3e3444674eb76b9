# Keypoint-error calibration (keypoint-MoSeq's noise_calibration) as files: frames sampled
# for annotation with an annotation page, the annotated points (a person's
# error_annotations.csv, or held-out labels, relabelled outlier frames and the demo's truth),
# the fitted error model, and each session's pose smoothed with it (_calibrated).

if CALIB_ON:

    rule calibration_sample:
        input:
            pose=get_calibration_poses,
            sessions="results/discover/sessions.tsv",
            frame_indexes=list(CALIBRATION["video_frame_indexes"].values()),
        output:
            f"{CALIB_DIR}/samples.tsv",
        log:
            logfile("calibration", "sample"),
        conda:
            "../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=scaled(4000),
            runtime=scaled(20),
        params:
            sessions=get_calibration_sessions,
            config=settings(
                "calibration.sessions",
                "calibration.bodyparts",
                "calibration.num_samples",
                "calibration.num_bins",
                "calibration.conf_pseudocount",
                "calibration.video_frame_indexes",
                "discover.frame_count_tolerance",
                "seed",
            ),
        script:
            "../scripts/calibration_sample.py"

    # the sampled frames cut out of the videos, and the page to annotate them in a browser
    rule calibration_page:
        input:
            samples=f"{CALIB_DIR}/samples.tsv",
            videos=get_calibration_videos,
        output:
            folder=directory(f"{CALIB_DIR}/samples"),
            html=f"{CALIB_DIR}/annotate.html",
        log:
            logfile("calibration", "page"),
        conda:
            "../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=scaled(2000),
            runtime=scaled(60),
        params:
            sessions=get_calibration_sessions,
            config=settings("calibration.crop_size"),
        script:
            "../scripts/calibration_page.py"

    rule calibration_points:
        input:
            unpack(get_calibration_point_inputs),
        output:
            f"{CALIB_DIR}/points.csv",
        log:
            logfile("calibration", "points"),
        conda:
            "../envs/pose.yaml"  # the held-out images go through the networks
        threads: 1
        resources:
            mem_mb=scaled(4000),
            runtime=scaled(60),
        params:
            sessions=get_calibration_sessions,
            project=POSE_PROJECT,
            config=settings(
                "calibration.sessions",
                "calibration.annotations",
                "calibration.sources",
                "calibration.video_frame_indexes",
                "pose.inference.likelihood",
                "pose.inference.flip_test",
                "pose.inference.device",
                "discover.frame_count_tolerance",
            ),
        script:
            "../scripts/calibration_points.py"

    rule calibration_fit:
        input:
            f"{CALIB_DIR}/points.csv",
        output:
            yaml=CALIBRATION_FILE,
            patch=f"{CALIB_DIR}/kpms_config_patch.yml",
            png=report(
                f"{CALIB_DIR}/calibration.png",
                caption="../report/calibration.rst",
                category="Calibration",
                labels={"figure": "error vs confidence"},
            ),
        log:
            logfile("calibration", "fit"),
        conda:
            "../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=scaled(1000),
            runtime=scaled(10),
        params:
            config=settings(
                "calibration.conf_pseudocount",
                "calibration.min_points",
                "calibration.min_points_bodypart",
                "calibration.conf_threshold",
                "calibration.error_tolerance_px",
            ),
        script:
            "../scripts/calibration_fit.py"

    rule calibration_smooth:
        input:
            pose="results/pose/{session}.h5",
            calibration=CALIBRATION_FILE,
        output:
            "results/pose/{session}_calibrated.h5",
        log:
            logfile("calibration/smooth", "{session}"),
        conda:
            "../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=scaled(2000),
            runtime=scaled(30),
        params:
            config=settings(
                "pose.filter.p_bound",
                "pose.filter.repair_swaps",
                "pose.filter.broken_z",
            ),
        script:
            "../scripts/calibration_smooth.py"
