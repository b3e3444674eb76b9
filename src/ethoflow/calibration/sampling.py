"""Frames to annotate for the error calibration (keypoint-MoSeq's ``sample_error_frames`` and
``load_sampled_frames``), as files: a sample list, the sampled frames and the annotation page.

Sampling follows keypoint-MoSeq 0.8.1: confidences (plus ``conf_pseudocount``) of every
session and bodypart are split into ``num_bins`` log-spaced bins between their minimum and
maximum, and ``num_samples // num_bins`` (session, frame, bodypart) triples are drawn from
each bin without replacement (all of a bin's triples where it has fewer), so
low-confidence detections, rare in a good pose table, are as well represented as confident
ones. keypoint-MoSeq draws from NumPy's global, unseeded generator (and its
``noise_calibration`` adds the pseudocount twice before binning); here the generator is
seeded from the config and the pseudocount is added once.

Pose rows may map to a subset of a video's frames (a trimmed or downsampled recording):
``video_frame_indexes`` gives, per session, the video frame of every pose row, as
keypoint-MoSeq's argument of that name does. :func:`calibration_sample` is the stage.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ethoflow.exceptions import EthoflowError
from ethoflow.io.dlc import pose_arrays, read_pose_table
from ethoflow.io.files import atomic_path, provenance, write_table
from ethoflow.io.video import iter_frame_chunks

log = logging.getLogger(__name__)

__all__ = ["calibration_sample", "cut_samples", "frame_indexes", "load_poses", "sample_error_frames"]

SAMPLE_COLUMNS = ["key", "coordinate_index", "video_frame_index", "bodypart", "x", "y", "confidence"]


def sample_error_frames(confidences: Mapping[str, np.ndarray], bodyparts: Sequence[str],
                        use_bodyparts: Sequence[str] | None = None, num_bins: int = 10,
                        num_samples: int = 100, conf_pseudocount: float = 1e-3,
                        seed: int = 0) -> list[tuple[str, int, str]]:
    """(session, pose row, bodypart) triples, enriched for low confidence.

    Parameters
    ----------
    confidences
        Per session, the ``(n_rows, n_bodyparts)`` confidences of its pose table.
    bodyparts
        The columns of the confidence arrays.
    use_bodyparts
        The bodyparts that may be drawn (default: all).

    Returns
    -------
    list of (str, int, str)
        In random order, as keypoint-MoSeq returns them.
    """
    rng = np.random.default_rng(seed)
    use = set(bodyparts if use_bodyparts is None else use_bodyparts)
    mask = np.array([bp in use for bp in bodyparts])
    keys = list(confidences)
    # every (session, row, bodypart) in keypoint-MoSeq's order: session, then row, then bodypart
    parts = [np.nonzero(np.broadcast_to(mask, np.shape(confidences[k])))
             for k in keys]
    sess = np.concatenate([np.full(len(t), s) for s, (t, _) in enumerate(parts)])
    rows = np.concatenate([t for t, _ in parts])
    cols = np.concatenate([k for _, k in parts])
    conf = np.concatenate([np.asarray(confidences[key], float)[t, k] for key, (t, k) in zip(keys, parts)])
    conf = conf + conf_pseudocount
    if not np.isfinite(conf).any():
        raise EthoflowError("no confidence to sample from (every pose table is empty or NaN)")
    edges = np.logspace(np.log10(np.nanmin(conf)), np.log10(np.nanmax(conf)), num_bins + 1)
    out = []
    for low, high in itertools.pairwise(edges):
        in_bin = np.flatnonzero((conf >= low) & (conf < high))
        if len(in_bin):
            n = min(num_samples // num_bins, len(in_bin))
            out += [in_bin[i] for i in rng.choice(len(in_bin), n, replace=False)]
    out = [out[i] for i in rng.permutation(len(out))]
    return [(keys[sess[i]], int(rows[i]), bodyparts[cols[i]]) for i in out]


def frame_indexes(session: str, n_rows: int, n_video_frames: int | None, index_file: str | None,
                  pose_file: str, tolerance: int = 2) -> np.ndarray:
    """The video frame of every pose row: the session's ``video_frame_indexes`` file (one
    integer per line), else the identity, which needs as many rows as the video has frames
    (within the container's ``tolerance``)."""
    if index_file:
        try:
            idx = np.loadtxt(index_file, dtype=np.int64, ndmin=1, comments="#")
        except (OSError, ValueError) as err:
            raise EthoflowError(f"{index_file}: not a list of video frame indexes ({err})") from None
        if len(idx) != n_rows:
            raise EthoflowError(f"{index_file}: {len(idx)} video frame indexes for the {n_rows} rows of "
                                f"{pose_file} (session {session}): one per pose row")
        if (idx < 0).any() or (n_video_frames is not None and (idx >= n_video_frames + tolerance).any()):
            raise EthoflowError(f"{index_file}: indexes outside the video's {n_video_frames} frames")
        return idx
    if n_video_frames is not None and abs(n_rows - n_video_frames) > tolerance:
        raise EthoflowError(
            f"{pose_file}: {n_rows} pose rows but the video of session {session} has {n_video_frames} "
            "frames; if the pose covers a subset of the frames (a trimmed or downsampled video), give "
            f"calibration.video_frame_indexes: {{{session}: <file with the video frame of each row>}}")
    return np.arange(n_rows)


def _box(x: float, y: float, size: int, width: int, height: int) -> tuple[int, int]:
    """Top-left corner of a ``size`` square around (x, y), kept inside the frame where it fits."""
    x0 = round(x) - size // 2 if np.isfinite(x) else width // 2 - size // 2
    y0 = round(y) - size // 2 if np.isfinite(y) else height // 2 - size // 2
    return (int(np.clip(x0, 0, max(width - size, 0))), int(np.clip(y0, 0, max(height - size, 0))))


def cut_samples(samples: pd.DataFrame, videos: Mapping[str, str], folder: str | os.PathLike,
                crop_size: int = 160, frame_width: int = 640) -> pd.DataFrame:
    """Write, for every sample, a crop of ``crop_size`` pixels around the predicted point and
    the whole frame scaled to at most ``frame_width`` pixels wide (JPEG, in ``folder``).

    Returns the samples with the file names (relative to ``folder``), the crop's corner and
    the frame's scale added.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    samples = samples.copy()
    for col in ("crop", "frame"):
        samples[col] = ""
    samples[["crop_x0", "crop_y0"]] = 0
    samples["frame_scale"] = 1.0
    done = 0
    for session, rows in samples.groupby("key", sort=True):
        wanted: dict[int, list[int]] = {}
        for i, f in zip(rows.index, rows["video_frame_index"]):
            wanted.setdefault(int(f), []).append(i)
        pos = 0
        for chunk in iter_frame_chunks(videos[session], 64, gray=False):
            for f in sorted(set(wanted) & set(range(pos, pos + len(chunk)))):
                img = chunk[f - pos]
                h, w = img.shape[:2]
                scale = min(1.0, frame_width / w)
                small = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
                for i in wanted[f]:
                    r = samples.loc[i]
                    x0, y0 = _box(r.x, r.y, crop_size, w, h)
                    stem = f"{i:04d}_{session}_{f}_{r.bodypart}"
                    for name, picture in ((f"{stem}_crop.jpg", img[y0:y0 + crop_size, x0:x0 + crop_size]),
                                          (f"{stem}_frame.jpg", small)):
                        with atomic_path(folder / name) as tmp:
                            if not cv2.imwrite(str(tmp), picture, [cv2.IMWRITE_JPEG_QUALITY, 92]):
                                raise OSError(f"{folder / name}: could not write the image")
                    samples.loc[i, ["crop", "frame"]] = [f"{stem}_crop.jpg", f"{stem}_frame.jpg"]
                    samples.loc[i, ["crop_x0", "crop_y0"]] = [x0, y0]
                    samples.loc[i, "frame_scale"] = scale
                    done += 1
            pos += len(chunk)
            if pos > max(wanted):
                break
        missing = sorted(f for f in wanted if f >= pos)
        if missing:
            raise EthoflowError(f"{videos[session]}: ended after {pos} frames, before sampled frame {missing[0]}")
        log.info("%s: %d sampled frames cut (%d of %d)", session, len(rows), done, len(samples))
    return samples


def load_poses(pose_h5s: Sequence[str], sessions: Sequence[str], sessions_tsv: str | None,
               config: Mapping) -> tuple[dict, dict]:
    """Each session's pose table as (bodyparts, xy, confidence), checked for calibration
    (likelihoods in [0, 1], the same bodyparts everywhere), and the video frame of each
    row (:func:`frame_indexes`).

    Parameters
    ----------
    sessions_tsv
        The discovery table: its ``nframes`` checks that pose rows match video frames.
    config
        Reads ``calibration.video_frame_indexes`` and ``discover.frame_count_tolerance``.
    """
    nframes = {}
    if sessions_tsv:
        table = pd.read_csv(sessions_tsv, sep="\t", comment="#", dtype={"session": str})
        nframes = dict(zip(table["session"], table["nframes"]))
    poses, index_of = {}, {}
    bodyparts = None
    for session, pose_h5 in zip(sessions, pose_h5s):
        parts, xy, lik = pose_arrays(read_pose_table(pose_h5))
        if lik is None:
            raise EthoflowError(f"{pose_h5}: a pose table without likelihoods cannot be calibrated")
        finite = lik[np.isfinite(lik)]
        outside = finite[(finite < 0) | (finite > 1)]
        if len(outside):
            raise EthoflowError(f"{pose_h5}: likelihoods outside [0, 1] (e.g. {outside[0]:g}); calibration "
                                "needs confidences in [0, 1]")
        bodyparts = bodyparts or parts
        if parts != bodyparts:
            raise EthoflowError(f"{pose_h5}: bodyparts {parts} differ from the other sessions' {bodyparts}")
        n = nframes.get(session)
        index_of[session] = frame_indexes(session, len(xy), None if n is None or pd.isna(n) else int(n),
                                          config["calibration"]["video_frame_indexes"].get(session), pose_h5,
                                          config["discover"]["frame_count_tolerance"])
        poses[session] = (parts, xy, lik)
    if not poses:
        raise EthoflowError("calibration: no pose table to calibrate")
    return poses, index_of


def calibration_sample(pose_h5s: Sequence[str], sessions: Sequence[str], sessions_tsv: str | None,
                       out_tsv: str, config: Mapping) -> pd.DataFrame:
    """The ``calibration_sample`` stage: the (session, frame, bodypart) triples to annotate,
    with the prediction and confidence of each (keypoint-MoSeq's columns first).

    Parameters
    ----------
    pose_h5s, sessions
        Each session's pose table, in the same order.
    sessions_tsv
        The discovery table (its ``nframes`` checks that pose rows match video frames).
    config
        The keys this stage reads: ``calibration`` (``bodyparts``, ``num_samples``,
        ``num_bins``, ``conf_pseudocount``, ``video_frame_indexes``),
        ``discover.frame_count_tolerance`` and ``seed``.
    """
    c = config["calibration"]
    poses, index_of = load_poses(pose_h5s, sessions, sessions_tsv, config)
    bodyparts = next(iter(poses.values()))[0]
    confidences = {k: v[2] for k, v in poses.items()}
    coords = {k: v[1] for k, v in poses.items()}
    use = c["bodyparts"] or bodyparts
    unknown = sorted(set(use) - set(bodyparts))
    if unknown:
        raise EthoflowError(f"calibration.bodyparts {unknown} are not in the pose tables ({bodyparts})")
    keys = sample_error_frames(confidences, bodyparts, use, c["num_bins"], c["num_samples"],
                               c["conf_pseudocount"], config["seed"])
    rows = []
    for session, t, bp in keys:
        k = bodyparts.index(bp)
        x, y = coords[session][t, k]
        rows.append({"key": session, "coordinate_index": t, "video_frame_index": int(index_of[session][t]),
                     "bodypart": bp, "x": round(float(x), 3), "y": round(float(y), 3),
                     "confidence": float(confidences[session][t, k])})
    samples = pd.DataFrame(rows, columns=SAMPLE_COLUMNS)
    log.info("%d triples sampled from %d sessions in %d confidence bins", len(samples), len(sessions), c["num_bins"])
    write_table(samples, out_tsv, comment=provenance({k: c[k] for k in ("num_samples", "num_bins", "conf_pseudocount")}
                                                   | {"seed": config["seed"]}))
    return samples
