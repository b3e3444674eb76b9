"""One NWB file per session: the video by reference, pose, face motion and behaviour.

The file follows the conventions that DANDI and its tools read:

- ``acquisition``: the behaviour video (``video``) and the face video (``face_video``, when
  the session has its own) as external-file ``ImageSeries`` (a path relative to the NWB
  file, the frame rate, and ``dimension`` = width, height); nothing is copied.
- ``processing["behavior"]``: pose as ``ndx-pose`` ``PoseEstimation`` objects, one
  ``PoseEstimationSeries`` per bodypart (x, y in pixels of the video, the network's
  likelihood as ``confidence``), linked to a ``Skeleton`` and to the source video:
  ``PoseEstimation`` holds the network's raw output (what ``movement`` and DeepLabCut's
  converters read by default), ``PoseEstimationFiltered`` and ``PoseEstimationCalibrated``
  the filtered and calibrated tables where the run made them. Then the face stage
  (``FaceMotionEnergy``, ``FaceMotionSVD``, ``FaceMovieSVD`` as ``BehavioralTimeSeries``
  with one series per ROI; ``FaceROIs`` the regions; ``FaceMotionMasks_<roi>`` and
  ``FaceMovieMasks_<roi>`` one row per component with its singular value and mask;
  ``FaceAverages`` the average frame and motion), and the behaviour stage
  (``LatentVectors`` and ``Motifs``, one row per frame).

Times come from the video's frame rate (``rate``, ``starting_time`` 0) unless the session
supplies one timestamp per frame.

Examples
--------
>>> meta = session_metadata("mouse1_day1", {"session_start_time": "2024-03-01T10:00:00+01:00",
...                                         "subject_id": "mouse1"})
>>> meta["session_start_time"].isoformat()
'2024-03-01T10:00:00+01:00'
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ethoflow import __version__
from ethoflow.exceptions import ConfigError, FileFormatError
from ethoflow.io.files import atomic_path
from ethoflow.sessions.sources import METADATA_COLUMNS

log = logging.getLogger(__name__)

__all__ = [
    "METADATA_KEYS",
    "POSE_NAMES",
    "SHEET_COLUMNS",
    "NWBMetadataError",
    "export_session",
    "read_pose_nwb",
    "session_metadata",
    "write_session_nwb",
]


class NWBMetadataError(ConfigError):
    """Session metadata that NWB (or DANDI's best practices) cannot take, named by session."""


#: What ``export.nwb.metadata`` may hold (the sample sheet's columns override it per session).
METADATA_KEYS = (
    "session_description", "session_start_time", "experiment_description", "experimenter",
    "lab", "institution", "keywords", "subject_id", "species", "sex", "age", "genotype",
    "strain", "subject_description",
)
#: The sample sheet's optional metadata columns (one value per session).
SHEET_COLUMNS = METADATA_COLUMNS
#: Pose kind -> the name of its PoseEstimation object in ``processing["behavior"]``.
POSE_NAMES = {
    "raw": "PoseEstimation",
    "filtered": "PoseEstimationFiltered",
    "calibrated": "PoseEstimationCalibrated",
}
_POSE_WORDS = {
    "raw": "the pose network's output",
    "filtered": "the pose filtered (outliers below the likelihood bound interpolated, smoothed)",
    "calibrated": "the pose smoothed with the calibrated keypoint-error model",
}
_SEXES = {"M", "F", "U", "O"}
# ISO 8601 duration (NWB's age), e.g. P90D, P12W, P3M, or a range P90D/P100D
_DURATION = r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
_AGE = re.compile(rf"^{_DURATION}(/({_DURATION})?)?$")
_SPECIES = re.compile(r"^[A-Z][a-z]+ [a-z]+( [a-z]+)?$")
_EXPERIMENTER = re.compile(r"^[^,]+, [^,]+$")
_REFERENCE_FRAME = "(0, 0) is the top-left corner of the video frame; x points right, y down (pixels)"


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _list(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def session_metadata(session: str, defaults: Mapping, sheet_row: Mapping | None = None) -> dict:
    """One session's NWB metadata: the config's defaults, overridden by its sample sheet row.

    Parameters
    ----------
    session
        The session's name (in every error message).
    defaults
        ``export.nwb.metadata`` (keys in :data:`METADATA_KEYS`).
    sheet_row
        The session's non-empty metadata cells from the sample sheet (keys in
        :data:`SHEET_COLUMNS`); ``experimenter`` there is a ``;``-separated list, and
        ``timestamps`` a file of one time (s) per frame.

    Returns
    -------
    dict
        The keys of :data:`METADATA_KEYS`, with ``session_start_time`` a timezone-aware
        :class:`datetime.datetime` and ``experimenter``/``keywords`` lists.

    Raises
    ------
    NWBMetadataError
        A missing or naive ``session_start_time``; a ``sex``, ``age``, ``species`` or
        ``experimenter`` in a form NWB's best practices reject; an unknown key.
    """
    unknown = sorted(set(defaults) - set(METADATA_KEYS))
    if unknown:
        raise NWBMetadataError(f"export.nwb.metadata: unknown key(s) {', '.join(unknown)}; "
                               f"allowed: {', '.join(METADATA_KEYS)}")
    meta = {k: defaults.get(k) for k in (*METADATA_KEYS, "timestamps")}
    for key, value in (sheet_row or {}).items():
        if key not in SHEET_COLUMNS:
            raise NWBMetadataError(f"session {session}: sample sheet column {key!r} is not NWB "
                                   f"metadata (allowed: {', '.join(SHEET_COLUMNS)})")
        if _text(value):
            meta[key] = value
    where = f"session {session}"
    start = _text(meta["session_start_time"])
    if not start:
        raise NWBMetadataError(
            f"{where}: NWB needs a session_start_time; give it in the sample sheet's "
            "session_start_time column or in export.nwb.metadata.session_start_time, as ISO 8601 "
            "with a time zone (e.g. 2024-03-01T10:00:00+01:00)")
    try:
        when = dt.datetime.fromisoformat(start)
    except ValueError:
        raise NWBMetadataError(f"{where}: session_start_time {start!r} is not an ISO 8601 date "
                               "and time (e.g. 2024-03-01T10:00:00+01:00)") from None
    if when.tzinfo is None:
        raise NWBMetadataError(f"{where}: session_start_time {start!r} has no time zone; NWB "
                               f"needs one: write e.g. {start}+01:00, or {start}Z for UTC")
    meta["session_start_time"] = when
    meta["session_description"] = _text(meta["session_description"]) or f"ethoflow session {session}"
    meta["experimenter"] = _list(meta["experimenter"])
    meta["keywords"] = _list(meta["keywords"])
    for person in meta["experimenter"]:
        if not _EXPERIMENTER.match(person):
            raise NWBMetadataError(f"{where}: experimenter {person!r} is not in the form "
                                   "'Last, First' (NWB's convention; separate several with ';')")
    sex = _text(meta["sex"]) or "U"
    if sex not in _SEXES:
        raise NWBMetadataError(f"{where}: sex {sex!r} is not one of {', '.join(sorted(_SEXES))} "
                               "(M male, F female, U unknown, O other)")
    meta["sex"] = sex
    age = _text(meta["age"])
    if age and not _AGE.match(age):
        raise NWBMetadataError(f"{where}: age {age!r} is not an ISO 8601 duration "
                               "(e.g. P90D for 90 days, P12W for 12 weeks)")
    species = _text(meta["species"])
    if species and not _SPECIES.match(species):
        raise NWBMetadataError(f"{where}: species {species!r} is not a Latin binomial "
                               "(e.g. Mus musculus)")
    if _text(meta["subject_id"]) and not age:
        raise NWBMetadataError(f"{where}: subject {_text(meta['subject_id'])} has no age; NWB's "
                               "inspector (and DANDI) need one: set export.nwb.metadata.age or "
                               "the sheet's age column, an ISO 8601 duration (e.g. P90D)")
    for key in ("age", "species", "subject_id", "genotype", "strain", "subject_description",
                "experiment_description", "lab", "institution", "timestamps"):
        meta[key] = _text(meta[key]) or None
    return meta


def _identifier(session: str, start: dt.datetime) -> str:
    """The same session and start time give the same identifier (reruns write equal files)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ethoflow:{session}:{start.isoformat()}"))


def _timestamps(path: str | None, nframes: int, session: str) -> np.ndarray | None:
    if not path:
        return None
    try:
        times = np.loadtxt(path, dtype=float, ndmin=1, comments="#", delimiter=",")
    except (OSError, ValueError) as err:
        raise FileFormatError(f"{path}: session {session}'s timestamps are not one number per "
                              f"line ({err})") from None
    times = times.reshape(-1) if times.ndim == 1 else times[:, -1]
    if len(times) != nframes:
        raise FileFormatError(f"{path}: {len(times)} timestamps for session {session}'s "
                              f"{nframes} frames")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise FileFormatError(f"{path}: session {session}'s timestamps must be finite and "
                              "increase")
    return times


def _relative(path: str, out: Path) -> str:
    return os.path.relpath(os.path.abspath(path), os.path.abspath(out.parent))


class _Clock:
    """The times of one video's frames, for every series sampled at them: the frame rate, or
    per-frame timestamps, which the first series stores and the others link to."""

    def __init__(self, fps: float, nframes: int, times: np.ndarray | None = None) -> None:
        self.fps, self.nframes, self.times = float(fps), int(nframes), times
        self.first = None

    def check(self, n: int, what: str) -> None:
        if n != self.nframes:
            raise FileFormatError(f"{what}: {n} rows, but the video has {self.nframes} frames")

    def kwargs(self) -> dict:
        if self.times is None:
            return {"rate": self.fps, "starting_time": 0.0}
        return {"timestamps": self.first if self.first is not None else self.times}

    def took(self, series):
        if self.times is not None and self.first is None:
            self.first = series
        return series


def _video_series(name: str, record: Mapping, out: Path, description: str, clock: _Clock):
    from pynwb.image import ImageSeries

    return ImageSeries(
        name=name, description=description, external_file=[_relative(record["path"], out)],
        starting_frame=[0], format="external", dimension=[int(record["width"]),
                                                          int(record["height"])],
        unit="n.a.", num_samples=int(record["nframes"]), **clock.kwargs(),
    )


def _pose_estimation(kind: str, table_path: str, bodyparts: Sequence[str], skeleton,
                     source_video, clock: _Clock):
    from ndx_pose import PoseEstimation, PoseEstimationSeries

    from ethoflow.io.dlc import pose_arrays, read_pose_table

    df = read_pose_table(table_path)
    try:
        _, xy, likelihood = pose_arrays(df, list(bodyparts))
    except FileFormatError as err:
        raise FileFormatError(f"{table_path}: {err}") from None
    clock.check(len(xy), table_path)
    if likelihood is None:
        raise FileFormatError(f"{table_path}: no likelihood column (a labels table, not pose)")
    scorer = str(df.columns.get_level_values("scorer")[0])
    series = []
    for j, part in enumerate(bodyparts):
        series.append(clock.took(PoseEstimationSeries(
            name=part, description=f"{part}: {_POSE_WORDS[kind]}", data=xy[:, j],
            unit="pixels", reference_frame=_REFERENCE_FRAME, confidence=likelihood[:, j],
            confidence_definition="likelihood: the peak of the network's heatmap (0-1), as in "
                                  "DeepLabCut",
            **clock.kwargs(),
        )))
    return PoseEstimation(
        name=POSE_NAMES[kind], pose_estimation_series=series,
        description=f"{_POSE_WORDS[kind].capitalize()}, from {Path(table_path).name}.",
        scorer=scorer, source_software="ethoflow", source_software_version=__version__,
        skeleton=skeleton, source_video=source_video,
    )


def _face(module, face_h5: str, clock: _Clock, masks: bool) -> None:
    from hdmf.common import DynamicTable, VectorData
    from pynwb import TimeSeries
    from pynwb.base import Images
    from pynwb.behavior import BehavioralTimeSeries
    from pynwb.image import GrayscaleImage

    from ethoflow.face.io import read_face

    face = read_face(face_h5)
    names = [r["name"] for r in face["rois"]]
    sbin = face["sbin"]

    def series(name: str, data: np.ndarray, description: str, unit: str):
        clock.check(len(data), f"{face_h5} ({name})")
        return clock.took(TimeSeries(name=name, data=data, unit=unit, description=description,
                                     **clock.kwargs()))

    parts = {
        "FaceMotionEnergy": ("motion", ("motion energy of ROI {roi}: the summed absolute "
                                        "difference of consecutive binned frames (Facemap's "
                                        "'motion')"), "a.u."),
        "FaceMotionSVD": ("motSVD", ("motion SVD of ROI {roi}: the motion energy's projection "
                                     "on its principal components, frames x components "
                                     "(Facemap's 'motSVD')"), "a.u."),
        "FaceMovieSVD": ("movSVD", ("movie SVD of ROI {roi}: the frames' projection on their "
                                    "principal components, frames x components (Facemap's "
                                    "'movSVD')"), "a.u."),
    }
    for container, (key, words, unit) in parts.items():
        if not face.get(key):
            continue
        held = BehavioralTimeSeries(name=container)
        for roi in names:
            if roi in face[key]:
                held.add_timeseries(series(f"{key}_{roi}", face[key][roi],
                                           words.format(roi=roi), unit))
        module.add(held)
    rois = DynamicTable(name="FaceROIs", description=(
        f"Face regions: [x0, x1) x [y0, y1) in pixels of the face video, and in bins of "
        f"{sbin}x{sbin} pixels (Facemap's sbin)"))
    for col in ("x0", "x1", "y0", "y1", "xbin0", "xbin1", "ybin0", "ybin1"):
        rois.add_column(col, f"{col} of the region")
    rois.add_column("roi_name", "the region's name")
    rois.add_column("sbin", "spatial binning (pixels per bin side)")
    for r in face["rois"]:
        rois.add_row(**{k: r[k] for k in ("x0", "x1", "y0", "y1", "xbin0", "xbin1", "ybin0",
                                          "ybin1")}, roi_name=r["name"], sbin=sbin)
    module.add(rois)
    if masks:
        for key, sv_key, title, words in (("motMask", "motSv", "FaceMotionMasks", "motion"),
                                          ("movMask", "movSv", "FaceMovieMasks", "movie")):
            for roi in names:
                if roi not in face.get(key, {}):
                    continue
                mask = np.moveaxis(face[key][roi], -1, 0)  # components first: one row each
                sv = face[sv_key][roi]
                module.add(DynamicTable(
                    name=f"{title}_{roi}",
                    description=f"{words} SVD of ROI {roi}: one row per component, its "
                                f"singular value and its mask (binned pixels, Facemap's "
                                f"'{key}' with components first)",
                    columns=[VectorData(name="singular_value", data=sv,
                                        description="singular value"),
                             VectorData(name="mask", data=mask,
                                        description="spatial mask, bins y x")]))
    module.add(Images(name="FaceAverages", description="averages over the face video, binned",
                      images=[GrayscaleImage(name="avgframe", data=face["avgframe"],
                                             description="average binned frame"),
                              GrayscaleImage(name="avgmotion", data=face["avgmotion"],
                                             description="average binned motion energy")]))


def _behaviour(module, clock: _Clock, embedding_h5: str | None,
               segmentation_h5: str | None) -> None:
    from pynwb import TimeSeries

    from ethoflow.behaviour.io import read_embedding, read_segmentation

    def add(name: str, data: np.ndarray, description: str, path: str):
        clock.check(len(data), path)
        module.add(clock.took(TimeSeries(name=name, data=data, unit="n.a.",
                                         description=description, **clock.kwargs())))

    if embedding_h5:
        emb = read_embedding(embedding_h5)
        add("LatentVectors", np.asarray(emb["latent_vector"]),
            "per frame, the RNN-VAE encoder's mean for the time window centred on the frame "
            "(VAME's latent vectors)", embedding_h5)
    if segmentation_h5:
        seg = read_segmentation(segmentation_h5)
        attrs = seg["attrs"]
        add("Motifs", np.asarray(seg["labels"], np.int64),
            f"per frame, the behavioural motif (0..{int(attrs['n_clusters']) - 1}) from "
            f"segment.method {attrs['method']}; -1 where a frame has none", segmentation_h5)


def write_session_nwb(
    path: str | os.PathLike,
    session: str,
    metadata: Mapping,
    record: Mapping,
    *,
    bodyparts: Sequence[str],
    skeleton: Sequence[Sequence[str]] = (),
    poses: Mapping[str, str] | None = None,
    labeled_video: str | None = None,
    face_h5: str | None = None,
    face_masks: bool = True,
    embedding_h5: str | None = None,
    segmentation_h5: str | None = None,
) -> None:
    """Write one session's NWB file (written under a temporary name, then renamed).

    Parameters
    ----------
    path
        The ``.nwb`` file.
    session
        The session's name.
    metadata
        From :func:`session_metadata`.
    record
        The session's discovery record (``results/discover/<session>.json``): the videos'
        paths, frame rate, frame count and size.
    bodyparts, skeleton
        The config's bodyparts (the order of the series) and skeleton edges.
    poses
        Pose kind (``raw``, ``filtered``, ``calibrated``) -> DLC pose table.
    labeled_video
        The labelled video, linked from the raw pose.
    face_h5, face_masks
        The face stage's result file, and whether to store its SVD masks.
    embedding_h5, segmentation_h5
        The behaviour stage's per-session files.

    Raises
    ------
    FileFormatError
        An input whose frame count or bodyparts do not fit the session, named by file.
    """
    from ndx_pose import Skeleton, Skeletons
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.file import Subject

    out = Path(path)
    video = record["video"]
    nframes = int(video["nframes"])
    clock = _Clock(video["fps"], nframes,
                   _timestamps(metadata.get("timestamps"), nframes, session))
    start = metadata["session_start_time"]
    nwb = NWBFile(
        session_description=metadata["session_description"],
        identifier=_identifier(session, start), session_start_time=start,
        session_id=session, experimenter=metadata["experimenter"] or None,
        experiment_description=metadata.get("experiment_description"),
        lab=metadata.get("lab"), institution=metadata.get("institution"),
        keywords=metadata["keywords"] or None,
        source_script=f"ethoflow {__version__}", source_script_file_name="ethoflow",
    )
    subject = None
    if metadata.get("subject_id"):
        subject = Subject(subject_id=metadata["subject_id"], species=metadata.get("species"),
                          sex=metadata["sex"], age=metadata.get("age"),
                          genotype=metadata.get("genotype"), strain=metadata.get("strain"),
                          description=metadata.get("subject_description"))
        nwb.subject = subject
    source = _video_series("video", video, out, "the behaviour video (external file)", clock)
    nwb.add_acquisition(source)
    face_video = record.get("face_video") or video
    # the face video's own frames, unless it is the behaviour video or has as many frames
    face_clock = (clock if face_video["path"] == video["path"]
                  or int(face_video["nframes"]) == nframes and clock.times is not None
                  else _Clock(face_video["fps"], face_video["nframes"]))
    if face_video["path"] != video["path"]:
        nwb.add_acquisition(_video_series("face_video", face_video, out,
                                          "the face video (external file)", face_clock))
    labelled = None
    if labeled_video:
        labelled = _video_series("labeled_video", {**video, "path": labeled_video}, out,
                                 "the behaviour video with the raw pose drawn on it", clock)
        nwb.add_acquisition(labelled)
    module = nwb.create_processing_module("behavior", "ethoflow's pose, face motion and "
                                                      "behaviour results")
    if poses:
        edges = np.array([[list(bodyparts).index(a), list(bodyparts).index(b)]
                          for a, b in skeleton], dtype=np.uint8).reshape(-1, 2)
        skel = Skeleton(name="skeleton", nodes=list(bodyparts), edges=edges, subject=subject)
        module.add(Skeletons(skeletons=[skel]))
        for kind in ("raw", "filtered", "calibrated"):
            if poses.get(kind):
                pe = _pose_estimation(kind, poses[kind], bodyparts, skel, source, clock)
                if kind == "raw" and labelled is not None:
                    pe.labeled_video = labelled
                module.add(pe)
    if face_h5:
        _face(module, face_h5, face_clock, face_masks)
    _behaviour(module, clock, embedding_h5, segmentation_h5)
    with atomic_path(out) as tmp, NWBHDF5IO(str(tmp), "w") as io:
        io.write(nwb)
    log.info("%s: wrote %s", session, out)


def export_session(session: str, inputs: Mapping[str, str], output: str | os.PathLike,
                   config: Mapping, sheet_meta: Mapping | None = None) -> None:
    """The rule ``export_nwb``: one session's results (whatever the run made) into its NWB file.

    Parameters
    ----------
    session
        The session's name.
    inputs
        ``record`` (the discovery JSON), and where the run made them ``raw``, ``filtered``,
        ``calibrated`` (pose tables), ``labeled_video``, ``face``, ``embedding``,
        ``segmentation``.
    output
        The ``.nwb`` file.
    config
        The config slice with ``export.nwb``, ``pose.bodyparts`` and ``pose.skeleton``.
    sheet_meta
        The session's metadata cells from the sample sheet.
    """
    nwb_cfg = config["export"]["nwb"]
    meta = session_metadata(session, nwb_cfg["metadata"], sheet_meta)
    record_path = inputs["record"]
    with open(record_path) as fh:
        record = json.load(fh)
    poses = {k: inputs[k] for k in POSE_NAMES if inputs.get(k)}
    write_session_nwb(
        output, session, meta, record, bodyparts=config["pose"]["bodyparts"],
        skeleton=config["pose"]["skeleton"], poses=poses,
        labeled_video=inputs.get("labeled_video"), face_h5=inputs.get("face"),
        face_masks=nwb_cfg["face_masks"], embedding_h5=inputs.get("embedding"),
        segmentation_h5=inputs.get("segmentation"),
    )


def read_pose_nwb(path: str | os.PathLike, kind: str = "raw", any_single: bool = False):
    """A pose table (DLC layout) from an NWB file's ``PoseEstimation`` objects.

    Parameters
    ----------
    path
        An NWB file with ``processing["behavior"]`` holding ndx-pose ``PoseEstimation``.
    kind
        ``raw``, ``filtered`` or ``calibrated`` (ethoflow's names), or the name of any
        ``PoseEstimation`` object in the module.
    any_single
        When the file has no such object but exactly one ``PoseEstimation`` (another tool's
        name for it), read that one.

    Returns
    -------
    pandas.DataFrame
        Columns ``(scorer, bodyparts, coords)``, one row per frame.

    Raises
    ------
    FileFormatError
        No such file, no behaviour module or no such ``PoseEstimation`` in it.
    """
    from pynwb import NWBHDF5IO

    from ethoflow.io.dlc import pose_dataframe

    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: file not found")
    name = POSE_NAMES.get(kind, kind)
    io = None
    try:
        io = NWBHDF5IO(str(path), "r")
        nwb = io.read()
    except Exception as err:  # noqa: BLE001 (h5py and hdmf raise many kinds for a non-NWB file)
        if io is not None:
            io.close()
        raise FileFormatError(f"{path}: not a readable NWB file ({err})") from None
    with io:
        module = nwb.processing.get("behavior")
        found = [] if module is None else [k for k, v in module.data_interfaces.items()
                                           if type(v).__name__ == "PoseEstimation"]
        if name not in found and any_single and len(found) == 1:
            name = found[0]
        if name not in found:
            raise FileFormatError(f"{path}: no PoseEstimation {name!r} in processing['behavior'] "
                                  f"(has: {', '.join(found) or 'none'})")
        pe = module[name]
        parts = list(pe.pose_estimation_series)
        if pe.skeleton is not None and set(pe.skeleton.nodes[:]) == set(parts):
            parts = [str(p) for p in pe.skeleton.nodes[:]]  # the skeleton's order, not A-Z
        xy = np.stack([np.asarray(pe.pose_estimation_series[p].data, float) for p in parts], 1)
        conf = np.stack([
            np.asarray(pe.pose_estimation_series[p].confidence, float)
            if pe.pose_estimation_series[p].confidence is not None
            else np.ones(len(xy)) for p in parts], 1)
        scorer = pe.scorer or "nwb"
    return pose_dataframe(xy, conf, parts, scorer)
