# Parse-time set-up shared by every rules file: the config (validated, defaults filled in),
# the plan of the run (sessions, labelled folders, stages that run), the input functions,
# and the path patterns of logs.
import glob
import sys
from pathlib import Path

from snakemake.utils import validate

from ethoflow.behaviour.features import EMBED_KEYS
from ethoflow.behaviour.io import vame_names
from ethoflow.behaviour.motifs import segment_keys
from ethoflow.config import check_config, config_slice, last_run_note, save_run_config
from ethoflow.exceptions import EthoflowError
from ethoflow.plan import load_plan, make_plan, plan_path, save_plan
from ethoflow.sessions.sources import NAME_PATTERN

SCHEMA = "../config/schemas/config.schema.yaml"
try:
    # the schema, then the checks across keys on the config with every default filled in
    check_config(config, workflow.source_path(SCHEMA))
except EthoflowError as err:
    raise WorkflowError(f"ethoflow: {err}") from None
validate(config, SCHEMA, set_default=True)

# Only the main process looks at the file system (sample sheet videos, glob patterns,
# labeled-data/); each cluster job parses the workflow again and reads the saved plan.
PLAN_FILE = plan_path(".snakemake/ethoflow", config)
try:
    if workflow.is_main_process:
        PLAN = make_plan(config)
        save_plan(PLAN, PLAN_FILE)
        print(PLAN.describe(), file=sys.stderr)
    else:
        PLAN = load_plan(config, PLAN_FILE)
except EthoflowError as err:
    raise WorkflowError(f"ethoflow: {err}") from None

SESSIONS = PLAN.sessions

# The config of the last successful run here: a report made with another config would show
# other results (or none), so that stops it; a run is told what changed since.
RUN_CONFIG = "results/config.yaml"
if workflow.is_main_process:
    try:
        _note = last_run_note(config, RUN_CONFIG, report="--report" in sys.argv)
    except EthoflowError as err:
        raise WorkflowError(f"ethoflow: {err}") from None
    if _note:
        print(_note, file=sys.stderr)


onsuccess:
    save_run_config(config, RUN_CONFIG)


DEMO = config["demo"]["enabled"]
DEMO_DIR = config["demo"]["outdir"]
POSE = config["pose"]
EMBED = config["embed"]
SEGMENT = config["segment"]


# a session name in a file name that could also be <session>_filtered.<ext> or
# <session>_calibrated.<ext>
NOT_FILTERED = f"{NAME_PATTERN}(?<!_filtered)(?<!_calibrated)"


wildcard_constraints:
    session=NAME_PATTERN,
    folder=r"[^/]+",
    shuffle=r"\d+",
    fmt="csv|tsv",


def settings(*keys):
    """A rule's ``params``: exactly the config keys its stage reads (dotted), so that a change
    of any other key does not rerun it."""
    return config_slice(config, keys)


def logfile(stage, name):
    """Where a job's log goes: logs/<stage>/<name>.log."""
    return f"logs/{stage}/{name}.log"


def benchfile(stage, name):
    """Where a heavy job's run time and memory go: logs/benchmarks/<stage>/<name>.tsv."""
    return f"logs/benchmarks/{stage}/{name}.tsv"


def scaled(base):
    """A resource (MB of memory, minutes of run time) that grows with each retry."""

    def amount(wildcards, attempt):
        return base * attempt

    return amount


# ---- sessions ---------------------------------------------------------------------


def get_session(wildcards):
    return SESSIONS[wildcards.session]


def get_video(wildcards):
    return SESSIONS[wildcards.session].video


def get_session_videos(wildcards):
    s = SESSIONS[wildcards.session]
    return [s.video] + ([s.face_video] if s.face_video else [])


def get_face_video(wildcards):
    s = SESSIONS[wildcards.session]
    return s.face_video or s.video


def included_sessions():
    """Sessions that discovery kept (evaluated after the discover checkpoint)."""
    from ethoflow.sessions.discover import included_sessions as read_included

    return read_included(checkpoints.discover_sessions.get().output.table)


def get_included_sessions(wildcards):
    return included_sessions()


def per_session(pattern):
    """An input function: ``pattern`` for every session discovery kept."""

    def paths(wildcards):
        return expand(pattern, session=included_sessions())

    return paths


# ---- demo ---------------------------------------------------------------------------


def demo_spec():
    """The demo generator's parameters; the session count is left out so that adding
    sessions does not regenerate the existing ones."""
    spec = {
        k: v
        for k, v in config["demo"].items()
        if k not in ("enabled", "outdir", "n_sessions")
    }
    spec["seed"] = config["seed"]
    return spec


