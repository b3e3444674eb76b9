"""The database schema: element-facemap's tables, and pose and motif tables for our other stages.

Three schemas, named ``<prefix>session``, ``<prefix>facemap`` and ``<prefix>behavior``:

- ``session``: ``Subject``, ``Session`` (one row per ethoflow session, keyed by its name) and
  ``Device`` — the upstream tables element-facemap's ``VideoRecording`` links to.
- ``facemap``: element-facemap 0.1.7's tables with its attribute names, primary keys, defaults
  and comments (``VideoRecording`` + ``File``, ``RecordingInfo``, ``FacemapTask``,
  ``FacemapProcessing``, ``FacialSignal`` with ``Region``, ``MotionSVD``, ``MovieSVD`` and
  ``Summary``), so that queries written for element-facemap run on ethoflow's database. Two
  departures, both forced by DataJoint 2: arrays are ``<blob>`` (DataJoint 2 stores raw bytes in
  a native ``longblob`` and refuses arrays; ``<blob>`` is a ``longblob`` column holding
  DataJoint's own serialisation, as element-facemap's columns do under DataJoint 0.14), and
  numbers use DataJoint 2's core types of the same MySQL type (``int32`` is ``int``,
  ``float32`` is ``float``, ``int16`` is ``smallint``).
- ``behavior``: ``BodyPart``, ``PoseEstimation`` (one row per session and pose kind: raw,
  filtered, calibrated) with ``BodyPartPosition`` (element-deeplabcut's part table and
  names), ``LatentEmbedding`` and ``MotifSegmentation`` with ``Motif``.

Tables are declared by :func:`declare` on a connection, not at import, so that one process can
use several databases or prefixes (the tests do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Pipeline", "declare", "schema_names"]

#: Schema name suffixes, in dependency order.
SCHEMAS = ("session", "facemap", "behavior")


def schema_names(prefix: str) -> dict[str, str]:
    """``{"session": "<prefix>session", ...}``."""
    return {name: f"{prefix}{name}" for name in SCHEMAS}


@dataclass(frozen=True)
class Pipeline:
    """The declared tables, by name, and the connection they live on."""

    connection: Any
    prefix: str
    schemas: dict
    tables: dict

    def __getattr__(self, name: str):
        try:
            return self.tables[name]
        except KeyError:
            raise AttributeError(name) from None

    def session_tables(self) -> dict:
        """Every table (parts too) that holds per-session rows, by qualified name, in
        dependency order (masters before their parts)."""
        out = {}
        for name, table in self.tables.items():
            if name in ("Subject", "Device", "BodyPart"):
                continue
            out[name] = table
            for part_name, part in _parts(table):
                out[f"{name}.{part_name}"] = part
        return out


def _parts(table) -> list:
    return [(name, getattr(table, name)) for name in getattr(table, "_ethoflow_parts", ())]


def declare(connection, prefix: str = "ethoflow_") -> Pipeline:
    """Declare (or attach to) the three schemas on ``connection`` and return their tables.

    Creating a schema or a table that exists is a no-op; a table whose definition differs from
    the one in the database keeps the database's (DataJoint compares names only).
    """
    import datajoint as dj

    names = schema_names(prefix)
    context: dict = {}
    session = dj.Schema(names["session"], context, connection=connection)

    @session
    class Subject(dj.Manual):
        definition = """
        # an animal
        subject                     : varchar(64)
        ---
        species=''                  : varchar(64)   # Latin binomial, e.g. Mus musculus
        sex='U'                     : enum('M', 'F', 'U', 'O')
        genotype=''                 : varchar(255)
        strain=''                   : varchar(255)
        subject_description=''      : varchar(1024)
        """

    context["Subject"] = Subject

    @session
    class Session(dj.Manual):
        definition = """
        # an ethoflow session: a row of the sample sheet
        session                     : varchar(64)   # the session's name in the workflow
        ---
        -> [nullable] Subject
        session_datetime=null       : datetime      # start, local time as the sheet gives it
        session_description=''      : varchar(1024)
        experimenter=''             : varchar(255)  # 'Last, First'; several separated by ';'
        age=''                      : varchar(32)   # the subject's age, ISO 8601 duration
        ingested=CURRENT_TIMESTAMP  : datetime      # when ethoflow last wrote the session's rows
        """

    context["Session"] = Session

    @session
    class Device(dj.Lookup):
        definition = """
        # a camera
        device                      : varchar(32)
        ---
        device_description=''       : varchar(255)
        """

    context["Device"] = Device

    facemap = dj.Schema(names["facemap"], context, connection=connection)

    @facemap
    class VideoRecording(dj.Manual):
        definition = """
        # video recorded in an experiment session for Facemap analysis
        -> Session
        recording_id                : int32
        ---
        -> Device
        """

        class File(dj.Part):
            definition = """
            -> master
            file_id     : int16
            ---
            file_path   : varchar(255)  # filepath of video, relative to root directory
            """

    VideoRecording._ethoflow_parts = ("File",)
    context["VideoRecording"] = VideoRecording

    @facemap
    class RecordingInfo(dj.Imported):
        definition = """
        # information extracted from video file
        -> VideoRecording
        ---
        px_height             : int32     # height in pixels
        px_width              : int32     # width in pixels
        nframes               : int32     # number of frames
        fps                   : int32     # frames per second in Hz
        recording_duration    : float32   # video duration in seconds
        recording_time = NULL : datetime  # time at the beginning of the recording
        """

    context["RecordingInfo"] = RecordingInfo

    @facemap
    class FacemapTask(dj.Manual):
        definition = """
        # Staging table for pairing of recording and Facemap parameters before processing.
        -> VideoRecording
        facemap_task_id             : int16
        ---
        facemap_output_dir=''       : varchar(255)  # output directory - storing the results of Facemap analysis
        task_mode='load'            : enum('load', 'trigger')
        facemap_params              : <blob>  # content of facemap's _proc.npy as dict
        do_mot_svd=1                : bool
        do_mov_svd=0                : bool
        task_description=''         : varchar(128)
        """

    context["FacemapTask"] = FacemapTask

    @facemap
    class FacemapProcessing(dj.Computed):
        definition = """
        # Processing Procedure
        -> FacemapTask
        ---
        processing_time     : datetime  # time of generation of the facemap results
        package_version=''  : varchar(16)
        """

    context["FacemapProcessing"] = FacemapProcessing

    @facemap
    class FacialSignal(dj.Imported):
        definition = """
        # Facemap results
        -> FacemapProcessing
        """

        class Region(dj.Part):
            definition = """
            -> master
            roi_no        : int32       # Region number
            ---
            roi_name=''   : varchar(16) # user-friendly name of the roi
            xrange        : <blob>      # 1d np.array - x pixel indices
            yrange        : <blob>      # 1d np.array - y pixel indices
            xrange_bin    : <blob>      # 1d np.array - binned x pixel indices
            yrange_bin    : <blob>      # 1d np.array - binned y pixel indices
            motion        : <blob>      # 1d np.array - absolute motion energies (nframes)
            """

        class MotionSVD(dj.Part):
            definition = """
            -> master.Region
            pc_no               : int32       # principle component (PC) number
            ---
            singular_value=null : float32     # singular value corresponding to the PC
            motmask             : <blob>      # PC (y, x)
            projection          : <blob>      # projections onto the principle component (nframes)
            """

        class MovieSVD(dj.Part):
            definition = """
            -> master.Region
            pc_no               : int32       # principle component (PC) number
            ---
            singular_value=null : float32     # singular value corresponding to the PC
            movmask             : <blob>      # PC (y, x)
            projection          : <blob>      # projections onto the principle component (nframes)
            """

        class Summary(dj.Part):
            definition = """
            -> master
            ---
            sbin          : int32       # spatial bin size
            avgframe      : <blob>      # 2d np.array - average binned frame
            avgmotion     : <blob>      # 2d nd.array - average binned motion frame
            """

    FacialSignal._ethoflow_parts = ("Region", "MotionSVD", "MovieSVD", "Summary")
    context["FacialSignal"] = FacialSignal

    behavior = dj.Schema(names["behavior"], context, connection=connection)

    @behavior
    class BodyPart(dj.Lookup):
        definition = """
        body_part                   : varchar(32)
        ---
        body_part_description=''    : varchar(1024)
        """

    context["BodyPart"] = BodyPart

    @behavior
    class PoseEstimation(dj.Imported):
        definition = """
        # a session's pose table (DeepLabCut's layout): raw network output, filtered or calibrated
        -> Session
        pose_kind                   : enum('raw', 'filtered', 'calibrated')
        ---
        scorer                      : varchar(255)  # the DLC table's scorer
        nframes                     : int32
        fps                         : float64       # the video's frame rate
        pose_file                   : varchar(255)  # the table, relative to the project
        pose_time                   : datetime      # when the table was written
        """

        class BodyPartPosition(dj.Part):
            definition = """
            -> master
            -> BodyPart
            ---
            frame_index                 : <blob>    # frame number of each row (0-based)
            x_pos                       : <blob>    # x in pixels (NaN where missing)
            y_pos                       : <blob>    # y in pixels (NaN where missing)
            likelihood                  : <blob>    # the network's confidence, 0..1
            """

    PoseEstimation._ethoflow_parts = ("BodyPartPosition",)
    context["PoseEstimation"] = PoseEstimation

    @behavior
    class LatentEmbedding(dj.Imported):
        definition = """
        # per frame, the RNN-VAE's latent vector (VAME's latent_vector)
        -> Session
        ---
        nframes                     : int32
        zdims                       : int32
        latent_vector               : <blob>        # nframes x zdims, NaN where a frame has none
        embedding_file              : varchar(255)
        """

    context["LatentEmbedding"] = LatentEmbedding

    @behavior
    class MotifSegmentation(dj.Imported):
        definition = """
        # a session's behavioural motifs
        -> Session
        ---
        method                      : varchar(16)   # segment.method: kmeans, hmm, arhmm
        n_motifs                    : int32
        labels                      : <blob>        # per frame, the motif; -1 where none
        segmentation_file           : varchar(255)
        """

        class Motif(dj.Part):
            definition = """
            -> master
            motif                       : int32
            ---
            usage_frames                : int32     # frames in this motif
            usage                       : float32   # fraction of labelled frames
            n_bouts                     : int32     # runs of consecutive frames
            median_bout_frames=null     : float32   # median run length (null if unused)
            """

    MotifSegmentation._ethoflow_parts = ("Motif",)
    context["MotifSegmentation"] = MotifSegmentation

    return Pipeline(connection=connection, prefix=prefix,
                    schemas={"session": session, "facemap": facemap, "behavior": behavior},
                    tables=dict(context))
