from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/demo.smk"
include: "rules/discover.smk"
include: "rules/face.smk"
include: "rules/frames.smk"
include: "rules/dataset.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/inference.smk"
include: "rules/filter.smk"
include: "rules/calibration.smk"
include: "rules/embed.smk"
include: "rules/segment.smk"
include: "rules/outliers.smk"
include: "rules/report.smk"
include: "rules/export.smk"


# Quick aggregates and targets: on a cluster they run in the main process, not as jobs.
localrules:
    all,
    extract_frames,
    pose_outliers,
    discover_sessions,
    summary,
    segment_usage,
    calibration_fit,


rule all:
    default_target: True
    input:
        get_training_outputs,
        get_session_outputs,