def get_demo_index(wildcards):
    return int(wildcards.session[len("demo") :]) - 1


# ---- face ---------------------------------------------------------------------------


def get_face_outputs(wildcards):
    if not config["face"]["enabled"]:
        return []
    return expand("results/face/{session}.h5", session=included_sessions())


def get_facemap_proc_outputs(wildcards):
    if not (config["face"]["enabled"] and config["face"]["facemap_proc"]):
        return []
    return expand("results/face/{session}_proc.npy", session=included_sessions())


# ---- pose -----------------------------------------------------------------------------

POSE_PROJECT = PLAN.pose_project
LABEL_FILES = PLAN.label_files
POSE_ON = PLAN.runs("pose")
ITERATION = f"iteration-{POSE['dataset']['iteration']}"
POSE_DIR = f"results/pose/{ITERATION}"
SHUFFLE_DIR = f"{POSE_DIR}/shuffle{{shuffle}}"
INFERENCE_SHUFFLE = f"{POSE_DIR}/shuffle{POSE['inference']['shuffle']}"
# session -> an existing pose table that replaces the network (pose.tracks); empty otherwise
POSE_TRACKS = PLAN.tracks


def get_tracks_file(wildcards):
    return POSE_TRACKS[wildcards.session]


def get_label_folder(wildcards):
    return f"{POSE_PROJECT}/labeled-data/{wildcards.session}"


def get_labels_file(wildcards):
    return LABEL_FILES[wildcards.folder]


def get_all_label_files(wildcards):
    return [LABEL_FILES[f] for f in sorted(LABEL_FILES)]


def get_pose_tables(wildcards):
    """Every session's pose table (when the pose stages run)."""
    if not POSE_ON:
        return []
    return expand("results/pose/{session}.h5", session=included_sessions())


def get_evaluation_table(wildcards):
    """The evaluation of the network that analyses the videos (when the pose stages run)."""
    return (
        [f"{INFERENCE_SHUFFLE}/evaluation.csv"] if POSE_ON and not POSE_TRACKS else []
    )


def get_pose_outputs(wildcards):
    """Everything the pose stages make per session (and the demo's check)."""
    if not POSE_ON:
        return []
    out = []
    sessions = included_sessions()
    patterns = [
        "results/pose/{session}.h5",
        "results/pose/{session}_filtered.h5",
        "results/pose/plots/{session}.png",
    ]
    for fmt in POSE["inference"]["save_as"]:
        patterns += [
            f"results/pose/{{session}}.{fmt}",
            f"results/pose/{{session}}_filtered.{fmt}",
        ]
    if DEMO and not POSE_TRACKS:
        out.append("results/pose/demo_check.tsv")
    if POSE["video"]["enabled"]:
        patterns.append("results/pose/videos/{session}_labeled.mp4")
    if POSE["skeleton"]:
        patterns.append("results/pose/skeleton/{session}.csv")
    for pattern in patterns:
        out += expand(pattern, session=sessions)
    return out


# ---- calibration ------------------------------------------------------------------

CALIBRATION = config["calibration"]
CALIB_ON = PLAN.runs("calibration")
CALIB_DIR = "results/calibration"
CALIBRATION_FILE = f"{CALIB_DIR}/calibration.yaml"


def get_calibration_sessions(wildcards):
    """Sessions the calibration samples: calibration.sessions, or every included session."""
    included = included_sessions()
    names = CALIBRATION["sessions"] or included
    excluded = sorted(set(names) - set(included))
    if excluded:
        raise WorkflowError(
            f"ethoflow: calibration.sessions {', '.join(excluded)} were excluded by discovery"
        )
    return sorted(names)


def get_calibration_poses(wildcards):
    return expand(
        "results/pose/{session}.h5", session=get_calibration_sessions(wildcards)
    )


def get_calibration_videos(wildcards):
    return [SESSIONS[s].video for s in get_calibration_sessions(wildcards)]


