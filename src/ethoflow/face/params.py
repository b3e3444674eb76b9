"""What the face stage computes: its parameters and regions of interest (ROIs).

The config's ``face`` section becomes a :class:`FaceParams` through :func:`params_from_config`;
the dataclass's defaults are the schema's (``config/schemas/config.schema.yaml``), checked by
a test.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from ethoflow.exceptions import ConfigError

__all__ = ["FULL_FRAME", "ROI", "FaceParams", "check_rois", "params_from_config"]

FULL_FRAME = "full"


@dataclass(frozen=True)
class ROI:
    """A rectangular region of interest, in pixels of the original video.

    Attributes
    ----------
    name : str
        Unique name; ``"full"`` is reserved for the whole frame.
    x, y : tuple of int
        Half-open pixel ranges ``[start, stop)`` along x (columns) and y (rows).
    """

    name: str
    x: tuple[int, int]
    y: tuple[int, int]

    def binned(self, sbin: int, shape: tuple[int, int]) -> tuple[slice, slice]:
        """Row and column slices of this ROI in the binned frame of ``shape``."""
        hb, wb = shape
        y0, y1 = self.y[0] // sbin, min(self.y[1] // sbin, hb)
        x0, x1 = self.x[0] // sbin, min(self.x[1] // sbin, wb)
        return slice(y0, y1), slice(x0, x1)


@dataclass(frozen=True)
class FaceParams:
    """Parameters of the face/motion SVD.

    Attributes
    ----------
    sbin : int
        Spatial binning: block size in pixels averaged into one value.
    ncomps : int
        Components kept per SVD (fewer when the data has fewer).
    motion_svd, movie_svd : bool
        Compute the SVD of the motion and/or of the movie.
    full_frame : bool
        Also process the whole frame, as ROI ``"full"`` (Facemap's index 0).
    svd_frames : int
        At most this many frames, spread over the video, enter the SVD
        (``svd_sampling="spread"``).
    svd_sampling : {"spread", "facemap"}
        ``"spread"``: all frames, or ``svd_frames`` evenly spaced ones.
        ``"facemap"``: what Facemap 1.0.8 does, for like-for-like comparisons:
        up to 15 runs of 1000 consecutive frames, evenly placed, decomposed
        per run (top 250) then merged; ``avgframe``/``avgmotion`` (the
        centring) from ten runs of 100 frames.
    chunk_size : int
        Frames decoded and processed at a time.
    grey : {"facemap", "luma"}
        Grey levels of the frames: ``"facemap"`` as Facemap sees them
        (``cv2.COLOR_BGR2GRAY`` of the decoded BGR frame, so that values stored under
        Facemap's names are in Facemap's units); ``"luma"``, the video's luma plane as coded
        (a limited-range video's black..white is 16..235: motion energy 219/255 of Facemap's).
    """

    sbin: int = 4
    ncomps: int = 100
    motion_svd: bool = True
    movie_svd: bool = True
    full_frame: bool = True
    svd_frames: int = 2000
    svd_sampling: str = "spread"
    chunk_size: int = 256
    grey: str = "facemap"
    rois: tuple[ROI, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not 1 <= self.sbin <= 16:
            raise ValueError(f"sbin must be between 1 and 16, got {self.sbin}")
        if self.ncomps < 1:
            raise ValueError(f"ncomps must be at least 1, got {self.ncomps}")
        if self.svd_frames < 2:
            raise ValueError(f"svd_frames must be at least 2, got {self.svd_frames}")
        if self.svd_sampling not in ("spread", "facemap"):
            raise ValueError(f"svd_sampling must be 'spread' or 'facemap', got {self.svd_sampling!r}")
        if not (self.motion_svd or self.movie_svd):
            raise ValueError("at least one of motion_svd and movie_svd must be true")
        names = [r.name for r in self.rois]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"ROI names must be unique; repeated: {', '.join(dupes)}")
        if FULL_FRAME in names:
            raise ValueError(f"ROI name {FULL_FRAME!r} is reserved for the whole frame")
        if not self.rois and not self.full_frame:
            raise ValueError("no ROI given and full_frame is false: nothing to process")

    @property
    def kinds(self) -> list[str]:
        """The SVD kinds computed: ``"mot"`` and/or ``"mov"``."""
        return [k for k, on in (("mot", self.motion_svd), ("mov", self.movie_svd)) if on]

    def to_dict(self) -> dict:
        """Plain-dict form, for provenance attributes."""
        d = asdict(self)
        d["rois"] = [asdict(r) for r in self.rois]
        return d


def params_from_config(face: Mapping) -> FaceParams:
    """Build :class:`FaceParams` from the config's ``face`` section (``enabled`` and
    ``facemap_proc``, which say what the workflow runs, ignored).

    Raises
    ------
    ConfigError
        If an ROI's range is empty.
    """
    face = {k: v for k, v in face.items() if k not in ("enabled", "facemap_proc")}
    rois = tuple(ROI(r["name"], tuple(r["x"]), tuple(r["y"])) for r in face.pop("rois", []))
    for roi in rois:
        if roi.x[1] <= roi.x[0] or roi.y[1] <= roi.y[0]:
            raise ConfigError(
                f"face.rois: ROI {roi.name!r} has empty ranges x={list(roi.x)}, y={list(roi.y)} "
                "(ranges are [start, stop) with stop > start)"
            )
    return FaceParams(rois=rois, **face)


def check_rois(params: FaceParams, width: int, height: int, video: str | os.PathLike) -> None:
    """Every ROI lies inside the ``width`` x ``height`` frame of ``video``.

    Raises
    ------
    ConfigError
        Naming the ROI, its ranges and the video's size: ROIs are pixels of the face video,
        so ROIs drawn for another video (the demo's, say) do not fit.
    """
    outside = [r for r in params.rois if r.x[1] > width or r.y[1] > height]
    if outside:
        names = "; ".join(f"{r.name!r} x={list(r.x)}, y={list(r.y)}" for r in outside)
        raise ConfigError(
            f"face.rois: {names} outside the {width}x{height} frame of {video}. ROIs are "
            "[start, stop) pixel ranges of the face video: set face.rois for these videos "
            "(or face.rois: [] for the whole frame only)"
        )
