"""The error model: keypoint-MoSeq's regression of error on confidence, and what follows.

keypoint-MoSeq 0.8.1 (``keypoint_moseq.calibration``) fits, pooled over bodyparts,

    log10(error_px + 1) = intercept + slope * log10(conf + conf_pseudocount)

with ``np.polyfit`` (no weighting, no outlier handling), once at least 20 points are
annotated, and stores ``slope`` and ``intercept`` (its config's ``error_estimator``) with a
``conf_threshold`` it does not derive (the config's value, 0.5 by default). The model then
turns every confidence into a noise prior ``s0 = 10 ** (2 * (log10(conf + 1e-6) * slope +
intercept))`` in px² (:func:`kpms_noise_prior`).

:func:`fit_error_model` does the same fit and adds, where keypoint-MoSeq has none:

- per-bodypart lines for bodyparts with enough points of their own;
- R² and the number of points;
- a derived threshold: the confidence below which the predicted error exceeds a pixel
  tolerance (:meth:`ErrorModel.threshold_for`).

:func:`calibration_fit` is the ``calibration_fit`` stage.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ethoflow import __version__
from ethoflow.exceptions import EthoflowError
from ethoflow.io.files import atomic_path

log = logging.getLogger(__name__)

__all__ = ["ErrorModel", "Line", "calibration_fit", "fit_error_model", "fit_line", "kpms_noise_prior",
           "read_error_model"]


@dataclass(frozen=True)
class Line:
    """One fitted line: ``log10(error + 1) = intercept + slope * log10(conf + pseudocount)``."""

    slope: float
    intercept: float
    n: int
    r2: float

    def error(self, conf: np.ndarray, pseudocount: float) -> np.ndarray:
        """Predicted error in pixels (the line's ``10 ** y - 1``, at least 0)."""
        x = np.log10(np.asarray(conf, float) + pseudocount)
        return np.maximum(10 ** (self.intercept + self.slope * x) - 1, 0.0)


def fit_line(conf: np.ndarray, error_px: np.ndarray, pseudocount: float = 1e-3) -> Line:
    """keypoint-MoSeq's fit: ``np.polyfit(log10(conf + pseudocount), log10(error + 1), 1)``."""
    x = np.log10(np.asarray(conf, float) + pseudocount)
    y = np.log10(np.asarray(error_px, float) + 1)
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    ss = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float((resid**2).sum()) / ss if ss > 0 else float("nan")
    return Line(float(slope), float(intercept), len(x), r2)


@dataclass(frozen=True)
class ErrorModel:
    """The project-wide line, per-bodypart lines where a bodypart had enough points, and the
    confidence threshold.

    Attributes
    ----------
    line : Line
        Fitted on every point (keypoint-MoSeq's ``slope`` and ``intercept``).
    bodyparts : dict of str to Line
        Lines of bodyparts with at least ``min_points_bodypart`` points.
    conf_threshold : float
        Points below it count as missing (keypoint-MoSeq interpolates them before PCA).
    pseudocount : float
        keypoint-MoSeq's ``conf_pseudocount``.
    """

    line: Line
    conf_threshold: float
    pseudocount: float = 1e-3
    bodyparts: dict[str, Line] = field(default_factory=dict)
    threshold_source: str = "config"

    def error(self, conf: np.ndarray, bodypart: str | None = None) -> np.ndarray:
        """Predicted error (px) of detections with confidence ``conf``: the bodypart's own
        line where it has one, else the project-wide line."""
        return self.bodyparts.get(bodypart, self.line).error(conf, self.pseudocount)

    def threshold_for(self, tolerance_px: float) -> float | None:
        """The confidence at which the project-wide line predicts ``tolerance_px`` of error
        (clipped to [0, 1]); None when the line does not fall with confidence."""
        if not self.line.slope < 0:
            return None
        x = (np.log10(tolerance_px + 1) - self.line.intercept) / self.line.slope
        return float(np.clip(10**x - self.pseudocount, 0.0, 1.0))


def _check_points(conf: np.ndarray, error_px: np.ndarray, source: str, min_points: int) -> None:
    if len(conf) < min_points:
        raise EthoflowError(f"{source}: {len(conf)} annotated points, fewer than the {min_points} "
                            "the fit needs (calibration.min_points): annotate more frames "
                            "(results/calibration/annotate.html, then calibration.annotations: "
                            "<the downloaded file>), label more test frames, or set "
                            "calibration.enabled: false")
    if not (np.all(np.isfinite(conf)) and np.all((conf >= 0) & (conf <= 1))):
        bad = conf[~((conf >= 0) & (conf <= 1))]
        raise EthoflowError(f"{source}: confidences must lie in [0, 1]; found {bad[:3].tolist()}")
    if np.ptp(conf) == 0:
        raise EthoflowError(f"{source}: every annotated point has the same confidence ({conf[0]:g}): "
                            "no line can be fitted (was the pose table made with likelihoods?)")
    if not (np.all(np.isfinite(error_px)) and np.all(error_px >= 0)):
        raise EthoflowError(f"{source}: errors must be finite and >= 0")


def fit_error_model(points: pd.DataFrame, pseudocount: float = 1e-3, min_points: int = 20,
                    min_points_bodypart: int = 30, conf_threshold: float | None = None,
                    tolerance_px: float = 10.0, fallback_threshold: float = 0.5,
                    source: str = "annotations") -> ErrorModel:
    """Fit the error model on annotated points.

    Parameters
    ----------
    points
        Columns ``bodypart``, ``confidence`` and ``error_px`` (one row per annotated point).
    conf_threshold
        A number: used as it is (keypoint-MoSeq's behaviour). None: derived as the
        confidence below which the predicted error exceeds ``tolerance_px``; where the
        line does not fall with confidence, ``fallback_threshold`` (keypoint-MoSeq's 0.5).
    source
        Names the points in error messages (a file name).
    """
    conf = points["confidence"].to_numpy(float)
    err = points["error_px"].to_numpy(float)
    _check_points(conf, err, source, min_points)
    line = fit_line(conf, err, pseudocount)
    per_part = {}
    for bp, group in points.groupby("bodypart", sort=True):
        if len(group) >= min_points_bodypart and np.ptp(group["confidence"]) > 0:
            per_part[str(bp)] = fit_line(group["confidence"], group["error_px"], pseudocount)
    model = ErrorModel(line, fallback_threshold, pseudocount, per_part)
    if conf_threshold is not None:
        return ErrorModel(line, float(conf_threshold), pseudocount, per_part, "config")
    derived = model.threshold_for(tolerance_px)
    if derived is None:
        log.warning("%s: the error does not fall with confidence (slope %.3f): conf_threshold "
                    "stays %.2f", source, line.slope, fallback_threshold)
        return ErrorModel(line, fallback_threshold, pseudocount, per_part, "fallback (slope >= 0)")
    return ErrorModel(line, derived, pseudocount, per_part, f"derived ({tolerance_px:g} px)")


def kpms_noise_prior(conf: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    """keypoint-MoSeq's per-keypoint noise prior in px² (jax-moseq 0.3.7
    ``estimate_error``): ``10 ** (2 * (log10(conf + 1e-6) * slope + intercept))``."""
    return 10 ** (2 * (np.log10(np.asarray(conf, float) + 1e-6) * slope + intercept))


def model_dict(model: ErrorModel, extra: Mapping | None = None) -> dict:
    """The calibration file's content: keypoint-MoSeq's keys first, then ours."""
    out = {"slope": model.line.slope, "intercept": model.line.intercept,
           "conf_threshold": model.conf_threshold, "conf_pseudocount": model.pseudocount,
           "n_points": model.line.n, "r2": model.line.r2, "threshold_source": model.threshold_source,
           "bodyparts": {bp: {"slope": ln.slope, "intercept": ln.intercept, "n_points": ln.n, "r2": ln.r2}
                         for bp, ln in model.bodyparts.items()},
           "ethoflow_version": __version__}
    out.update(extra or {})
    return out


def read_error_model(path: str | os.PathLike) -> ErrorModel:
    """The error model of a ``calibration.yaml`` written by :func:`calibration_fit`."""
    try:
        d = yaml.safe_load(Path(path).read_text())
        parts = {bp: Line(float(v["slope"]), float(v["intercept"]), int(v["n_points"]), float(v["r2"]))
                 for bp, v in (d.get("bodyparts") or {}).items()}
        line = Line(float(d["slope"]), float(d["intercept"]), int(d["n_points"]), float(d["r2"]))
        return ErrorModel(line, float(d["conf_threshold"]), float(d["conf_pseudocount"]), parts,
                          str(d.get("threshold_source", "")))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as err:
        raise EthoflowError(f"{path}: not a calibration file ethoflow wrote ({err})") from None


def write_yaml(data: Mapping, path: str | os.PathLike, header: str = "") -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(header + yaml.safe_dump(dict(data), sort_keys=False))


def plot_fit(points: pd.DataFrame, model: ErrorModel, png: str | os.PathLike, tolerance_px: float) -> None:
    """Annotated points (log-log, coloured by source), the fitted line(s) and the threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ethoflow.io.figures import save_figure

    pc = model.pseudocount
    import matplotlib.ticker  # the formatters below

    fig, ax = plt.subplots(figsize=(7, 5))
    for src, group in points.groupby("source", sort=True):
        ax.scatter(group["confidence"] + pc, group["error_px"] + 1, s=12, alpha=0.6, label=f"{src} ({len(group)})")
    c = np.logspace(np.log10(max(points["confidence"].min(), 1e-4) + pc), 0, 100) - pc
    ax.plot(c + pc, model.line.error(c, pc) + 1, "k-", lw=2,
            label=f"all: slope {model.line.slope:.2f}, intercept {model.line.intercept:.2f}, R² {model.line.r2:.2f}")
    for bp, ln in model.bodyparts.items():
        ax.plot(c + pc, ln.error(c, pc) + 1, "--", lw=1, label=f"{bp}: slope {ln.slope:.2f}")
    ax.axvline(model.conf_threshold + pc, color="r", ls=":",
               label=f"conf_threshold {model.conf_threshold:.3f} ({model.threshold_source})")
    ax.axhline(tolerance_px + 1, color="0.6", ls=":", lw=1)
    ax.set(xscale="log", yscale="log", xlabel="confidence + pseudocount", ylabel="error (px) + 1",
           title=f"keypoint error vs confidence ({model.line.n} points)")
    for axis in (ax.xaxis, ax.yaxis):  # plain numbers on the log axes, not 6x10^0
        axis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        axis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.tick_params(which="minor", labelsize=7)
    ax.legend(fontsize=7, loc="upper right")
    save_figure(fig, png, "ethoflow calibration_fit: log10(error + 1) against log10(confidence)")


def _point_counts(points_csv: str | os.PathLike) -> dict[str, int]:
    """The points per source that ``calibration_points`` recorded in the file's header
    (sources that gave none included); empty when the file has no such header."""
    with open(points_csv) as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            if line.startswith("# params:"):
                return {str(k): int(v) for k, v in json.loads(line[len("# params:"):]).get("counts", {}).items()}
    return {}


def calibration_fit(points_csv: str | os.PathLike, out_yaml: str, patch_yml: str, png: str,
                    config: Mapping) -> ErrorModel:
    """The ``calibration_fit`` stage: the error model from the annotated points.

    Writes ``out_yaml`` (keypoint-MoSeq's keys ``slope``, ``intercept``, ``conf_threshold``,
    then the points, R², per-bodypart lines, the sources and the ethoflow version),
    ``patch_yml`` (the keys a keypoint-MoSeq project takes: ``kpms.update_config(project_dir,
    **patch)``) and the plot.

    Parameters
    ----------
    points_csv
        The annotated points (:func:`ethoflow.calibration.annotations.annotation_points`'s
        table: bodypart, confidence, error_px, source).
    config
        The keys this stage reads: ``calibration``.
    """
    c = config["calibration"]
    points = pd.read_csv(points_csv, comment="#", dtype={"key": str, "bodypart": str})
    model = fit_error_model(points, c["conf_pseudocount"], c["min_points"], c["min_points_bodypart"],
                            c["conf_threshold"], c["error_tolerance_px"], source=str(points_csv))
    sources = _point_counts(points_csv) or {
        str(k): int(v) for k, v in points["source"].value_counts().sort_index().items()}
    write_yaml(model_dict(model, {"error_tolerance_px": c["error_tolerance_px"], "sources": sources}), out_yaml,
               "# ethoflow calibration_fit: log10(error_px + 1) = intercept + slope * log10(conf + "
               "conf_pseudocount)\n")
    patch = {"slope": model.line.slope, "intercept": model.line.intercept,
             "conf_threshold": model.conf_threshold, "conf_pseudocount": model.pseudocount}
    write_yaml(patch, patch_yml, "# Merge into a keypoint-MoSeq project: kpms.update_config(project_dir, "
               "**yaml.safe_load(open('kpms_config_patch.yml')))\n# slope and intercept land in its "
               "error_estimator; conf_threshold and conf_pseudocount at the top level.\n")
    plot_fit(points, model, png, c["error_tolerance_px"])
    log.info("error model from %d points (%s): slope %.3f, intercept %.3f, R² %.3f, conf_threshold %.3f (%s)",
             model.line.n, ", ".join(f"{k}: {v}" for k, v in sources.items()), model.line.slope,
             model.line.intercept, model.line.r2, model.conf_threshold, model.threshold_source)
    return model
