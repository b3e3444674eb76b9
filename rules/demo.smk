# The synthetic demo: its generator, and the checks of every stage against its ground truth.

if DEMO:

    # quick checks: on a cluster they run in the main process
    localrules:
        face_demo_check,
        pose_demo_check,
        segment_demo_check,

    rule demo_session:
        output:
            video=f"{DEMO_DIR}/videos/{{session}}.mp4",
            face_video=f"{DEMO_DIR}/face/{{session}}.mp4",
            pose=f"{DEMO_DIR}/truth/{{session}}_pose.h5",
            states=f"{DEMO_DIR}/truth/{{session}}_states.csv",
            face_truth=f"{DEMO_DIR}/truth/{{session}}_face.csv",
            labels=f"{DEMO_DIR}/labeled-data/{{session}}/CollectedData_synthetic.h5",
        log:
            logfile("demo", "{session}"),
        conda:
            "../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=scaled(1000),
            runtime=scaled(30),
        params:
            spec=demo_spec(),
            index=get_demo_index,
        script:
            "../scripts/demo_session.py"

    rule face_demo_check:
        input:
            face=expand("results/face/{session}.h5", session=sorted(SESSIONS)),
            truth=expand(
                f"{DEMO_DIR}/truth/{{session}}_face.csv", session=sorted(SESSIONS)
            ),
        output:
            report(
                "results/face/demo_check.tsv",
                caption="../report/face_demo_check.rst",
                category="Face motion",
            ),
        log:
            logfile("face", "demo_check"),
        conda:
            "../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=scaled(1000),
            runtime=scaled(10),
        script:
            "../scripts/face_demo_check.py"

    rule pose_demo_check:
        input:
            pose=per_session("results/pose/{session}.h5"),
            truth=per_session(f"{DEMO_DIR}/truth/{{session}}_pose.h5"),
            dataset=f"{INFERENCE_SHUFFLE}/dataset.json",
        output:
            report(
                "results/pose/demo_check.tsv",
                caption="../report/pose_demo_check.rst",
                category="Pose training",
                labels={"figure": "demo: error against the truth"},
            ),
        log:
            logfile("pose", "demo_check"),
        conda:
            "../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=scaled(1000),
            runtime=scaled(10),
        params:
            sessions=get_included_sessions,
            config=settings("pose.evaluate.pcutoff"),
        script:
            "../scripts/pose_demo_check.py"

    if CALIB_ON:

        localrules:
            calibration_demo_check,

        rule calibration_demo_check:
            input:
                pose=per_session("results/pose/{session}.h5"),
                calibrated=per_session("results/pose/{session}_calibrated.h5"),
                truth=per_session(f"{DEMO_DIR}/truth/{{session}}_pose.h5"),
                calibration=CALIBRATION_FILE,
            output:
                tsv=report(
                    f"{CALIB_DIR}/demo_check.tsv",
                    caption="../report/calibration_demo_check.rst",
                    category="Calibration",
                    labels={"figure": "demo: filters against the truth"},
                ),
                fit=f"{CALIB_DIR}/demo_fit.tsv",
            log:
                logfile("calibration", "demo_check"),
            conda:
                "../envs/core.yaml"
            threads: 1
            resources:
                mem_mb=scaled(2000),
                runtime=scaled(20),
            params:
                sessions=get_included_sessions,
                config=settings("pose.filter"),
            script:
                "../scripts/calibration_demo_check.py"

    rule segment_demo_check:
        input:
            segment=get_segment_tables,
            states=per_session(f"{DEMO_DIR}/truth/{{session}}_states.csv"),
        output:
            report(
                f"{SEGMENT_DIR}/demo_check.tsv",
                caption="../report/motifs_demo_check.rst",
                category="Behaviour motifs",
                subcategory="all sessions",
                labels={"figure": "demo: motifs against the hidden states"},
            ),
        log:
            logfile("segment", f"{MOTIFS}_demo_check"),
        conda:
            "../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=scaled(1000),
            runtime=scaled(10),
        script:
            "../scripts/segment_demo_check.py"
