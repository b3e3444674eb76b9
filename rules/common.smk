from snakemake.utils import validate

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
