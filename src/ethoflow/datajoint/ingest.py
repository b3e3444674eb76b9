"""One session's results into the DataJoint database, replacing its rows in one transaction.

:func:`session_rows` reads the session's files into rows (no database needed: a file that
does not fit fails here, before anything is written); :func:`ingest_session` deletes the
session's rows and inserts the new ones in one transaction, under a database lock so that
parallel jobs (one per session, possibly on several cluster nodes) take turns;
:func:`export_session` is the rule ``export_datajoint``.

Connection settings come from ``export.datajoint`` (host, port, user) where set, else from
DataJoint's own configuration (``datajoint.json`` found from the working folder up, the
environment variables ``DJ_HOST``, ``DJ_PORT``, ``DJ_USER``). The password is read only by
DataJoint: ``DJ_PASS`` or ``.secrets/database.password`` (never the workflow's config).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ethoflow import __version__
from ethoflow.datajoint.tables import Pipeline, declare, schema_names
from ethoflow.exceptions import EthoflowError, FileFormatError
from ethoflow.io.files import write_json

__all__ = ["DataJointExportError", "connect", "database_lock", "export_session", "ingest_session",
           "session_rows"]

log = logging.getLogger(__name__)

#: Devices (cameras) the rows name: the behaviour camera, and the face camera when the
#: session has its own face video.
DEVICES = {"camera": "the behaviour camera (the session's video)",
           "face camera": "the face camera (the session's face video)"}
#: The whole frame's ``roi_no``: element-facemap numbers the regions of a ``_proc.npy`` from 0
#: after the whole frame (``roi_no`` = Facemap's index - 1), so the whole frame, which
#: element-facemap's loader skips, is region -1.
FULL_FRAME_ROI = -1
#: Rows go to the server in INSERTs of about this many bytes (MariaDB's default
#: ``max_allowed_packet`` is 16 MiB; one statement per table would pass it on long videos).
INSERT_BYTES = 8 << 20


class DataJointExportError(EthoflowError):
    """The database cannot be reached or used (wrong host, user or password; a lock held too
    long); no session's rows were written."""


def _settings_value(settings: Mapping, key: str, config_key: str):
    import datajoint as dj

    value = settings.get(key)
    return dj.config[config_key] if value in (None, "") else value


def connect(settings: Mapping):
    """A new DataJoint connection with ``export.datajoint``'s host/port/user where given.

    Raises
    ------
    DataJointExportError
        The server is unreachable or refuses the user; the message names both and where the
        settings come from.
    """
    import datajoint as dj

    host = str(_settings_value(settings, "host", "database.host"))
    port = _settings_value(settings, "port", "database.port")
    user = _settings_value(settings, "user", "database.user")
    password = dj.config["database.password"]
    where = f"{user}@{host}:{port}"
    if not user:
        raise DataJointExportError(
            f"no database user for {host}:{port}: set export.datajoint.user, DJ_USER or "
            "database.user in datajoint.json")
    try:
        return dj.Connection(host, user, password or "", int(port) if port else None,
                             use_tls=settings.get("use_tls"))
    except Exception as err:  # noqa: BLE001 -- pymysql and DataJoint raise several kinds
        raise DataJointExportError(
            f"cannot connect to the database as {where}: {err}. Host, port and user come from "
            "export.datajoint or DataJoint's configuration (datajoint.json, DJ_HOST, DJ_PORT, "
            "DJ_USER); the password from DJ_PASS or .secrets/database.password") from None


# ---- rows from files --------------------------------------------------------------------


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def session_metadata(session: str, defaults: Mapping, sheet_meta: Mapping | None) -> dict:
    """The ``Subject``/``Session`` attributes: ``export.nwb.metadata``'s defaults, overridden by
    the sample sheet's cells (the same sources as the NWB files; nothing is required here).

    Raises
    ------
    DataJointExportError
        A ``session_start_time`` that is not ISO 8601, or a ``sex`` not M/F/U/O.
    """
    meta = {k: defaults.get(k) for k in defaults}
    meta.update({k: v for k, v in (sheet_meta or {}).items() if _text(v)})
    start = _text(meta.get("session_start_time"))
    when = None
    if start:
        try:
            when = dt.datetime.fromisoformat(start).replace(tzinfo=None)
        except ValueError:
            raise DataJointExportError(f"session {session}: session_start_time {start!r} is not "
                                       "an ISO 8601 date and time") from None
    sex = _text(meta.get("sex")) or "U"
    if sex not in ("M", "F", "U", "O"):
        raise DataJointExportError(f"session {session}: sex {sex!r} is not one of M, F, U, O")
    people = meta.get("experimenter") or []
    experimenter = people if isinstance(people, str) else "; ".join(map(str, people))
    subject = _text(meta.get("subject_id"))
    return {
        "subject": {"subject": subject, "species": _text(meta.get("species")), "sex": sex,
                    "genotype": _text(meta.get("genotype")), "strain": _text(meta.get("strain")),
                    "subject_description": _text(meta.get("subject_description"))}
        if subject else None,
        "session": {"session": session, "subject": subject or None, "session_datetime": when,
                    "session_description": _text(meta.get("session_description")),
                    "experimenter": _text(experimenter), "age": _text(meta.get("age"))},
    }


