"""Stage 1, discover: what each session's videos are, established by decoding them."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ethoflow.exceptions import SessionError, VideoError
from ethoflow.io.files import provenance, write_json, write_table
from ethoflow.io.video import probe_video
from ethoflow.sessions.sources import Session

log = logging.getLogger(__name__)

__all__ = [
    "TABLE_COLUMNS",
    "discover_session",
    "included_sessions",
    "read_record",
    "sessions_table",
    "video_info",
]

TABLE_COLUMNS = [
    "session", "status", "reason", "video", "nframes", "nframes_header", "fps", "width",
    "height", "duration_s", "codec", "size_bytes", "face_video", "face_nframes", "face_fps",
    "face_width", "face_height",
]


INT_COLUMNS = ["nframes", "nframes_header", "width", "height", "size_bytes", "face_nframes",
               "face_width", "face_height"]


def discover_session(
    session: Session,
    out_json: str | os.PathLike,
    on_bad_video: str = "error",
    frame_count_tolerance: int = 0,
) -> dict:
    """Probe a session's video (and face video), and write its record as JSON.

    Parameters
    ----------
    session
        The session.
    out_json
        The record to write.
    on_bad_video
        ``"error"``: a bad video raises. ``"exclude"``: the record says
        ``status: excluded`` with the reason, and downstream stages skip it.
    frame_count_tolerance
        See :func:`ethoflow.io.video.probe_video`.

    Raises
    ------
    VideoError
        With ``on_bad_video="error"``, for a missing, empty, corrupt or truncated video.
    """
    if on_bad_video not in ("error", "exclude"):
        raise ValueError(f"on_bad_video must be 'error' or 'exclude', got {on_bad_video!r}")
    record: dict = {
        "session": session.name,
        "status": "ok",
        "reason": "",
        "video": None,
        "face_video": None,
        **provenance({"on_bad_video": on_bad_video, "frame_count_tolerance": frame_count_tolerance}),
    }
    try:
        for key, path in (("video", session.video), ("face_video", session.face_video)):
            if path is None:
                continue
            log.info("%s: probing %s %s", session.name, key, path)
            info = probe_video(path, frame_count_tolerance)
            log.info(
                "%s: %d frames (container says %d), %.3f fps, %dx%d, %s",
                path, info.nframes, info.nframes_header, info.fps, info.width, info.height,
                info.codec,
            )
            record[key] = info.to_dict()
    except VideoError as err:
        if on_bad_video == "error":
            raise
        log.warning("excluding session %s: %s", session.name, err)
        record.update(status="excluded", reason=str(err))
    write_json(record, out_json)
    return record


def read_record(path: str | os.PathLike) -> dict:
    """Read a session record written by :func:`discover_session`."""
    with open(path) as fh:
        return json.load(fh)


def video_info(record_json: str | os.PathLike, video: str | os.PathLike, key: str = "video") -> dict:
    """The discovery record's entry for ``video`` (frame count, fps, size), checked.

    Parameters
    ----------
    record_json
        A record written by :func:`discover_session`.
    video
        The video the caller is about to read.
    key
        ``"video"``, or ``"face_video"`` (which falls back to the main video when the
        session has no separate face video).

    Raises
    ------
    SessionError
        If discovery excluded the session, or the record describes another file (the
        session's video was changed after discovery).
    """
    record = read_record(record_json)
    if record["status"] != "ok":
        raise SessionError(f"{record_json}: session {record['session']} was excluded: {record['reason']}")
    info = record.get(key) or record["video"]
    if Path(info["path"]).resolve() != Path(video).resolve():
        raise SessionError(f"{record_json} describes {info['path']}, not {video}: rerun discovery")
    return info


def _row(record: dict) -> dict:
    row = {"session": record["session"], "status": record["status"], "reason": record["reason"]}
    video = record.get("video") or {}
    for key in ("nframes", "nframes_header", "fps", "width", "height", "duration_s", "codec",
                "size_bytes"):
        row[key] = video.get(key)
    row["video"] = video.get("path")
    face = record.get("face_video") or {}
    row["face_video"] = face.get("path")
    for key in ("nframes", "fps", "width", "height"):
        row[f"face_{key}"] = face.get(key)
    return row


def sessions_table(records: Iterable[str | os.PathLike], out_tsv: str | os.PathLike) -> pd.DataFrame:
    """Gather per-session records into one table, one row per session, sorted by name."""
    rows = [_row(read_record(p)) for p in records]
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS).sort_values("session", kind="stable")
    # counts stay integers where an excluded session leaves them empty
    table = table.astype({c: "Int64" for c in INT_COLUMNS})
    n_bad = int((table["status"] != "ok").sum())
    log.info("%d sessions, %d excluded", len(table), n_bad)
    write_table(table, out_tsv, comment=provenance())
    return table


def included_sessions(table_tsv: str | os.PathLike) -> list[str]:
    """Names of the sessions a sessions table marks ``ok``."""
    table = pd.read_csv(Path(table_tsv), sep="\t", comment="#")
    return table.loc[table["status"] == "ok", "session"].astype(str).tolist()
