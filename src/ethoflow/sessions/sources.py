"""Which sessions a run covers: from the demo, from glob patterns, or from a sample sheet.

This runs when Snakemake parses the workflow, for every invocation, so it
only looks at file names: it never opens a video.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ethoflow.exceptions import SessionError

__all__ = [
    "METADATA_COLUMNS",
    "NAME_PATTERN",
    "Session",
    "demo_sessions",
    "resolve_sessions",
    "sessions_from_globs",
    "sessions_from_sheet",
]

#: Session names: safe as file names and as Snakemake wildcard values.
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_NAME_RE = re.compile(rf"^{NAME_PATTERN}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
#: The sample sheet's optional per-session metadata columns (for the NWB files).
METADATA_COLUMNS = (
    "session_description", "session_start_time", "subject_id", "species", "sex", "age",
    "genotype", "strain", "subject_description", "experimenter", "timestamps",
)


@dataclass(frozen=True)
class Session:
    """One recording session.

    Attributes
    ----------
    name : str
        Unique, filesystem-safe name; it names every per-session output.
    video : str
        The behaviour (body) video.
    face_video : str or None
        A separate face video, if there is one.
    pose : str or None
        An existing pose table for the video (DLC ``.h5`` or ``.csv``), if the sample sheet
        names one: the pose stages then take it instead of a network's analysis.
    metadata : tuple of (str, str)
        The sample sheet's non-empty metadata cells (:data:`METADATA_COLUMNS`), for the NWB
        file; :attr:`meta` gives them as a dict.
    """

    name: str
    video: str
    face_video: str | None = None
    pose: str | None = None
    metadata: tuple[tuple[str, str], ...] = ()

    @property
    def meta(self) -> dict[str, str]:
        """:attr:`metadata` as a dict."""
        return dict(self.metadata)


def safe_name(text: str) -> str:
    """Turn a relative path into a session name: separators and odd characters become ``_``."""
    name = _UNSAFE.sub("_", text).strip("_.")
    return name or "session"


def _check_unique(sessions: Iterable[Session], source: str) -> list[Session]:
    seen: dict[str, Session] = {}
    out = []
    for s in sessions:
        if not _NAME_RE.match(s.name):
            raise SessionError(
                f"{source}: session name {s.name!r} is not filesystem-safe "
                f"(allowed: letters, digits, '_', '-', '.', starting with a letter or digit)"
            )
        if s.name in seen:
            raise SessionError(
                f"{source}: two videos give the session name {s.name!r}: "
                f"{seen[s.name].video} and {s.video}. Rename one, or use a sample sheet."
            )
        seen[s.name] = s
        out.append(s)
    return out


def _glob_root(pattern: str) -> str:
    """The part of a glob pattern before its first wildcard, as a folder."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else "."


def sessions_from_globs(
    patterns: list[str], naming: str = "relative", exclude: Iterable[str] = ()
) -> list[Session]:
    """Sessions from glob patterns over video folders (``**`` recurses).

    Parameters
    ----------
    patterns
        Glob patterns such as ``/data/lab/**/*.mp4``.
    naming
        ``"relative"``: the path below the pattern's fixed folder, without
        suffix, with separators turned into ``_`` (``mouse1/day2/cam.mp4`` →
        ``mouse1_day2_cam``); ``"stem"``: the file name without suffix.
    exclude
        Glob patterns of files to leave out.

    Raises
    ------
    SessionError
        If no file matches, or two files give the same name.
    """
    excluded: set[str] = set()
    for pattern in exclude:
        excluded.update(os.path.normpath(p) for p in glob.glob(pattern, recursive=True))
    found: dict[str, str] = {}
    for pattern in patterns:
        root = _glob_root(pattern)
        for path in sorted(glob.glob(pattern, recursive=True)):
            norm = os.path.normpath(path)
            if norm in excluded or not os.path.isfile(path) or norm in found:
                continue
            if naming == "stem":
                label = Path(path).stem
            elif naming == "relative":
                label = str(Path(os.path.relpath(path, root)).with_suffix(""))
            else:
                raise SessionError(f"unknown naming {naming!r}: use 'relative' or 'stem'")
            found[norm] = safe_name(label)
    if not found:
        raise SessionError(f"no video file matches videos.patterns {patterns}")
    sessions = [Session(name, path) for path, name in found.items()]
    return sorted(_check_unique(sessions, "videos.patterns"), key=lambda s: s.name)