def _mtime(path: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(os.stat(path).st_mtime))


def _pose_rows(session: str, kind: str, path: str, bodyparts, fps: float) -> tuple[dict, list]:
    from ethoflow.io.dlc import pose_arrays, read_pose_table

    df = read_pose_table(path)
    try:
        parts, xy, likelihood = pose_arrays(df, list(bodyparts))
    except FileFormatError as err:
        raise FileFormatError(f"{path}: {err}") from None
    n = len(df)
    if likelihood is None:
        likelihood = np.full((n, len(parts)), np.nan)
    frames = np.arange(n, dtype=np.int64)
    master = {"session": session, "pose_kind": kind,
              "scorer": str(df.columns.get_level_values("scorer")[0]), "nframes": n,
              "fps": float(fps), "pose_file": str(path), "pose_time": _mtime(path)}
    parts_rows = [{"session": session, "pose_kind": kind, "body_part": bp, "frame_index": frames,
                   "x_pos": xy[:, i, 0], "y_pos": xy[:, i, 1], "likelihood": likelihood[:, i]}
                  for i, bp in enumerate(parts)]
    return master, parts_rows


def _face_rows(session: str, face_h5: str, face_video: Mapping, device: str) -> dict:
    from ethoflow.face.io import pixel_ranges, read_face

    face = read_face(face_h5)
    key = {"session": session, "recording_id": 0}
    task = {**key, "facemap_task_id": 0}
    try:
        params = json.loads(face["attrs"].get("params", "{}"))
    except (TypeError, ValueError):
        params = {}
    params["sbin"] = int(face["sbin"])
    fps = float(face_video["fps"])
    nframes = int(face_video["nframes"])
    rows: dict[str, list] = {
        "VideoRecording": [{**key, "device": device}],
        "VideoRecording.File": [{**key, "file_id": 0, "file_path": str(face_video["path"])}],
        "RecordingInfo": [{**key, "px_height": int(face_video["height"]),
                           "px_width": int(face_video["width"]), "nframes": nframes,
                           "fps": round(fps), "recording_duration": nframes / fps}],
        "FacemapTask": [{**task, "facemap_output_dir": str(Path(face_h5).parent),
                         "task_mode": "load", "facemap_params": params,
                         "do_mot_svd": bool(face.get("motSVD")),
                         "do_mov_svd": bool(face.get("movSVD")),
                         "task_description": "ethoflow's face stage"}],
        "FacemapProcessing": [{**task, "processing_time": _mtime(face_h5),
                               "package_version": __version__[:16]}],
        "FacialSignal": [dict(task)],
        "FacialSignal.Region": [], "FacialSignal.MotionSVD": [], "FacialSignal.MovieSVD": [],
        "FacialSignal.Summary": [{**task, "sbin": int(face["sbin"]), "avgframe": face["avgframe"],
                                  "avgmotion": face["avgmotion"]}],
    }
    numbered = [r for r in face["rois"] if r["name"] != "full"]
    regions = [(FULL_FRAME_ROI, r) for r in face["rois"] if r["name"] == "full"]
    regions += list(enumerate(numbered))
    for roi_no, r in regions:
        name = r["name"]
        if len(name) > 16:
            raise FileFormatError(f"{face_h5}: ROI name {name!r} is longer than element-facemap's "
                                  "roi_name (16 characters); shorten it in face.rois")
        region = {**task, "roi_no": roi_no}
        motion = face.get("motion", {}).get(name)
        if motion is None:
            raise FileFormatError(f"{face_h5}: no motion energy for ROI {name!r}")
        if len(motion) != nframes:
            raise FileFormatError(f"{face_h5}: ROI {name!r} has {len(motion)} frames of motion "
                                  f"energy, the face video {face_video['path']} {nframes}")
        rows["FacialSignal.Region"].append({**region, "roi_name": name, **pixel_ranges(r),
                                            "motion": np.asarray(motion)})
        for table, svd, mask, sv, mask_name in (
                ("FacialSignal.MotionSVD", "motSVD", "motMask", "motSv", "motmask"),
                ("FacialSignal.MovieSVD", "movSVD", "movMask", "movSv", "movmask")):
            if name not in (face.get(svd) or {}):
                continue
            proj, masks, values = face[svd][name], face[mask][name], face[sv][name]
            rows[table] += [{**region, "pc_no": i, "singular_value": float(values[i]),
                             mask_name: masks[:, :, i], "projection": proj[:, i]}
                            for i in range(proj.shape[1])]
    return rows


