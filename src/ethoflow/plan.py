"""What a run will do, decided when the workflow starts: its sessions, the labelled folders of
the pose project, and which stages run or are skipped, and why.

The workflow builds a :class:`Plan` once, in Snakemake's main process (:func:`make_plan`
looks at the file system: the sample sheet's videos, the glob patterns, ``labeled-data/``),
prints :meth:`Plan.describe` and saves the plan (:func:`save_plan`). Each cluster job parses
the workflow again; it reads the saved plan (:func:`load_plan`) instead of scanning hundreds
of videos and folders on a shared file system once per job.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ethoflow.exceptions import ConfigError, LabelError, SessionError
from ethoflow.sessions.sources import Session, resolve_sessions

log = logging.getLogger(__name__)

__all__ = ["Plan", "find_label_files", "find_tracks", "load_plan", "make_plan", "plan_path", "save_plan"]

#: The demo writes its labels under this scorer.
DEMO_SCORER = "synthetic"
#: The stages a plan runs or skips, in order.
STAGES = ("discover", "face", "pose", "calibration", "embed", "segment")
_IMAGES = (".png", ".jpg", ".jpeg")


@dataclass
class Plan:
    """What the workflow will do with a config.

    Attributes
    ----------
    sessions : dict of str to Session
        The sessions, by name.
    source : str
        Where they come from, in words (the demo, a sample sheet, glob patterns).
    pose_project : str
        The folder holding ``labeled-data/``.
    label_files : dict of str to str
        Labelled folder name -> its ``CollectedData_<scorer>`` file.
    unlabelled : list of str
        Folders of ``labeled-data/`` with frames but no labels file yet.
    skipped : dict of str to str
        Stage -> why it does not run; stages not named run.
    tracks : dict of str to str
        Session -> an existing pose table that replaces the network (``pose.tracks`` or
        the sample sheet's ``pose`` column); empty when a network analyses the videos.
    """

    sessions: dict[str, Session]
    source: str
    pose_project: str
    label_files: dict[str, str] = field(default_factory=dict)
    unlabelled: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    tracks: dict[str, str] = field(default_factory=dict)

    def runs(self, stage: str) -> bool:
        """Whether ``stage`` (discover, face, pose, calibration, embed, segment) runs."""
        return stage not in self.skipped

    def describe(self) -> str:
        """A few lines for the start of a run: sessions, stages that run, stages skipped and why."""
        stages = [s for s in STAGES if self.runs(s)]
        lines = [f"ethoflow: {len(self.sessions)} session(s) from {self.source}",
                 f"  runs: {', '.join(stages)}"]
        if self.runs("pose") and self.tracks:
            lines[-1] += f" (pose: existing tracks for {len(self.tracks)} session(s), no network)"
        elif self.runs("pose"):
            lines[-1] += (f" (pose: {len(self.label_files)} labelled folder(s) in "
                          f"{self.pose_project}/labeled-data)")
        for stage, why in self.skipped.items():
            lines.append(f"  skipped: {stage}: {why}")
        if self.unlabelled and self.runs("pose"):
            lines.append(f"  waiting for labels: {', '.join(self.unlabelled)} (frames extracted, "
                         "no CollectedData file yet)")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Plain-dict form, for :func:`save_plan`."""
        return {
            "sessions": [[s.name, s.video, s.face_video, s.meta] for s in self.sessions.values()],
            "source": self.source, "pose_project": self.pose_project,
            "label_files": self.label_files, "unlabelled": self.unlabelled, "skipped": self.skipped,
            "tracks": self.tracks,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> Plan:
        """The inverse of :meth:`to_dict`."""
        sessions = {}
        for name, video, face, *meta in data["sessions"]:
            sessions[name] = Session(name, video, face,
                                     metadata=tuple(meta[0].items()) if meta else ())
        return cls(sessions, data["source"], data["pose_project"], dict(data["label_files"]),
                   list(data["unlabelled"]), dict(data["skipped"]), dict(data.get("tracks", {})))


def find_tracks(sessions: Mapping[str, Session], pattern: str, check_files: bool = True) -> dict[str, str]:
    """Each session's existing pose table: the sample sheet's ``pose`` column, else
    ``pattern`` (``pose.tracks``, with ``{session}``). Empty when neither names any.
    ``check_files`` False: the files may not exist yet (the demo writes its true keypoints).

    Raises
    ------
    SessionError
        If only some sessions have one, the pattern lacks ``{session}``, or a file is missing.
    """
    named = {name: s.pose for name, s in sessions.items() if s.pose}
    if pattern and "{session}" not in pattern:
        raise SessionError(f"config key 'pose.tracks': {pattern!r} has no {{session}} to fill in")
    if pattern:
        named = {**{name: pattern.format(session=name) for name in sessions}, **named}
    if not named:
        return {}
    lacking = sorted(set(sessions) - set(named))
    if lacking:
        raise SessionError(f"existing pose tables for some sessions only: none for {', '.join(lacking)} "
                           "(give every session one, in the sample sheet's pose column or pose.tracks)")
    missing = sorted(f"{name} ({path})" for name, path in named.items() if not os.path.isfile(path))
    if missing and check_files:
        raise SessionError(f"pose.tracks: no such file for session(s) {', '.join(missing)}")
    return dict(sorted(named.items()))


def find_label_files(project: str | os.PathLike, explicit: bool = True) -> tuple[dict[str, str], list[str]]:
    """The labelled folders of a DeepLabCut-style project.

    Parameters
    ----------
    project
        The folder holding ``labeled-data/<video>/CollectedData_<scorer>.h5`` (or ``.csv``).
    explicit
        Whether the user named this folder (``pose.project``). A default folder that does
        not exist yet just means "nothing labelled yet".

    Returns
    -------
    label_files : dict of str to str
        Folder name -> labels file (``.h5`` preferred).
    unlabelled : list of str
        Folders with frames but no labels file.

    Raises
    ------
    LabelError
        If a folder the user named does not exist, has no ``labeled-data/``, or holds its
        labels or images in another layout (e.g. a Lightning Pose project: a CSV at the
        project's root and images directly in ``labeled-data/``).
    """
    from ethoflow.pose.labels import labels_file

    project = Path(project)
    layout = ("ethoflow reads DeepLabCut's layout: labeled-data/<video>/ holding the frames "
              "and CollectedData_<scorer>.h5 or .csv")
    if not project.is_dir():
        if explicit:
            raise LabelError(f"pose.project {project}: no such folder")
        return {}, []
    data = project / "labeled-data"
    csvs = sorted(p.name for p in project.glob("*.csv"))
    hint = (f"; {project} has {', '.join(csvs[:3])} at its root (a Lightning Pose project? put "
            "each video's frames and its labels file in labeled-data/<video>/)" if csvs else "")
    if not data.is_dir():
        if not explicit:
            return {}, []
        raise LabelError(f"pose.project {project}: no labeled-data/ folder; {layout}{hint}")
    loose = sorted(p.name for p in data.iterdir()
                   if p.is_file() and p.suffix.lower() in (*_IMAGES, ".csv", ".h5"))
    if loose:
        raise LabelError(
            f"{data}: holds {len(loose)} file(s) directly ({', '.join(loose[:3])}"
            f"{', ...' if len(loose) > 3 else ''}); {layout}{hint}")
    found, waiting = {}, []
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        try:
            found[folder.name] = str(labels_file(folder))
        except LabelError:
            if any(p.suffix.lower() in _IMAGES for p in folder.iterdir()):
                waiting.append(folder.name)
    return found, waiting


def _source(config: Mapping) -> str:
    demo, videos = config["demo"], config["videos"]
    if demo["enabled"]:
        return f"the demo ({demo['outdir']}/)"
    if videos["sheet"]:
        return f"the sample sheet {videos['sheet']}"
    return f"videos.patterns {videos['patterns']}"


def make_plan(config: Mapping) -> Plan:
    """Build the plan of a validated config (defaults filled in), looking at the file system.

    Raises
    ------
    SessionError, LabelError
        Where the sessions or the pose project cannot be used.
    """
    sessions = {s.name: s for s in resolve_sessions(config)}
    demo, pose, embed, segment = config["demo"], config["pose"], config["embed"], config["segment"]
    project = pose["project"] or (demo["outdir"] if demo["enabled"] else "pose-project")
    plan = Plan(sessions, _source(config), project)
    if not config["face"]["enabled"]:
        plan.skipped["face"] = "face.enabled is false"
    plan.tracks = find_tracks(sessions, pose["tracks"], check_files=not demo["enabled"])
    if not pose["enabled"]:
        plan.skipped["pose"] = "pose.enabled is false"
    elif plan.tracks:
        pass  # the pose tables exist: no labels, no network
    elif demo["enabled"]:
        plan.label_files = {s: f"{project}/labeled-data/{s}/CollectedData_{DEMO_SCORER}.h5"
                            for s in sorted(sessions)}
    else:
        plan.label_files, plan.unlabelled = find_label_files(project, explicit=bool(pose["project"]))
        if not plan.label_files:
            waiting = (f" ({len(plan.unlabelled)} folder(s) of extracted frames wait for labels)"
                       if plan.unlabelled else "")
            plan.skipped["pose"] = (
                f"no labelled frames in {project}/labeled-data/{waiting}. To start: "
                "`snakemake extract_frames --cores all` picks frames from every video, label them "
                "(DeepLabCut's labelling GUI or napari-deeplabcut: CollectedData_<scorer>.h5 in "
                "each folder), then run again")
    if not config["calibration"]["enabled"]:
        plan.skipped["calibration"] = "calibration.enabled is false"
    elif not plan.runs("pose"):
        plan.skipped["calibration"] = "needs the pose stages"
    elif plan.tracks:
        plan.skipped["calibration"] = ("needs the pose network (existing tracks come without its "
                                       "held-out predictions)")
    if plan.tracks and pose["enabled"]:
        from ethoflow.config import calibrated_users

        users = calibrated_users(config)
        if users:
            raise ConfigError(f"config key '{users[0]}': calibrated needs the calibration stage, which "
                              "existing pose tables (pose.tracks, the sheet's pose column) skip")
    if not embed["enabled"]:
        plan.skipped["embed"] = "embed.enabled is false"
    elif not plan.runs("pose"):
        plan.skipped["embed"] = "needs the pose stages"
    unknown = sorted(set(config["calibration"]["sessions"]) - set(sessions))
    if plan.runs("calibration") and unknown:
        raise SessionError(f"config key 'calibration.sessions': unknown session(s) {', '.join(unknown)}")
    unknown = sorted(set(embed["train_sessions"]) - set(sessions))
    if plan.runs("embed") and unknown:
        raise SessionError(f"config key 'embed.train_sessions': unknown session(s) {', '.join(unknown)}")
    if not segment["enabled"]:
        plan.skipped["segment"] = "segment.enabled is false"
    elif not plan.runs("embed"):
        plan.skipped["segment"] = "needs the embedding"
    return plan


def plan_path(folder: str | os.PathLike, config: Mapping) -> Path:
    """Where the plan of ``config`` is saved in ``folder`` (named by a hash of the config)."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()
    return Path(folder) / f"plan-{digest[:16]}.json"


def save_plan(plan: Plan, path: str | os.PathLike) -> None:
    """Write the plan for the jobs of this run (atomically: jobs may read it at any time)."""
    from ethoflow.io.files import write_json

    write_json(plan.to_dict(), path)


def load_plan(config: Mapping, path: str | os.PathLike) -> Plan:
    """The plan saved by the main process; made afresh if there is none (a job started by hand)."""
    try:
        with open(path) as fh:
            return Plan.from_dict(json.load(fh))
    except (OSError, ValueError, KeyError) as err:
        log.info("no saved plan at %s (%s): scanning", path, err)
        return make_plan(config)