def sessions_from_sheet(path: str | os.PathLike) -> list[Session]:
    """Sessions from a tab-separated sample sheet.

    Columns: ``session`` (name), ``video`` (path), and optionally
    ``face_video`` (path, may be empty), ``pose`` (an existing DLC pose table of the
    video; may be empty) and the NWB metadata columns :data:`METADATA_COLUMNS`
    (``timestamps``: a file of one time per frame). Relative paths are taken from the working directory. Lines
    starting with ``#`` are comments.

    Raises
    ------
    SessionError
        If the sheet is missing columns, has empty cells where a value is
        required, repeats a name, or names a video that does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise SessionError(f"{path}: sample sheet not found")
    sheet = pd.read_csv(path, sep="\t", dtype=str, comment="#", keep_default_na=False)
    sheet.columns = [c.strip() for c in sheet.columns]
    missing = sorted({"session", "video"} - set(sheet.columns))
    if missing:
        raise SessionError(
            f"{path}: missing column(s) {', '.join(missing)}; have {', '.join(sheet.columns)}"
        )
    allowed = ("session", "video", "face_video", "pose", *METADATA_COLUMNS)
    unknown = sorted(set(sheet.columns) - set(allowed))
    if unknown:
        raise SessionError(
            f"{path}: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    sessions = []
    for i, row in sheet.iterrows():
        line = int(i) + 2
        name, video = row["session"].strip(), row["video"].strip()
        face = row.get("face_video", "").strip() or None
        pose = row.get("pose", "").strip() or None
        if not name or not video:
            raise SessionError(f"{path}, line {line}: session and video must not be empty")
        meta = tuple((k, row[k].strip()) for k in METADATA_COLUMNS
                     if k in sheet.columns and row[k].strip())
        times = dict(meta).get("timestamps")
        for label, file in (("video", video), ("face_video", face), ("pose", pose),
                            ("timestamps", times)):
            if file is not None and not os.path.isfile(file):
                raise SessionError(f"{path}, line {line}: {label} {file} does not exist")
        sessions.append(Session(name, video, face, pose, meta))
    if not sessions:
        raise SessionError(f"{path}: the sample sheet lists no session")
    return _check_unique(sessions, str(path))


def demo_paths(outdir: str, name: str) -> dict[str, str]:
    """Where the demo generator writes one session's files."""
    return {
        "video": f"{outdir}/videos/{name}.mp4",
        "face_video": f"{outdir}/face/{name}.mp4",
        "pose": f"{outdir}/truth/{name}_pose.h5",
        "states": f"{outdir}/truth/{name}_states.csv",
        "face_truth": f"{outdir}/truth/{name}_face.csv",
        "labels_dir": f"{outdir}/labeled-data/{name}",
    }


def demo_sessions(demo: Mapping) -> list[Session]:
    """The demo's sessions: ``demo01``, ``demo02``, … with their generated videos."""
    sessions = []
    for i in range(int(demo["n_sessions"])):
        name = f"demo{i + 1:02d}"
        paths = demo_paths(demo["outdir"], name)
        sessions.append(Session(name, paths["video"], paths["face_video"]))
    return sessions


def resolve_sessions(config: Mapping) -> list[Session]:
    """The sessions a validated config asks for.

    Exactly one source is used: the demo when ``demo.enabled``, else
    ``videos.sheet`` when set, else ``videos.patterns``.
    """
    demo = config.get("demo", {})
    videos = config.get("videos", {})
    if demo.get("enabled", False):
        return demo_sessions(demo)
    if videos.get("sheet"):
        return sessions_from_sheet(videos["sheet"])
    if videos.get("patterns"):
        return sessions_from_globs(
            videos["patterns"], videos.get("naming", "relative"), videos.get("exclude", [])
        )
    raise SessionError(
        "no sessions: set demo.enabled, videos.sheet or videos.patterns in the config"
    )