def _behaviour_rows(session: str, embedding_h5: str | None, segmentation_h5: str | None,
                    nframes: int) -> dict:
    from ethoflow.behaviour.io import bouts, read_embedding, read_segmentation

    rows: dict[str, list] = {}
    if embedding_h5:
        latent = np.asarray(read_embedding(embedding_h5)["latent_vector"])
        if len(latent) != nframes:
            raise FileFormatError(f"{embedding_h5}: {len(latent)} frames, the session {nframes}")
        rows["LatentEmbedding"] = [{"session": session, "nframes": len(latent),
                                    "zdims": int(latent.shape[1]), "latent_vector": latent,
                                    "embedding_file": str(embedding_h5)}]
    if segmentation_h5:
        seg = read_segmentation(segmentation_h5)
        labels = np.asarray(seg["labels"], np.int64)
        if len(labels) != nframes:
            raise FileFormatError(f"{segmentation_h5}: {len(labels)} frames, the session {nframes}")
        n = int(seg["attrs"]["n_clusters"])
        rows["MotifSegmentation"] = [{"session": session, "method": str(seg["attrs"]["method"]),
                                      "n_motifs": n, "labels": labels,
                                      "segmentation_file": str(segmentation_h5)}]
        runs = bouts(labels)
        labelled = max(int((labels >= 0).sum()), 1)
        motifs = []
        for m in range(n):
            lengths = [b - a for k, a, b in runs if k == m]
            motifs.append({"session": session, "motif": m, "usage_frames": int(sum(lengths)),
                           "usage": sum(lengths) / labelled, "n_bouts": len(lengths),
                           "median_bout_frames": float(np.median(lengths)) if lengths else None})
        rows["MotifSegmentation.Motif"] = motifs
    return rows


def session_rows(session: str, inputs: Mapping[str, str], config: Mapping,
                 sheet_meta: Mapping | None = None) -> dict[str, list[dict]]:
    """Every row one session puts in the database, by table (``Master.Part`` for parts).

    Parameters
    ----------
    session
        The session's name.
    inputs
        ``record`` (the discovery JSON), and where the run made them ``raw``, ``filtered``,
        ``calibrated`` (pose tables), ``face``, ``embedding``, ``segmentation`` — as for the
        NWB export.
    config
        The config slice with ``export.nwb.metadata``, ``export.datajoint`` and
        ``pose.bodyparts``.
    sheet_meta
        The session's metadata cells from the sample sheet.

    Raises
    ------
    FileFormatError
        An input that does not fit the session (frame count, bodyparts), named by file.
    DataJointExportError
        Metadata the tables cannot take.
    """
    with open(inputs["record"]) as fh:
        record = json.load(fh)
    video = record["video"]
    nframes = int(video["nframes"])
    meta = session_metadata(session, config["export"]["nwb"]["metadata"], sheet_meta)
    rows: dict[str, list] = {"Subject": [meta["subject"]] if meta["subject"] else [],
                             "Session": [meta["session"]]}
    poses, parts = [], []
    for kind in ("raw", "filtered", "calibrated"):
        if inputs.get(kind):
            master, positions = _pose_rows(session, kind, inputs[kind], config["pose"]["bodyparts"],
                                           video["fps"])
            if master["nframes"] != nframes:
                raise FileFormatError(f"{inputs[kind]}: {master['nframes']} frames, the video "
                                      f"{video['path']} {nframes}")
            poses.append(master)
            parts += positions
    if poses:
        rows["BodyPart"] = [{"body_part": bp} for bp in config["pose"]["bodyparts"]]
        rows["PoseEstimation"], rows["PoseEstimation.BodyPartPosition"] = poses, parts
    if inputs.get("face"):
        face_video = record.get("face_video") or video
        device = "camera" if face_video["path"] == video["path"] else "face camera"
        rows["Device"] = [{"device": device, "device_description": DEVICES[device]}]
        rows.update(_face_rows(session, inputs["face"], face_video, device))
    rows.update(_behaviour_rows(session, inputs.get("embedding"), inputs.get("segmentation"),
                                nframes))
    return rows


