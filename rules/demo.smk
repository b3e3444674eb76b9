if DEMO:

    rule demo_session:
        output:
            video=f"{DEMO_DIR}/videos/{{session}}.mp4",
            face_video=f"{DEMO_DIR}/face/{{session}}.mp4",
            pose=f"{DEMO_DIR}/truth/{{session}}_pose.h5",
            states=f"{DEMO_DIR}/truth/{{session}}_states.csv",
            face_truth=f"{DEMO_DIR}/truth/{{session}}_face.csv",
            labels=f"{DEMO_DIR}/labeled-data/{{session}}/CollectedData_synthetic.h5",
        log:
            "logs/demo/{session}.log",
        conda:
            "../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=30,
        params:
            spec=lambda wildcards: demo_spec(),
            index=lambda wildcards: int(wildcards.session[len("demo") :]) - 1,
        script:
            "../scripts/demo_session.py"