def get_calibration_point_inputs(wildcards):
    """What the annotated points come from: the annotations file, or the automatic sources
    the project has (each shuffle's network and test split, relabelled outlier frames, the
    demo's truth at the sampled triples)."""
    sessions = get_calibration_sessions(wildcards)
    out = {
        "pose": get_calibration_poses(wildcards),
        "sessions": "results/discover/sessions.tsv",
        "frame_indexes": list(CALIBRATION["video_frame_indexes"].values()),
    }
    if CALIBRATION["annotations"]:
        out["annotations"] = CALIBRATION["annotations"]
        return out
    sources = CALIBRATION["sources"]
    if "heldout" in sources:
        shuffles = POSE["dataset"]["shuffles"]
        out["models"] = [f"{SHUFFLE_DIR.format(shuffle=s)}/model.pt" for s in shuffles]
        out["datasets"] = [
            f"{SHUFFLE_DIR.format(shuffle=s)}/dataset.json" for s in shuffles
        ]
    if "refined" in sources:
        machine = sorted(
            glob.glob(f"{POSE_PROJECT}/labeled-data/*/machinelabels-iter*.h5")
        )
        out["machine"] = machine
        folders = {Path(m).parent.name for m in machine}
        out["labels"] = [LABEL_FILES[f] for f in sorted(folders) if f in LABEL_FILES]
    if "truth" in sources and DEMO:
        out["samples"] = f"{CALIB_DIR}/samples.tsv"
        out["truth"] = [f"{DEMO_DIR}/truth/{s}_pose.h5" for s in sessions]
    return out


def get_calibration_file(wildcards):
    return [CALIBRATION_FILE] if CALIB_ON else []


def get_calibration_outputs(wildcards):
    """Everything the calibration stage makes."""
    if not CALIB_ON:
        return []
    out = [
        f"{CALIB_DIR}/annotate.html",
        CALIBRATION_FILE,
        f"{CALIB_DIR}/kpms_config_patch.yml",
        f"{CALIB_DIR}/calibration.png",
    ]
    out += expand("results/pose/{session}_calibrated.h5", session=included_sessions())
    if DEMO:
        out.append(f"{CALIB_DIR}/demo_check.tsv")
    return out


# ---- embedding and motifs ---------------------------------------------------------

EMBED_ON = PLAN.runs("embed")
SEGMENT_ON = PLAN.runs("segment")
EMBED_POSE = {
    "filtered": "results/pose/{session}_filtered.h5",
    "calibrated": "results/pose/{session}_calibrated.h5",
    "raw": "results/pose/{session}.h5",
}[EMBED["pose"]]
MOTIFS = f"{SEGMENT['method']}-{SEGMENT['n_clusters']}"
SEGMENT_DIR = f"results/segment/{MOTIFS}"
# VAME's own files per session (segment.vame_files), made by segment_session
VAME_FILES = (
    [
        f"{SEGMENT_DIR}/vame/{{session}}/{name}"
        for name in vame_names("{session}", SEGMENT["method"], SEGMENT["n_clusters"])
    ]
    if SEGMENT["vame_files"]
    else []
)
# the config keys the VAE and the embeddings depend on, and those the motif model depends on
EMBED_SETTINGS = tuple(f"embed.{k}" for k in EMBED_KEYS)
SEGMENT_SETTINGS = tuple(f"segment.{k}" for k in segment_keys(SEGMENT["method"]))
# the AR-HMM segments the pose itself (egocentric features), not the VAE's latent vectors
ARHMM = SEGMENT["method"] == "arhmm"
if ARHMM:
    SEGMENT_SETTINGS += ("embed.align", "embed.pcutoff")
# what segment_session reads per session
SEGMENT_SERIES = EMBED_POSE if ARHMM else "results/embed/{session}.h5"


def get_embed_train_sessions(wildcards):
    """Sessions the VAE learns from: embed.train_sessions, or every included session."""
    included = included_sessions()
    names = EMBED["train_sessions"] or included
    excluded = sorted(set(names) - set(included))
    if excluded:
        raise WorkflowError(
            f"ethoflow: embed.train_sessions {', '.join(excluded)} were excluded by discovery"
        )
    return sorted(names)


def get_embed_train_poses(wildcards):
    return [EMBED_POSE.format(session=s) for s in get_embed_train_sessions(wildcards)]


def get_segment_fit_inputs(wildcards):
    return expand(SEGMENT_SERIES, session=get_embed_train_sessions(wildcards))


# the views over all sessions need one shared model
SEGMENT_VIEWS = SEGMENT_ON and SEGMENT["views"] and SEGMENT["scope"] == "shared"
GRID_MOVIES = (
    SEGMENT_ON and SEGMENT["grid_movies"]["enabled"] and SEGMENT["scope"] == "shared"
)
get_segment_series_all = per_session(SEGMENT_SERIES)
get_segment_poses_all = per_session(EMBED_POSE)


def get_all_videos(wildcards):
    return [SESSIONS[s].video for s in included_sessions()]


def get_first_record(wildcards):
    """A discovery record, for the frame rate (the first included session's)."""
    return f"results/discover/{included_sessions()[0]}.json"


