from pathlib import Path

from snakemake.utils import validate

from ethoflow.behaviour import EMBED_KEYS, SEGMENT_KEYS, vame_names
from ethoflow.config import ConfigError, check_config
from ethoflow.sessions import NAME_PATTERN, SessionError, resolve_sessions

try:
    check_config(config, workflow.source_path("../config/schemas/config.schema.yaml"))
except ConfigError as err:
    raise WorkflowError(f"ethoflow: {err}") from None
# fills in the schema's defaults
validate(config, "../config/schemas/config.schema.yaml", set_default=True)

try:
    SESSIONS = {s.name: s for s in resolve_sessions(config)}
except SessionError as err:
    raise WorkflowError(f"ethoflow: {err}") from None

DEMO = config["demo"]["enabled"]


wildcard_constraints:
    session=NAME_PATTERN,


def get_session_videos(wildcards):
    s = SESSIONS[wildcards.session]
    return [s.video] + ([s.face_video] if s.face_video else [])


def get_face_video(wildcards):
    s = SESSIONS[wildcards.session]
    return s.face_video or s.video


def included_sessions():
    """Sessions that discovery kept (evaluated after the discover checkpoint)."""
    table = checkpoints.discover_sessions.get().output.table
    from ethoflow.discover import included_sessions as read_included

    return read_included(table)


def get_face_outputs(wildcards):
    if not config["face"]["enabled"]:
        return []
    return expand("results/face/{session}.h5", session=included_sessions())


def get_final_output(wildcards):
    outputs = ["results/discover/sessions.tsv", "results/summary.tsv"]
    outputs += get_pose_outputs(wildcards)
    outputs += get_behaviour_outputs(wildcards)
    faces = get_face_outputs(wildcards)
    outputs += faces + [f.replace(".h5", ".png") for f in faces]
    if faces and DEMO:
        outputs.append("results/face/demo_check.tsv")
    return outputs


DEMO_DIR = config["demo"]["outdir"]


def demo_spec():
    """The demo generator's parameters; the session count is left out so that
    adding sessions does not regenerate the existing ones."""
    spec = {
        k: v
        for k, v in config["demo"].items()
        if k not in ("enabled", "outdir", "n_sessions")
    }
    spec["seed"] = config["seed"]
    return spec


# ---- pose -------------------------------------------------------------------

POSE = config["pose"]
POSE_PROJECT = POSE["project"] or (DEMO_DIR if DEMO else "pose-project")
POSE_DIR = f"results/pose/iteration-{POSE['dataset']['iteration']}"
INFERENCE_MODEL = f"{POSE_DIR}/shuffle{POSE['inference']['shuffle']}/model.pt"


def find_label_files():
    """Labelled folders -> their labels file, at parse time: the demo's, or every
    <project>/labeled-data/<folder>/ holding a CollectedData_<scorer>.h5/.csv."""
    if not POSE["enabled"]:
        return {}
    if DEMO:
        return {
            s: f"{DEMO_DIR}/labeled-data/{s}/CollectedData_synthetic.h5"
            for s in sorted(SESSIONS)
        }
    from ethoflow.labels import LabelError, labels_file

    found = {}
    for folder in sorted(Path(POSE_PROJECT, "labeled-data").glob("*")):
        try:
            found[folder.name] = str(labels_file(folder))
        except LabelError:
            pass  # frames extracted, not labelled yet
    return found


LABEL_FILES = find_label_files()


wildcard_constraints:
    folder=r"[^/]+",
    shuffle=r"\d+",
    fmt="csv|tsv",


def get_pose_tables(wildcards):
    """Every session's pose table (when the pose stages run)."""
    if not (POSE["enabled"] and LABEL_FILES):
        return []
    return expand("results/pose/{session}.h5", session=included_sessions())


def get_pose_outputs(wildcards):
    """Everything the pose stages make: per shuffle, per labelled folder, per session."""
    if not (POSE["enabled"] and LABEL_FILES):
        return []
    out = []
    for shuffle in POSE["dataset"]["shuffles"]:
        base = f"{POSE_DIR}/shuffle{shuffle}"
        out += [f"{base}/evaluation.csv", f"{base}/evaluation.png", f"{base}/loss.png"]
    out += expand("results/pose/labels/{folder}.png", folder=sorted(LABEL_FILES))
    sessions = included_sessions()
    patterns = [
        "results/pose/{session}.h5",
        "results/pose/{session}_filtered.h5",
        "results/pose/plots/{session}.png",
    ]
    patterns += [
        f"results/pose/{{session}}.{fmt}" for fmt in POSE["inference"]["save_as"]
    ]
    if DEMO:
        out.append("results/pose/demo_check.tsv")
    if POSE["video"]["enabled"]:
        patterns.append("results/pose/videos/{session}_labeled.mp4")
    for pattern in patterns:
        out += expand(pattern, session=sessions)
    return out


# ---- embedding and motifs ---------------------------------------------------------

EMBED = config["embed"]
SEGMENT = config["segment"]
EMBED_ON = EMBED["enabled"] and POSE["enabled"] and bool(LABEL_FILES)
SEGMENT_ON = EMBED_ON and SEGMENT["enabled"]
EMBED_POSE = (
    "results/pose/{session}_filtered.h5"
    if EMBED["pose"] == "filtered"
    else "results/pose/{session}.h5"
)
SEGMENT_DIR = f"results/segment/{SEGMENT['method']}-{SEGMENT['n_clusters']}"
# what the motif model depends on (vame_files only adds exports), and the VAE
SEGMENT_PARAMS = {k: SEGMENT[k] for k in SEGMENT_KEYS}
EMBED_PARAMS = {k: EMBED[k] for k in EMBED_KEYS}

_unknown = sorted(set(EMBED["train_sessions"]) - set(SESSIONS))
if EMBED_ON and _unknown:
    raise WorkflowError(
        f"ethoflow: config key 'embed.train_sessions': unknown session(s) {', '.join(_unknown)}"
    )


def get_embed_train_poses(wildcards):
    """Pose tables the VAE learns from: embed.train_sessions, or every included session."""
    included = included_sessions()
    names = EMBED["train_sessions"] or included
    excluded = sorted(set(names) - set(included))
    if excluded:
        raise WorkflowError(
            f"ethoflow: embed.train_sessions {', '.join(excluded)} were excluded by discovery"
        )
    return {s: EMBED_POSE.format(session=s) for s in sorted(names)}


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
        if SEGMENT["vame_files"]:
            for s in sessions:
                names = vame_names(s, SEGMENT["method"], SEGMENT["n_clusters"])
                out += [f"{SEGMENT_DIR}/vame/{s}/{name}" for name in names]
        if DEMO:
            out.append(f"{SEGMENT_DIR}/demo_check.tsv")
    return out
