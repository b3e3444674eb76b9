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
  ``svd_frames`` and ``chunk_size``, not by the video's length: the sampled
  rows are kept as the binned frames' integer sums (uint16), converted to
  float a band of pixels at a time; where the sampled frames come in runs (Facemap's
  sampling, or a short video) motion rows are made from the stored frames
  instead of being stored too; decoding is capped at 32 MB of frames a chunk.
- Each mask's sign is fixed so that its largest-magnitude pixel is positive,
  so reruns give identical files.
- ``svd_sampling="facemap"`` instead reproduces Facemap 1.0.8's choices (its
  runs of frames, per-run decomposition and merge, subsampled means), for
  traces that match Facemap's one for one.

Frame 0 has no previous frame: its motion energy and motion projection are
copies of frame 1's, as Facemap does for the projections.
"""

from __future__ import annotations

import ctypes
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

    Rows are read minus a fixed ``shift`` (the first chunk's mean), which
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

    def bands(self, nrows: int) -> list[tuple[slice, slice]]:
        """Bands of image rows of the region whose ``nrows`` sampled rows take at most
        :data:`CONVERT_BYTES` as float32: ``(y slice, slice of the flattened pixels)``."""
        width = self.xs.stop - self.xs.start
        step = max(1, CONVERT_BYTES // (4 * max(nrows, 1) * width))
        y0 = self.ys.start
        return [(slice(y, min(y + step, self.ys.stop)),
                 slice((y - y0) * width, (min(y + step, self.ys.stop) - y0) * width))
                for y in range(y0, self.ys.stop, step)]

    def update(self, sample: _Sample, i0: int, i1: int) -> None:
        """Add stored rows ``i0:i1`` (all earlier rows already added)."""
        if not self.rows_side:  # few pixels: the new rows whole
            new = sample.rows(self.ys, self.xs, i0, i1)
            self.colsum += new.sum(axis=0, dtype=np.float64)
            self.g += new.T @ new
            return
        for ys, pix in self.bands(i1):  # a band of pixels of every row so far, converted once
            rows = sample.rows(ys, self.xs, 0, i1)
            self.colsum[pix] += rows[i0:i1].sum(axis=0, dtype=np.float64)
            self.g[i0:i1, :i1] += rows[i0:i1] @ rows.T

    def solve(
        self, sample: _Sample, d: np.ndarray, k: int, segments: np.ndarray | None = None
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

        bands = self.bands(n)

        def band(ys: slice, pix: slice, centred: bool) -> np.ndarray:
            rows = sample.rows(ys, self.xs, 0, n)
            if centred:
                rows -= d[pix]
            return rows

        def times(right: np.ndarray, centred: bool = False) -> np.ndarray:
            """X @ right (X - 1d' if centred), summed over bands of pixels."""
            out = np.zeros((n, *right.shape[1:]), np.float32)
            for ys, pix in bands:
                out += band(ys, pix, centred) @ right[pix]
            return out

        def centred_transposed_times(left: np.ndarray) -> np.ndarray:
            """(X - 1d')' @ left, a band of pixels at a time."""
            out = np.empty((p, left.shape[1]), np.float32)
            for ys, pix in bands:
                out[pix] = band(ys, pix, True).T @ left
            return out

        if self.rows_side:
            g = np.tril(self.g)
            g += np.tril(self.g, -1).T
            r = times(d)
            g -= r[:, None]
            g -= r[None, :]
            g += np.float32(d @ d)
            # remove each row's mean over pixels: Gram of X P, P = I - 11'/p
            rs = times(np.ones(p, np.float32)) - d.sum()
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
            masks = centred_transposed_times(vecs)
            masks -= masks.mean(axis=0)
            masks /= safe
            proj = times(masks, centred=True) if merged else vecs * sv
        else:
            s = self.colsum.astype(np.float32)
            c = self.g - np.outer(s, d) - np.outer(d, s) + np.float32(n) * np.outer(d, d)
            # P C P with P = I - 11'/p: masks orthogonal to the constant image
            c -= c.mean(axis=0, keepdims=True)
            c -= c.mean(axis=1, keepdims=True)
            w, masks = linalg.eigh(c, subset_by_index=[p - k, p - 1], driver="evr")
            w, masks = w[::-1], np.ascontiguousarray(masks[:, ::-1])
            sv = np.sqrt(np.clip(w, 0, None)).astype(np.float32)
            proj = times(masks, centred=True)
        idx = [int(np.abs(masks[:, j]).argmax()) for j in range(k)]  # no |masks| copy
        sign = np.sign(masks[idx, np.arange(k)])
        sign[sign == 0] = 1
        masks = masks.astype(np.float32, copy=False)
        masks *= sign.astype(np.float32)  # in place: a mask of the whole frame is large
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


#: Sampled rows are converted to float32 this many bytes at a time (a band of image rows of
#: every sampled row): the temporaries of the SVD stay small whatever the frame size.
CONVERT_BYTES = 32 << 20
#: New sampled rows wait until there are this many before they are added to the Gram
#: matrices (each addition reads every earlier row again).
GRAM_BATCH = 256


class _FrameStore:
    """Rows the SVD samples read, kept as integer block sums (uint16: exact, half the memory
    of float32), by frame: binned frames, or a kind's own motion rows."""

    def __init__(self, frames: np.ndarray, binned_shape: tuple[int, int]) -> None:
        self.frames = frames  # sorted, unique
        self.data = np.empty((len(frames), *binned_shape), np.uint16)

    def positions(self, frames: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.frames, frames)

    def add(self, first_frame: int, binned: np.ndarray) -> None:
        """Keep the needed frames of ``binned``, whose row 0 is frame ``first_frame``."""
        lo, hi = np.searchsorted(self.frames, [first_frame, first_frame + len(binned)])
        if hi > lo:
            np.take(binned, self.frames[lo:hi] - first_frame, axis=0, out=self.data[lo:hi])


class _Sample:
    """The rows of one kind (motion or movie) that enter the SVD, read from a
    :class:`_FrameStore` a band of pixels at a time: scaled to grey levels and minus a fixed ``shift``
    (the first chunk's mean, which keeps float32 sums accurate).

    With ``derived``, motion rows are not stored but made from the binned frames (the absolute
    difference of a frame and the one before): with Facemap's runs of consecutive frames the
    motion rows need almost no frame the movie rows do not, so one store serves both kinds
    (half the memory of a store per kind, for some time spent remaking the rows).
    """

    def __init__(self, kind: str, frames: np.ndarray, store: _FrameStore,
                 scale: np.float32, derived: bool = False) -> None:
        self.kind, self.frames, self.store, self.scale = kind, frames, store, scale
        self.pos = store.positions(frames)
        self.before = store.positions(frames - 1) if derived else None
        self.shift: np.ndarray | None = None
        self.added = self.ready = 0  # rows in the Gram matrices; rows readable

    def rows(self, ys: slice, xs: slice, i0: int, i1: int) -> np.ndarray:
        """Rows ``i0:i1`` of the region ``ys, xs``, flattened, scaled, minus ``shift``."""
        data = self.store.data
        block = data[self.pos[i0:i1], ys, xs]
        if self.before is not None:  # |frame - previous frame|, in uint16 without overflow
            previous = data[self.before[i0:i1], ys, xs]
            np.maximum(block, previous, out=block)
            block -= np.minimum(data[self.pos[i0:i1], ys, xs], previous)
        block = block.astype(np.float32).reshape(i1 - i0, -1)
        block *= self.scale
        block -= self.shift[ys, xs].reshape(1, -1)
        return block

    def update(self, first_frame: int, rows: np.ndarray, regions: list[_Region]) -> None:
        """``rows`` (uint16) are this kind's rows for frames ``first_frame`` on, now readable
        from the store: add the sampled ones to each region's Gram matrix, once
        :data:`GRAM_BATCH` of them are waiting (each update reads every earlier row again)."""
        lo, hi = np.searchsorted(self.frames, [first_frame, first_frame + len(rows)])
        if hi == lo:
            return
        if self.shift is None:
            self.shift = (rows.mean(axis=0, dtype=np.float64) * self.scale).astype(np.float32)
        self.ready = hi
        if self.ready - self.added >= GRAM_BATCH:
            self.flush(regions)

    def flush(self, regions: list[_Region]) -> None:
        """Add the rows still waiting to each region's Gram matrix."""
        if self.ready == self.added:
            return
        # one BLAS thread while streaming: the decoder thread needs the other core
        with threadpool_limits(1):
            for r in regions:
                r.grams[self.kind].update(self, self.added, self.ready)
        self.added = self.ready


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
        self.store: _FrameStore | None = None  # binned frames
        self.motion_store: _FrameStore | None = None  # motion rows, where not derived
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
        kinds = self.params.kinds
        # motion rows from the stored frames where they need few frames the movie rows do not
        derive = ("mot" in kinds and "mov" in kinds
                  and len(np.setdiff1d(rows["mot"] - 1, rows["mov"])) <= len(rows["mot"]) // 4)
        if "mov" in kinds:
            frames = np.union1d(rows["mov"], rows["mot"] - 1) if derive else rows["mov"]
            self.store = _FrameStore(frames, binned_shape)
            self.samples["mov"] = _Sample("mov", rows["mov"], self.store, self.scale)
        if "mot" in kinds:
            if not derive:
                self.motion_store = _FrameStore(rows["mot"], binned_shape)
            self.samples["mot"] = _Sample("mot", rows["mot"], self.motion_store or self.store,
                                          self.scale, derived=derive)
        for kind in kinds:
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
        if self.store is not None:  # first: the samples below read it
            self.store.add(n, b)
        self._sum(self.sum_frame, b, n, self.mean_frames)
        if self.prev is None:
            motion = _absdiff(b[1:], b[:-1])
        else:  # the previous chunk's last frame first, without a concatenated copy of the chunk
            motion = np.empty_like(b)
            cv2.absdiff(b[:1], self.prev[None], dst=motion[:1])
            cv2.absdiff(b[1:], b[:-1], dst=motion[1:])
        motion_first = 1 if self.prev is None else n  # the frame of motion row 0
        if len(motion):
            self._sum(self.sum_motion, motion, motion_first, self.mean_motion_frames)
            for r in self.regions:
                r.energy.append(motion[:, r.ys, r.xs].sum(axis=(1, 2), dtype=np.int64))
            if self.motion_store is not None:
                self.motion_store.add(motion_first, motion)
            if "mot" in self.samples:
                self.samples["mot"].update(motion_first, motion, self.regions)
        if "mov" in self.samples:
            self.samples["mov"].update(n, b, self.regions)
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
        for sample in self.samples.values():
            sample.flush(self.regions)
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


def _absdiff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|a - b|`` of uint16 frames (OpenCV's, which returns None for no frames)."""
    return cv2.absdiff(a, b) if len(a) else np.empty_like(a)


def _give_back_freed_memory() -> None:
    """Return freed heap memory to the system (glibc keeps freed blocks under 32 MB for
    reuse, which the next large array does not reuse: without this, peak memory counts them
    again). A no-op where the C library is not glibc."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


#: Grey frames decoded at a time are capped at this many bytes: three chunks are alive at
#: once (the one in use, one queued, one decoding), which on large frames outweighs the rest.
CHUNK_BYTES = 32 << 20
#: Chunks decoded ahead of the one in use.
DECODE_AHEAD = 1


def _chunk_frames(video: Path, chunk_size: int) -> int:
    """``chunk_size``, or fewer frames where that many would pass :data:`CHUNK_BYTES`."""
    cap = cv2.VideoCapture(str(video))
    pixels = cap.get(cv2.CAP_PROP_FRAME_WIDTH) * cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    cap.release()
    if pixels <= 0:
        return chunk_size
    return int(min(chunk_size, max(16, CHUNK_BYTES // pixels)))


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
        # one chunk decoded ahead is enough to keep both cores busy; more only costs memory
        chunk_frames = _chunk_frames(video, params.chunk_size)
        for ci, chunk in enumerate(iter_frame_chunks(
                video, chunk_frames, queue_size=DECODE_AHEAD,
                gray_levels="bgr" if params.grey == "facemap" else "luma")):
            stream.add(bin_frames(chunk, params.sbin))
            if progress_every and (ci + 1) % progress_every == 0:
                log.info("%s: %d/%d frames binned", video.name, stream.n, stream.n_expected)
        means = stream.finish()
        _give_back_freed_memory()
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
                                 pending, means, params, video.name, progress_every, chunk_frames)
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
            masks, sv, proj = r.grams.pop(kind).solve(sample, d, params.ncomps, segments)
            mask_set = h5.create_dataset(f"{kind}Mask/{r.name}", data=masks.reshape(*r.shape, -1))
            h5.create_dataset(f"{kind}Sv/{r.name}", data=sv)
            if stream.all_frames:
                if kind == "mot":  # frame 0 copies frame 1
                    proj = np.concatenate([proj[:1], proj])
                h5.create_dataset(f"{kind}SVD/{r.name}", data=proj)
            else:
                # the masks are read back for the projection pass, once the sample is freed
                pending[(kind, r.name)] = (mask_set, h5.create_dataset(
                    f"{kind}SVD/{r.name}", shape=(n, masks.shape[1]), dtype=np.float32,
                    chunks=(min(n, 1024), masks.shape[1]),
                ))
            log.info(
                "%s: %s SVD of %r: %d components from %d frames x %d pixels in %.1f s",
                stream.video.name, KINDS[kind], r.name, masks.shape[1], len(sample.frames),
                masks.shape[0], time.perf_counter() - tic,
            )
            del masks, proj  # a whole frame's masks are large: not alive during the next SVD
            _give_back_freed_memory()
    for sample in stream.samples.values():
        sample.store = None
    stream.store = stream.motion_store = None  # free the sampled rows before the projection pass
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
    chunk: int,
) -> None:
    """Second pass: project every spilled binned frame onto the masks, at most ``chunk``
    frames at a time (fewer where a region's frames would pass :data:`CONVERT_BYTES` as
    float32)."""
    pending = {key: (masks[()].reshape(-1, masks.shape[-1]), dset)
               for key, (masks, dset) in pending.items()}
    scale = np.float32(1.0 / params.sbin**2)
    npix = binned_shape[0] * binned_shape[1]
    largest = max(r.shape[0] * r.shape[1] for r in regions)
    step = int(max(1, min(chunk, CONVERT_BYTES // (4 * largest))))
    prev = None
    with open(spill_path, "rb") as fh:
        for ci, start in enumerate(range(0, n, step)):
            m = min(step, n - start)
            b = np.fromfile(fh, np.uint16, count=m * npix).reshape(m, *binned_shape)
            with_prev = b if prev is None else np.concatenate([prev[None], b])
            motion = _absdiff(with_prev[1:], with_prev[:-1])  # as the first pass
            if prev is None:
                motion = np.concatenate([motion[:1], motion])  # frame 0 copies frame 1
            data = {"mot": motion, "mov": b}
            for (kind, rname), (masks, dset) in pending.items():
                r = next(r for r in regions if r.name == rname)
                x = data[kind][:, r.ys, r.xs].reshape(m, -1).astype(np.float32)
                x *= scale
                x -= means[kind][r.ys, r.xs].reshape(1, -1)
                dset[start : start + m] = x @ masks
            prev = b[-1].copy()
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
