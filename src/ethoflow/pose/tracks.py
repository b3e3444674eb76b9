"""Pose a lab already has: an existing pose file per session in place of a network's
analysis (the ``pose_import`` stage; ``pose.tracks`` or the sample sheet's ``pose`` column).

Read: DeepLabCut tables (``.h5`` with ``df_with_missing``, ``.csv``), SLEAP files (``.slp``,
or a SLEAP analysis ``.h5``) through ``movement``, and NWB files with ndx-pose
``PoseEstimation`` (the one named ``PoseEstimation``, else the only one), single animal.

The table is checked against the run -- every bodypart of ``pose.bodyparts`` present (any
order, extra ones dropped), a row per video frame -- and written as the session's raw pose
table, so filtering, the body checks, the embedding and the motifs read it as if a network
of ours had made it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.exceptions import FileFormatError
from ethoflow.io.dlc import pose_arrays, pose_dataframe, read_pose_table, write_pose_table
from ethoflow.sessions.discover import video_info

log = logging.getLogger(__name__)

__all__ = ["import_session", "import_tracks", "read_tracks"]


def _from_movement(ds, path: Path) -> pd.DataFrame:
    """A single-animal movement poses dataset as a DLC table."""
    individuals = [str(i) for i in ds.individuals.values]
    if len(individuals) != 1:
        raise FileFormatError(f"{path}: {len(individuals)} animals ({', '.join(individuals)}); "
                              "ethoflow's pose stages take one animal per session")
    ds = ds.isel(individuals=0)
    parts = [str(k) for k in ds.keypoints.values]
    xy = ds.position.transpose("time", "keypoints", "space").values[..., :2].astype(float)
    conf = ds.confidence.transpose("time", "keypoints").values.astype(float)
    scorer = str(ds.attrs.get("source_software") or "imported")
    return pose_dataframe(xy, conf, parts, scorer)


def _is_sleap_analysis(path: Path) -> bool:
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            return "tracks" in h5 and "node_names" in h5
    except OSError:
        return False


def read_tracks(path: str | os.PathLike) -> pd.DataFrame:
    """An existing pose file as a DLC table, whichever tool wrote it.

    Parameters
    ----------
    path
        A DeepLabCut table (``.h5``/``.csv``), a SLEAP ``.slp`` or analysis ``.h5``, or an NWB
        file with ndx-pose ``PoseEstimation``.

    Returns
    -------
    pandas.DataFrame
        Columns ``(scorer, bodyparts, coords)``, a row per frame.

    Raises
    ------
    FileFormatError
        Naming the file: unreadable, or more than one animal.
    """
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".nwb":
        from ethoflow.export.nwb import read_pose_nwb

        return read_pose_nwb(path, "raw", any_single=True)
    if suffix == ".slp" or (suffix == ".h5" and _is_sleap_analysis(path)):
        from movement.io import load_poses

        try:
            ds = load_poses.from_sleap_file(path)
        except Exception as err:  # noqa: BLE001 (movement and sleap-io raise many kinds)
            raise FileFormatError(f"{path}: not a readable SLEAP file ({err})") from None
        return _from_movement(ds, path)
    return read_pose_table(path)


def import_tracks(path: str | os.PathLike, bodyparts: Sequence[str], nframes: int,
                  tolerance: int = 0) -> pd.DataFrame:
    """An existing DLC pose table as the run's pose table.

    Parameters
    ----------
    path
        A pose file :func:`read_tracks` reads (single animal).
    bodyparts
        ``pose.bodyparts``: each must be in the table; they come out in this order.
    nframes
        The video's frame count (discovery's).
    tolerance
        Rows may differ from ``nframes`` by this many (a container that miscounts): missing
        rows at the end become NaN, extra ones are dropped, with a warning.

    Returns
    -------
    pandas.DataFrame
        The DLC table (its scorer kept), a row per frame ``0 .. nframes - 1``. A table
        without likelihoods gets 1 for every point it has (NaN where it has none).

    Raises
    ------
    FileFormatError
        Naming the file: not a single-animal pose file, a bodypart missing, or a row count
        that does not match the video.
    """
    df = read_tracks(path)
    scorer = str(df.columns.get_level_values("scorer")[0])
    have = list(dict.fromkeys(df.columns.get_level_values("bodyparts")))
    missing = [b for b in bodyparts if b not in have]
    if missing:
        raise FileFormatError(f"{path}: no {', '.join(missing)} (pose.bodyparts); the table has "
                              f"{', '.join(have)}")
    _, xy, lik = pose_arrays(df, list(bodyparts))
    if lik is None:
        log.warning("%s: no likelihoods: every point it has counts as certain (1)", path)
        lik = np.where(np.isfinite(xy).all(axis=-1), 1.0, np.nan)
    if abs(len(xy) - nframes) > tolerance:
        raise FileFormatError(f"{path}: {len(xy)} rows, but the video has {nframes} frames "
                              f"(discover.frame_count_tolerance {tolerance}): is it this video's table?")
    if len(xy) != nframes:
        log.warning("%s: %d rows for %d frames: %s", path, len(xy), nframes,
                    "rows past the video's end dropped" if len(xy) > nframes else "missing last rows left empty")
        pad = max(nframes - len(xy), 0)
        xy = np.concatenate([xy[:nframes], np.full((pad, *xy.shape[1:]), np.nan)])
        lik = np.concatenate([lik[:nframes], np.full((pad, lik.shape[1]), np.nan)])
    return pose_dataframe(xy, lik, list(bodyparts), scorer)


def import_session(tracks: str, video: str, record_json: str, out_h5: str, config: Mapping) -> pd.DataFrame:
    """The ``pose_import`` stage: one session's existing pose table, checked, as
    ``results/pose/{session}.h5``.

    Parameters
    ----------
    config
        The keys this stage reads: ``pose.bodyparts`` and ``discover.frame_count_tolerance``.
    """
    info = video_info(record_json, video)
    df = import_tracks(tracks, config["pose"]["bodyparts"], int(info["nframes"]),
                       int(config["discover"]["frame_count_tolerance"]))
    write_pose_table(df, out_h5)
    xy_ok = np.isfinite(df.xs("x", level="coords", axis=1).to_numpy())
    log.info("%s: %d frames of %s from %s (%.1f%% of points present)", Path(out_h5).name, len(df),
             ", ".join(config["pose"]["bodyparts"]), tracks, 100 * xy_ok.mean())
    return df
