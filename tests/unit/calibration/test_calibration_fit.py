import numpy as np
import pandas as pd
import pytest
import yaml

from ethoflow.calibration.fit import (
    calibration_fit,
    fit_error_model,
    fit_line,
    kpms_noise_prior,
    read_error_model,
)
from ethoflow.exceptions import EthoflowError

PC = 1e-3


def law_points(rng, n=100, slope=-0.6, intercept=0.35, noise=0.08, bodyparts=("snout", "tail")):
    """Detections drawn with a known law: log10(error + 1) = intercept + slope * log10(conf + pc) + noise."""
    conf = 10 ** rng.uniform(-3, 0, n)
    y = intercept + slope * np.log10(conf + PC) + rng.normal(0, noise, n)
    return pd.DataFrame({"bodypart": rng.choice(bodyparts, n), "confidence": conf,
                         "error_px": 10**y - 1, "source": "truth"})


def test_fit_recovers_the_law_and_is_keypoint_moseqs_regression(rng):
    points = law_points(rng)
    line = fit_line(points["confidence"], points["error_px"], PC)
    assert abs(line.slope / -0.6 - 1) < 0.1 and abs(line.intercept / 0.35 - 1) < 0.1, line
    # keypoint-MoSeq 0.8.1's widget: np.polyfit(log10(conf + pseudocount), log10(error + 1), 1)
    slope, intercept = np.polyfit(np.log10(points["confidence"] + PC), np.log10(points["error_px"] + 1), 1)
    assert line.slope == pytest.approx(slope, rel=1e-12) and line.intercept == pytest.approx(intercept, rel=1e-12)
    assert line.n == 100 and 0.8 < line.r2 <= 1


def test_threshold_per_bodypart_lines_and_the_noise_prior(rng):
    points = law_points(rng, n=200)
    model = fit_error_model(points, PC, min_points=20, min_points_bodypart=60, tolerance_px=5.0)
    assert set(model.bodyparts) == {"snout", "tail"} and model.threshold_source == "derived (5 px)"
    # at the derived threshold the line predicts the tolerance
    assert model.line.error(model.conf_threshold, PC) == pytest.approx(5.0, rel=1e-6)
    assert model.error(np.array([0.01, 0.9]), "snout")[0] > model.error(np.array([0.01, 0.9]), "snout")[1]
    fixed = fit_error_model(points, PC, conf_threshold=0.5)
    assert fixed.conf_threshold == 0.5 and fixed.threshold_source == "config"
    # jax-moseq's estimate_error, in px^2
    s0 = kpms_noise_prior(np.array([0.5]), model.line.slope, model.line.intercept)
    assert s0[0] == pytest.approx(10 ** (2 * (np.log10(0.5 + 1e-6) * model.line.slope + model.line.intercept)))
    # a line that does not fall with confidence: the fallback threshold, said so
    flat = points.assign(error_px=rng.uniform(0, 3, len(points)), confidence=np.linspace(0.01, 1, len(points)))
    flat.loc[flat.index[-20:], "error_px"] += 20
    up = fit_error_model(flat, PC)
    assert up.line.slope > 0 and up.conf_threshold == 0.5 and up.threshold_source.startswith("fallback")


@pytest.mark.parametrize("change, message", [
    (lambda p: p.iloc[:10], "10 annotated points, fewer than the 20"),
    (lambda p: p.assign(confidence=0.7), "the same confidence"),
    (lambda p: p.assign(confidence=p["confidence"] * 2), r"must lie in \[0, 1\]"),
])
def test_bad_points_are_refused_naming_the_file(rng, change, message):
    with pytest.raises(EthoflowError, match=f"points.csv: .*{message}"):
        fit_error_model(change(law_points(rng)), PC, source="points.csv")


def test_the_stage_writes_keypoint_moseq_keys_and_a_patch(rng, tmp_path):
    points = law_points(rng)
    points.to_csv(tmp_path / "points.csv", index=False)
    config = {"calibration": {"conf_pseudocount": PC, "min_points": 20, "min_points_bodypart": 30,
                              "conf_threshold": None, "error_tolerance_px": 10.0}}
    out = tmp_path / "calibration.yaml"
    model = calibration_fit(tmp_path / "points.csv", out, tmp_path / "patch.yml", tmp_path / "fit.png", config)
    saved = yaml.safe_load(out.read_text())
    assert list(saved)[:3] == ["slope", "intercept", "conf_threshold"]
    assert saved["n_points"] == 100 and saved["sources"] == {"truth": 100} and "ethoflow_version" in saved
    patch = yaml.safe_load((tmp_path / "patch.yml").read_text())
    # the keys keypoint-MoSeq's update_config takes (slope/intercept land in error_estimator)
    assert set(patch) == {"slope", "intercept", "conf_threshold", "conf_pseudocount"}
    again = read_error_model(out)
    assert again.line == model.line and again.conf_threshold == pytest.approx(model.conf_threshold)
    assert (tmp_path / "fit.png").stat().st_size > 0
    (tmp_path / "bad.yaml").write_text("slope: 1\n")
    with pytest.raises(EthoflowError, match="bad.yaml: not a calibration file"):
        read_error_model(tmp_path / "bad.yaml")