# ---- into the database ------------------------------------------------------------------

#: Rows shared between sessions: inserted if new, never deleted with a session.
SHARED = ("Subject", "Device", "BodyPart")


@contextmanager
def database_lock(connection, prefix: str, timeout: float):
    """Hold the server's named lock ``<prefix>ingest`` (MySQL/MariaDB ``GET_LOCK``): jobs that
    declare the schemas or replace a session's rows take turns, wherever they run. The same
    connection may take it again inside (the server counts). Waiting is logged each minute."""
    name = f"{prefix}ingest"
    waited = 0.0
    while True:
        wait = min(60.0, timeout - waited)
        got = connection.query("SELECT GET_LOCK(%s, %s)", args=(name, wait)).fetchone()[0]
        if got == 1:
            break
        waited += wait
        if waited >= timeout:
            raise DataJointExportError(
                f"other ingestions held the database lock {name!r} for {timeout:.0f} s; no "
                "rows were written (raise export.datajoint.lock_timeout_s)")
        log.info("waiting for the database lock %r (%.0f s so far)", name, waited)
    try:
        yield
    finally:
        released = connection.query("SELECT RELEASE_LOCK(%s)", args=(name,)).fetchone()[0]
        if released != 1:  # a reconnect in between drops the server's locks
            log.warning("the database lock %r was not held at the end (the connection was "
                        "re-established?)", name)


def _insert(table, rows: list[dict], **kwargs) -> None:
    """Insert ``rows`` in statements of about :data:`INSERT_BYTES`."""
    size = sum(v.nbytes if isinstance(v, np.ndarray) else 64 for v in rows[0].values())
    table.insert(rows, chunk_size=max(1, INSERT_BYTES // max(size, 1)), **kwargs)


def ingest_session(pipeline: Pipeline, session: str, rows: Mapping[str, list],
                   lock_timeout: float = 3600.0) -> dict[str, int]:
    """Replace one session's rows: delete them (every table, by cascade from ``Session``) and
    insert ``rows``, in one transaction; a failure rolls everything back.

    Returns
    -------
    dict
        Rows inserted per table (``Master.Part`` for parts).
    """
    tables = pipeline.tables
    counts: dict[str, int] = {}
    with database_lock(pipeline.connection, pipeline.prefix, lock_timeout), \
            pipeline.connection.transaction:
        for name in SHARED:
            if rows.get(name):
                _insert(tables[name], rows[name], skip_duplicates=True)
        (tables["Session"] & {"session": session}).delete(transaction=False, prompt=False)
        for name, table in pipeline.session_tables().items():
            if rows.get(name):
                _insert(table, rows[name], allow_direct_insert=True)
                counts[name] = len(rows[name])
    return counts


def export_session(session: str, inputs: Mapping[str, str], output: str | os.PathLike,
                   config: Mapping, sheet_meta: Mapping | None = None) -> dict[str, int]:
    """The rule ``export_datajoint``: one session's results into the database, then a JSON
    receipt (the database, schemas and rows per table) written only once they are committed."""
    settings = config["export"]["datajoint"]
    started = time.perf_counter()
    rows = session_rows(session, inputs, config, sheet_meta)
    conn = connect(settings)
    timeout = float(settings.get("lock_timeout_s", 3600))
    try:  # parallel jobs declare in turn, too
        with database_lock(conn, settings["schema_prefix"], timeout):
            pipeline = declare(conn, settings["schema_prefix"])
            counts = ingest_session(pipeline, session, rows, timeout)
    finally:
        conn.close()
    info = conn.conn_info
    log.info("%s: %d rows in %d tables replaced in %s@%s:%s in %.1f s", session,
             sum(counts.values()), len(counts), info["user"], info["host"], info["port"],
             time.perf_counter() - started)
    write_json({"session": session, "database": f"{info['host']}:{info['port']}",
                "schemas": schema_names(settings["schema_prefix"]), "rows": counts,
                "ethoflow_version": __version__}, output)
    return counts