def get_segment_calibration(wildcards):
    """The AR-HMM interpolates points below the calibration's conf_threshold (keypoint-MoSeq)."""
    return [CALIBRATION_FILE] if ARHMM and CALIB_ON else []


def get_segment_tables(wildcards):
    """Every session's motifs (when the motif stage runs)."""
    if not SEGMENT_ON:
        return []
    return expand(f"{SEGMENT_DIR}/{{session}}.h5", session=included_sessions())


def get_behaviour_outputs(wildcards):
    """Everything the embedding and motif stages make."""
    if not EMBED_ON:
        return []
    sessions = included_sessions()
    out = ["results/embed/loss.png"]
    out += expand("results/embed/{session}.h5", session=sessions)
    if SEGMENT_ON:
        out += get_segment_tables(wildcards) + [f"{SEGMENT_DIR}/usage.png"]
        out += expand(f"{SEGMENT_DIR}/plots/{{session}}.png", session=sessions)
        out += expand(VAME_FILES, session=sessions)
        if SEGMENT_VIEWS:
            out += [
                f"{SEGMENT_DIR}/views/{name}"
                for name in (
                    "transitions.png",
                    "communities.png",
                    "poses.png",
                    "latents.png",
                    "motifs.tsv",
                )
            ]
        if GRID_MOVIES:
            out += expand(
                f"{SEGMENT_DIR}/views/grid_motif{{motif}}.mp4",
                motif=range(SEGMENT["n_clusters"]),
            )
        if DEMO:
            out.append(f"{SEGMENT_DIR}/demo_check.tsv")
    return out


# ---- export -------------------------------------------------------------------------

NWB_ON = config["export"]["nwb"]["enabled"]


def get_nwb_inputs(wildcards):
    """What a session's NWB file holds: whatever the run makes for it."""
    s = wildcards.session
    inputs = {"record": f"results/discover/{s}.json"}
    if POSE_ON:
        inputs["raw"] = f"results/pose/{s}.h5"
        inputs["filtered"] = f"results/pose/{s}_filtered.h5"
        if POSE["video"]["enabled"]:
            inputs["labeled_video"] = f"results/pose/videos/{s}_labeled.mp4"
    if CALIB_ON:
        inputs["calibrated"] = f"results/pose/{s}_calibrated.h5"
    if config["face"]["enabled"]:
        inputs["face"] = f"results/face/{s}.h5"
    if EMBED_ON:
        inputs["embedding"] = f"results/embed/{s}.h5"
    if SEGMENT_ON:
        inputs["segmentation"] = f"{SEGMENT_DIR}/{s}.h5"
    return inputs


DATAJOINT_ON = config["export"]["datajoint"]["enabled"]


def get_datajoint_inputs(wildcards):
    """What a session puts in the database: what its NWB file holds but the labelled video."""
    inputs = get_nwb_inputs(wildcards)
    inputs.pop("labeled_video", None)
    return inputs


def get_export_outputs(wildcards):
    sessions = included_sessions()
    out = expand("results/nwb/{session}.nwb", session=sessions) if NWB_ON else []
    if DATAJOINT_ON:
        out += expand("results/datajoint/{session}.json", session=sessions)
    return out


# ---- all ----------------------------------------------------------------------------


def get_training_outputs(wildcards):
    """What needs only the labels: the labels checks and each shuffle's network and its
    evaluation. Apart from the outputs below so that training starts at once, not after
    every video has been discovered."""
    if not POSE_ON or POSE_TRACKS:
        return []
    out = expand("results/pose/labels/{folder}.png", folder=sorted(LABEL_FILES))
    for shuffle in POSE["dataset"]["shuffles"]:
        base = SHUFFLE_DIR.format(shuffle=shuffle)
        out += [f"{base}/evaluation.csv", f"{base}/evaluation.png", f"{base}/loss.png"]
    return out


def get_session_outputs(wildcards):
    """Everything made per session and across sessions (after discovery)."""
    outputs = ["results/discover/sessions.tsv", "results/summary.tsv"]
    outputs += get_pose_outputs(wildcards)
    outputs += get_calibration_outputs(wildcards)
    outputs += get_behaviour_outputs(wildcards)
    faces = get_face_outputs(wildcards)
    outputs += faces + [f.replace(".h5", ".png") for f in faces]
    if faces and DEMO:
        outputs.append("results/face/demo_check.tsv")
    outputs += get_facemap_proc_outputs(wildcards) + get_export_outputs(wildcards)
    return outputs
