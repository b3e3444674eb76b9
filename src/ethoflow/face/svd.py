"""Face and body motion SVD, equivalent to Facemap's processing.

For one video and a set of regions of interest (ROIs), this computes what
Facemap's ``process.run`` computes, under Facemap's names:

``motion``
    motion energy per frame: the sum over the ROI's binned pixels of the
    absolute difference between consecutive frames.
``motSVD``, ``motMask``, ``motSv``
    the SVD of the motion (absolute frame differences, minus ``avgmotion``):
    per-frame projections, spatial masks and singular values.
``movSVD``, ``movMask``, ``movSv``
    the same for the movie itself (frames minus ``avgframe``).
``avgframe``, ``avgmotion``
    the average binned frame and the average binned motion.

How it differs from Facemap, on purpose:

- The video is decoded once. Every frame is binned (``sbin`` x ``sbin`` block
  means, exact, accumulated in integers) while the next chunk decodes in a
  background thread. ``avgframe`` and ``avgmotion`` are exact means over all
  frames rather than over a subsample.
- The SVD is computed from up to ``svd_frames`` frames spread evenly over
  the whole video (all frames when the video is shorter), by an exact
  eigendecomposition of the frame-by-frame (or pixel-by-pixel, whichever is
  smaller) Gram matrix, instead of Facemap's merge of per-chunk randomized
  SVDs. When every frame was used, the projections come out of the same
  decomposition; otherwise the binned frames, spilled to a temporary file
  during decoding, are projected onto the masks in a second pass, chunk by
  chunk, straight into the output file. Peak memory is bounded by
  ``svd_frames`` and ``chunk_size``, not by the video's length.
- Each mask's sign is fixed so that its largest-magnitude pixel is positive,
  so reruns give identical files.
- ``svd_sampling="facemap"`` instead reproduces Facemap 1.0.8's choices (its
  runs of frames, per-run decomposition and merge, subsampled means), for
  traces that match Facemap's one for one.

Frame 0 has no previous frame: its motion energy and motion projection are
copies of frame 1's, as Facemap does for the projections.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import h5py
import numpy as np
from scipy import linalg
from threadpoolctl import threadpool_limits

from ethoflow import __version__
from ethoflow.exceptions import VideoError
from ethoflow.face.io import roi_table
from ethoflow.face.params import FULL_FRAME, FaceParams, check_rois, params_from_config
from ethoflow.io.video import iter_frame_chunks
from ethoflow.sessions.discover import video_info

log = logging.getLogger(__name__)

__all__ = ["bin_frames", "process_session", "process_video"]

KINDS = {"mot": "motion", "mov": "movie"}


def bin_frames(frames: np.ndarray, sbin: int) -> np.ndarray:
    """Sum ``sbin`` x ``sbin`` pixel blocks of uint8 frames, exactly, as uint16.

    Trailing rows/columns that do not fill a block are dropped (as Facemap does).
    Divide by ``sbin**2`` for block means.

    Parameters
    ----------
    frames
        ``(n, height, width)`` uint8.
    sbin
        Block size, 1 to 16 (``255 * 16**2`` fits in uint16).

    Returns
    -------
    numpy.ndarray
        ``(n, height // sbin, width // sbin)`` uint16 block sums.
    """
    n, h, w = frames.shape
    hb, wb = h // sbin, w // sbin
    if sbin == 1:
        return frames.astype(np.uint16)
    # adding whole rows, then whole column slices, is several times faster than
    # numpy's reduction over the small block axes
    rows = frames[:, : hb * sbin, : wb * sbin].reshape(n * hb, sbin, wb * sbin)
    acc = rows[:, 0].astype(np.uint16)
    for i in range(1, sbin):
        acc += rows[:, i]
    cols = acc.reshape(n * hb, wb, sbin)
    out = cols[..., 0].copy()
    for j in range(1, sbin):
        out += cols[..., j]
    return out.reshape(n, hb, wb)


FACEMAP_SEGMENT, FACEMAP_PER_SEGMENT = 1000, 250


def _facemap_starts(nframes: int) -> np.ndarray:
    """First frames of the runs ``facemap.process.compute_SVD`` reads."""
    nt0 = min(FACEMAP_SEGMENT, nframes)
    nsegs = max(1, int(min(np.floor(15000 / nt0), np.floor(nframes / nt0))))
    return np.clip(np.floor(np.linspace(0, nframes - nt0 - 1, nsegs)).astype(np.int64), 0, None)


def _facemap_mean_frames(nframes: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames ``facemap.process.subsampled_mean`` averages: runs of 100 frames spread over
    the video; returns (frames for the average frame, frames whose motion is averaged)."""
    nt0 = min(100, nframes)
    nsegs = int(np.floor(min(1000, nframes) / nt0))
    starts = np.floor(np.linspace(0, nframes - nt0, nsegs)).astype(np.int64)
    frames = np.unique(np.concatenate([np.arange(t, t + nt0) for t in starts]))
    motion = np.unique(np.concatenate([np.arange(t + 1, t + nt0) for t in starts]))
    return frames, motion


def _sample_frames(nframes: int, svd_frames: int, sampling: str = "spread") -> np.ndarray:
    """Frame indices entering the SVD (see :class:`FaceParams`)."""
    if sampling == "facemap":
        nt0 = min(FACEMAP_SEGMENT, nframes)
        runs = [np.arange(t, min(t + nt0, nframes)) for t in _facemap_starts(nframes)]
        return np.unique(np.concatenate(runs))
    if nframes <= svd_frames:
        return np.arange(nframes)
    return np.unique(np.round(np.linspace(0, nframes - 1, svd_frames)).astype(np.int64))


class _Gram:
    """Gram matrix of one region's sampled rows, accumulated chunk by chunk.

    Rows are stored minus a fixed ``shift`` (the first chunk's mean), which
    keeps float32 accumulation accurate; the exact centring on the final
    mean is applied algebraically in :meth:`solve`. Whichever side of the
    data is smaller is used: rows x rows (frames) or pixels x pixels.
    """

    def __init__(self, n_rows: int, ys: slice, xs: slice) -> None:
        self.ys, self.xs = ys, xs
        p = (ys.stop - ys.start) * (xs.stop - xs.start)
        self.n_rows, self.n_pix = n_rows, p
        self.rows_side = n_rows <= p
        size = n_rows if self.rows_side else p
        self.g = np.zeros((size, size), np.float32)
        self.colsum = np.zeros(p, np.float64)

    def _rows(self, store: np.ndarray, i0: int, i1: int) -> np.ndarray:
        return store[i0:i1, self.ys, self.xs].reshape(i1 - i0, -1)

    def update(self, store: np.ndarray, i0: int, i1: int) -> None:
        """Add stored rows ``i0:i1`` (all earlier rows already added)."""
        new = self._rows(store, i0, i1)
        self.colsum += new.sum(axis=0, dtype=np.float64)
        if self.rows_side:
            self.g[i0:i1, :i1] = new @ self._rows(store, 0, i1).T
        else:
            self.g += new.T @ new

    def solve(
        self, store: np.ndarray, d: np.ndarray, k: int, segments: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Leading components of the stored rows centred on ``shift + d``.

        With ``segments`` (a segment id per stored row), the decomposition is
        Facemap's: the top ``FACEMAP_PER_SEGMENT`` components of each segment,
        scaled by their singular values, are concatenated and decomposed again
        (computed exactly here, from blocks of the same Gram matrix).

        As in Facemap, each row's mean over pixels is also removed for the
        decomposition, so the masks are orthogonal to the constant image:
        global brightness changes (or overall motion level) do not take up
        components, and projecting the mean-centred rows on the masks gives the
        same values with or without that row centring.

        Returns
        -------
        masks : (n_pixels, k) orthonormal spatial components
        sv : (k,) singular values, descending
        proj : (n_rows, k) projections of the stored rows
        """
        n, p = self.n_rows, self.n_pix
        k = int(min(k, n, p))
        d = d.astype(np.float32)
        x = self._rows(store, 0, n)
        if self.rows_side:
            g = np.tril(self.g)
            g += np.tril(self.g, -1).T
            r = x @ d
            g -= r[:, None]
            g -= r[None, :]
            g += np.float32(d @ d)
            # remove each row's mean over pixels: Gram of X P, P = I - 11'/p
            rs = x.sum(axis=1) - d.sum()
            g -= np.outer(rs, rs) / np.float32(p)
            merged = segments is not None and len(np.unique(segments)) > 1
            if merged:
                vecs, w = _merge_segments(g, segments, k)
                k = len(w)
            else:
                w, vecs = linalg.eigh(g, subset_by_index=[n - k, n - 1], driver="evr")
                w, vecs = w[::-1], np.ascontiguousarray(vecs[:, ::-1])
            sv = np.sqrt(np.clip(w, 0, None)).astype(np.float32)
            safe = np.where(sv > sv[0] * 1e-6, sv, np.inf) if k else sv
            masks = x.T @ vecs - np.outer(d, vecs.sum(axis=0))
            masks -= masks.mean(axis=0)
            masks /= safe
            proj = x @ masks - d @ masks if merged else vecs * sv
        else:
            s = self.colsum.astype(np.float32)
            c = self.g - np.outer(s, d) - np.outer(d, s) + np.float32(n) * np.outer(d, d)
            # P C P with P = I - 11'/p: masks orthogonal to the constant image
            c -= c.mean(axis=0, keepdims=True)
            c -= c.mean(axis=1, keepdims=True)
            w, masks = linalg.eigh(c, subset_by_index=[p - k, p - 1], driver="evr")
            w, masks = w[::-1], np.ascontiguousarray(masks[:, ::-1])
            sv = np.sqrt(np.clip(w, 0, None)).astype(np.float32)
            proj = x @ masks - d @ masks
        idx = np.abs(masks).argmax(axis=0)
        sign = np.sign(masks[idx, np.arange(k)])
        sign[sign == 0] = 1
        masks = np.ascontiguousarray(masks * sign, dtype=np.float32)
        proj = np.ascontiguousarray(proj * sign, dtype=np.float32)
        return masks, sv, proj


def _merge_segments(g: np.ndarray, segments: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Facemap's merge of per-segment SVDs, from the (centred) Gram matrix ``g``.

    Returns row-space vectors ``vecs`` (n_rows, k) and eigenvalues ``w`` such
    that the masks are ``X' vecs / sqrt(w)``.
    """
    blocks = []
    for seg in np.unique(segments):
        idx = np.flatnonzero(segments == seg)
        nc = min(FACEMAP_PER_SEGMENT, len(idx) - 1)
        _, v = linalg.eigh(g[np.ix_(idx, idx)], subset_by_index=[len(idx) - nc, len(idx) - 1],
                           driver="evr")
        block = np.zeros((len(g), nc), np.float32)
        block[idx] = v
        blocks.append(block)
    basis = np.hstack(blocks)  # columns: per-segment U*S, expressed in row space
    merged = basis.T @ g @ basis
    k = min(k, len(merged))
    w, vm = linalg.eigh(merged, subset_by_index=[len(merged) - k, len(merged) - 1], driver="evr")
    return np.ascontiguousarray(basis @ vm[:, ::-1]), w[::-1]


@dataclass
class _Region:
    name: str
    ys: slice
    xs: slice
    energy: list[np.ndarray] = field(default_factory=list)
    grams: dict[str, _Gram] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.ys.stop - self.ys.start, self.xs.stop - self.xs.start)


def _regions(params: FaceParams, binned_shape: tuple[int, int], video: str) -> list[_Region]:
    hb, wb = binned_shape
    regions = []
    if params.full_frame:
        regions.append(_Region(FULL_FRAME, slice(0, hb), slice(0, wb)))
    for roi in params.rois:
        ys, xs = roi.binned(params.sbin, binned_shape)
        if roi.x[0] < 0 or roi.y[0] < 0 or ys.stop <= ys.start or xs.stop <= xs.start:
            raise ValueError(
                f"{video}: ROI {roi.name!r} (x={list(roi.x)}, y={list(roi.y)}) is empty or "
                f"outside the {wb * params.sbin}x{hb * params.sbin} frame at sbin={params.sbin}"
            )
        if roi.x[1] > wb * params.sbin or roi.y[1] > hb * params.sbin:
            log.warning(
                "%s: ROI %r (x=%s, y=%s) reaches past the last whole %dx%d bin: it is clipped to "
                "the binned frame's %dx%d pixels", video, roi.name, list(roi.x), list(roi.y),
                params.sbin, params.sbin, wb * params.sbin, hb * params.sbin)
        regions.append(_Region(roi.name, ys, xs))
    return regions


class _Sample:
    """The rows of one kind (motion or movie) that enter the SVD, stored as they stream by."""

    def __init__(self, frames: np.ndarray, binned_shape: tuple[int, int]) -> None:
        self.frames = frames  # sorted frame indices
        self.store = np.empty((len(frames), *binned_shape), np.float32)
        self.shift: np.ndarray | None = None

    def add(self, first_frame: int, data: np.ndarray, regions: list[_Region], kind: str) -> None:
        """Take the sampled rows of ``data``, whose row 0 is frame ``first_frame``."""
        lo, hi = np.searchsorted(self.frames, [first_frame, first_frame + len(data)])
        if hi == lo:
            return
        if self.shift is None:
            self.shift = data.mean(axis=0, dtype=np.float64).astype(np.float32)
        np.subtract(data[self.frames[lo:hi] - first_frame], self.shift, out=self.store[lo:hi])
        # one BLAS thread while streaming: the decoder thread needs the other core
        with threadpool_limits(1):
            for r in regions:
                r.grams[kind].update(self.store, lo, hi)


class _Pass:
    """The single pass over the video: everything gathered while frames stream by.

    Per chunk of binned frames: the sums for ``avgframe``/``avgmotion``, each
    ROI's motion energy, the rows that enter the SVD (and their Gram
    matrices), and, when not every frame enters the SVD, the binned frames
    spilled to a temporary file for the projection pass.
    """

    def __init__(self, video: Path, params: FaceParams, n_expected: int, spill_dir: Path) -> None:
        self.video, self.params, self.n_expected = video, params, n_expected
        self.scale = np.float32(1.0 / params.sbin**2)
        self.frames = _sample_frames(n_expected, params.svd_frames, params.svd_sampling)
        self.all_frames = len(self.frames) == n_expected
        # frames the averages are taken over: all, or Facemap's subsample
        self.mean_frames = self.mean_motion_frames = None
        if params.svd_sampling == "facemap":
            self.mean_frames, self.mean_motion_frames = _facemap_mean_frames(n_expected)
        self.spill_dir = spill_dir
        self.spill = None
        self.spill_path: Path | None = None
        self.regions: list[_Region] = []
        self.samples: dict[str, _Sample] = {}
        self.n = 0
        self.prev: np.ndarray | None = None

    def _start(self, binned_shape: tuple[int, int]) -> None:
        if min(binned_shape) == 0:
            raise VideoError(self.video, f"frames are smaller than sbin={self.params.sbin}")
        self.binned_shape = binned_shape
        self.regions = _regions(self.params, binned_shape, str(self.video))
        self.sum_frame = np.zeros(binned_shape, np.int64)
        self.sum_motion = np.zeros(binned_shape, np.int64)
        rows = {"mov": self.frames, "mot": self.frames[self.frames >= 1]}  # frame 0 has no motion
        for kind in self.params.kinds:
            self.samples[kind] = _Sample(rows[kind], binned_shape)
            for r in self.regions:
                r.grams[kind] = _Gram(len(rows[kind]), r.ys, r.xs)
        if not self.all_frames:
            fd, name = tempfile.mkstemp(prefix=".face.", suffix=".binned", dir=self.spill_dir)
            self.spill_path, self.spill = Path(name), os.fdopen(fd, "wb")

    @staticmethod
    def _sum(total: np.ndarray, rows: np.ndarray, first: int, only: np.ndarray | None) -> None:
        """Add ``rows`` (row 0 is frame ``first``) to ``total``; only frames in ``only`` if given."""
        if only is not None:
            rows = rows[only[(only >= first) & (only < first + len(rows))] - first]
        total += rows.sum(axis=0, dtype=np.int64)

    def add(self, b: np.ndarray) -> None:
        """Take the next chunk of binned frames (uint16 block sums)."""
        if self.prev is None:
            self._start(b.shape[1:])
        n, m = self.n, len(b)
        if n + m > self.n_expected:
            raise VideoError(self.video, f"decodes more than the {self.n_expected} frames discovery counted")
        self._sum(self.sum_frame, b, n, self.mean_frames)
        with_prev = b if self.prev is None else np.concatenate([self.prev[None], b])
        motion = cv2.absdiff(with_prev[1:], with_prev[:-1])
        motion_first = 1 if self.prev is None else n  # the frame of motion row 0
        if len(motion):
            self._sum(self.sum_motion, motion, motion_first, self.mean_motion_frames)
            for r in self.regions:
                r.energy.append(motion[:, r.ys, r.xs].sum(axis=(1, 2), dtype=np.int64))
            if "mot" in self.samples:
                self.samples["mot"].add(motion_first, motion.astype(np.float32) * self.scale,
                                        self.regions, "mot")
        if "mov" in self.samples:
            self.samples["mov"].add(n, b.astype(np.float32) * self.scale, self.regions, "mov")
        if self.spill is not None:
            b.tofile(self.spill)
        self.prev = b[-1].copy()
        self.n += m

    def finish(self) -> dict[str, np.ndarray]:
        """Check the frame count; return the averages ``{"mov": avgframe, "mot": avgmotion}``."""
        n = self.n
        if n != self.n_expected:
            raise VideoError(
                self.video,
                f"decoded {n} frames but discovery counted {self.n_expected}: the file changed "
                "or is damaged; rerun discovery",
            )
        if self.spill is not None:
            self.spill.close()
        count = len(self.mean_frames) if self.mean_frames is not None else n
        count_motion = len(self.mean_motion_frames) if self.mean_motion_frames is not None else n - 1
        return {
            "mov": (self.sum_frame * self.scale / count).astype(np.float32),
            "mot": (self.sum_motion * self.scale / count_motion).astype(np.float32),
        }

    def close(self) -> None:
        """Remove the spill file."""
        if self.spill is not None and not self.spill.closed:
            self.spill.close()
        if self.spill_path is not None:
            self.spill_path.unlink(missing_ok=True)


def process_video(
    video: str | os.PathLike,
    out_path: str | os.PathLike,
    params: FaceParams,
    nframes_expected: int,
    attrs: dict | None = None,
    tmpdir: str | os.PathLike | None = None,
    progress_every: int = 20,
) -> Path:
    """Compute motion energy, motion SVD and movie SVD of a video into an HDF5 file.

    Parameters
    ----------
    video
        The face (or body) video.
    out_path
        The HDF5 file to write; written under a temporary name, then renamed.
    params
        What to compute.
    nframes_expected
        The frame count established by discovery (it decides which frames are
        sampled before decoding starts); a different decoded count is an error.
    attrs
        Extra provenance attributes for the file (e.g. the session name).
    tmpdir
        Where to spill binned frames when the video is longer than ``svd_frames``
        (default: beside ``out_path``).
    progress_every
        Log a progress line every this many chunks.

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Raises
    ------
    VideoError
        If the video cannot be read or its frame count differs from ``nframes_expected``.
    ValueError
        If an ROI lies outside the frame.
    """
    video, out_path = Path(video), Path(out_path)
    t_start = time.perf_counter()
    if int(nframes_expected) < 2:
        raise VideoError(video, f"{nframes_expected} frame(s): motion needs at least 2")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out_path.with_name(f".{out_path.name}.tmp")
    stream = _Pass(video, params, int(nframes_expected), Path(tmpdir or out_path.parent))
    try:
        for ci, chunk in enumerate(iter_frame_chunks(
                video, params.chunk_size,
                gray_levels="bgr" if params.grey == "facemap" else "luma")):
            stream.add(bin_frames(chunk, params.sbin))
            if progress_every and (ci + 1) % progress_every == 0:
                log.info("%s: %d/%d frames binned", video.name, stream.n, stream.n_expected)
        means = stream.finish()
        log.info("%s: %d frames decoded and binned in %.1f s", video.name, stream.n,
                 time.perf_counter() - t_start)
        with h5py.File(tmp_out, "w") as h5:
            h5.attrs["ethoflow_version"] = __version__
            h5.attrs["video"] = str(video)
            h5.attrs["nframes"] = stream.n
            h5.attrs["params"] = json.dumps(params.to_dict(), sort_keys=True)
            h5.attrs["svd_frames_used"] = len(stream.frames)
            for key, value in (attrs or {}).items():
                h5.attrs[key] = value if isinstance(value, (int, float, str)) else json.dumps(value)
            h5.create_dataset("sbin", data=params.sbin)
            h5.create_dataset("avgframe", data=means["mov"])
            h5.create_dataset("avgmotion", data=means["mot"])
            h5.create_dataset("rois", data=roi_table(stream.regions, params.sbin))
            for r in stream.regions:
                energy = np.concatenate(r.energy).astype(np.float32) * stream.scale
                h5.create_dataset(f"motion/{r.name}", data=np.concatenate([energy[:1], energy]))
            pending = _write_svds(h5, stream, means)
            if pending:
                _project_spilled(stream.spill_path, stream.n, stream.binned_shape, stream.regions,
                                 pending, means, params, video.name, progress_every)
        os.replace(tmp_out, out_path)
        log.info("%s: face SVD done in %.1f s", video.name, time.perf_counter() - t_start)
        return out_path
    finally:
        stream.close()
        tmp_out.unlink(missing_ok=True)


def _write_svds(h5: h5py.File, stream: _Pass, means: dict[str, np.ndarray]) -> dict:
    """Decompose each kind and region; write masks, singular values and, when every frame
    entered the SVD, the projections. Returns the projections still to compute."""
    params, n = stream.params, stream.n
    pending = {}
    for kind, sample in stream.samples.items():
        segments = None
        if params.svd_sampling == "facemap":
            segments = np.searchsorted(_facemap_starts(n), sample.frames, side="right") - 1
        for r in stream.regions:
            tic = time.perf_counter()
            d = (means[kind] - sample.shift)[r.ys, r.xs].ravel()
            masks, sv, proj = r.grams.pop(kind).solve(sample.store, d, params.ncomps, segments)
            h5.create_dataset(f"{kind}Mask/{r.name}", data=masks.reshape(*r.shape, -1))
            h5.create_dataset(f"{kind}Sv/{r.name}", data=sv)
            if stream.all_frames:
                if kind == "mot":  # frame 0 copies frame 1
                    proj = np.concatenate([proj[:1], proj])
                h5.create_dataset(f"{kind}SVD/{r.name}", data=proj)
            else:
                pending[(kind, r.name)] = (masks, h5.create_dataset(
                    f"{kind}SVD/{r.name}", shape=(n, masks.shape[1]), dtype=np.float32,
                    chunks=(min(n, 1024), masks.shape[1]),
                ))
            log.info(
                "%s: %s SVD of %r: %d components from %d frames x %d pixels in %.1f s",
                stream.video.name, KINDS[kind], r.name, masks.shape[1], len(sample.frames),
                masks.shape[0], time.perf_counter() - tic,
            )
        sample.store = None  # free it before the next kind
    return pending


def _project_spilled(
    spill_path: Path,
    n: int,
    binned_shape: tuple[int, int],
    regions: list[_Region],
    pending: dict,
    means: dict[str, np.ndarray],
    params: FaceParams,
    name: str,
    progress_every: int,
) -> None:
    """Second pass: project every spilled binned frame onto the masks, chunk by chunk."""
    scale = np.float32(1.0 / params.sbin**2)
    npix = binned_shape[0] * binned_shape[1]
    prev = None
    with open(spill_path, "rb") as fh:
        for ci, start in enumerate(range(0, n, params.chunk_size)):
            m = min(params.chunk_size, n - start)
            b = np.fromfile(fh, np.uint16, count=m * npix).reshape(m, *binned_shape)
            frames = b.astype(np.float32) * scale
            with_prev = frames if prev is None else np.concatenate([prev[None], frames])
            motion = np.abs(np.diff(with_prev, axis=0))
            if prev is None:
                motion = np.concatenate([motion[:1], motion])  # frame 0 copies frame 1
            data = {"mot": motion, "mov": frames}
            for (kind, rname), (masks, dset) in pending.items():
                r = next(r for r in regions if r.name == rname)
                x = data[kind][:, r.ys, r.xs].reshape(m, -1) - means[kind][r.ys, r.xs].reshape(1, -1)
                dset[start : start + m] = x @ masks
            prev = frames[-1]
            if progress_every and (ci + 1) % progress_every == 0:
                log.info("%s: %d/%d frames projected", name, start + m, n)


def process_session(
    video: str | os.PathLike,
    record_json: str | os.PathLike,
    out_path: str | os.PathLike,
    config: dict,
    session: str,
    tmpdir: str | os.PathLike | None = None,
    threads: int | None = None,
) -> Path:
    """The face stage of one session (rule ``face_svd``): :func:`process_video` on its face
    video, with the frame count and rate from its discovery record.

    Parameters
    ----------
    video
        The session's face video, or its main video when it has no separate one.
    record_json
        The session's discovery record (:mod:`ethoflow.sessions.discover`).
    out_path
        The HDF5 file to write.
    config
        The config keys this stage reads: ``{"face": {...}}``.
    session
        Named in the file's attributes.
    tmpdir
        Scratch for the binned frames of long videos.
    threads
        Caps the BLAS threads (the cores the job was given), so that jobs sharing a node
        do not oversubscribe it.
    """
    info = video_info(record_json, video, key="face_video")
    params = params_from_config(config["face"])
    check_rois(params, info["width"], info["height"], video)
    with threadpool_limits(threads):
        return process_video(
            video,
            out_path,
            params,
            nframes_expected=info["nframes"],
            attrs={"session": session, "fps": float(info["fps"])},
            tmpdir=tmpdir,
        )
