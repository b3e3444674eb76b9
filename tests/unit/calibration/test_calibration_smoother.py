import numpy as np
import pytest

from ethoflow.calibration.fit import ErrorModel, Line
from ethoflow.calibration.smoother import calibrated_smooth, kalman_loglik, rts_smooth
from ethoflow.io.dlc import pose_arrays, pose_dataframe
from ethoflow.pose.filtering import filter_pose, kalman_smooth

PC = 1e-3
MODEL = ErrorModel(Line(slope=-0.5, intercept=0.3, n=100, r2=0.8), conf_threshold=0.02, pseudocount=PC)


def test_rts_matches_the_kalman_filter_of_the_filter_stage(rng):
    truth = np.cumsum(np.cumsum(rng.normal(0, 0.5, 300)))
    z = truth + rng.normal(0, 2, 300)
    z[50:60] = np.nan
    ours = rts_smooth(z[:, None], np.full((300, 1), 4.0), np.array([0.25]))
    theirs = kalman_smooth(z, np.ones(300), process_sd=0.5, measurement_sd=2.0)
    np.testing.assert_allclose(ours[:, 0], theirs, atol=0.05)
    # the right process noise and observation noise are the most likely ones
    loglik = kalman_loglik(z[:, None], np.full((300, 1), 4.0), np.array([0.01, 0.25, 25]),
                           np.array([0.25, 1.0, 4.0]))
    assert loglik.shape == (1, 3, 3) and np.isfinite(loglik).all()
    assert np.unravel_index(loglik[0].argmax(), (3, 3)) == (1, 1)


def heteroscedastic_track(rng, n=600):
    """A moving bodypart whose detection error follows MODEL's law: unsure points are far off."""
    t = np.arange(n)
    truth = np.stack([200 + 60 * np.sin(t / 30), 150 + 40 * np.cos(t / 45)], axis=-1)[:, None, :]
    lik = 10 ** rng.uniform(-2.5, 0, (n, 1))
    sd = MODEL.error(lik[:, 0]) / np.sqrt(2)
    xy = truth + rng.normal(0, 1, truth.shape) * sd[:, None, None]
    return truth, xy, lik


def test_the_calibrated_smoother_beats_the_other_filters_where_errors_follow_the_law(rng):
    truth, xy, lik = heteroscedastic_track(rng)
    df = pose_dataframe(xy, lik, ["snout"], "net")
    err = {"raw": np.linalg.norm(xy - truth, axis=-1).mean()}
    for method, window in (("median", 5), ("savgol", 7), ("kalman", 5)):
        _, out, _ = pose_arrays(filter_pose(df, method, window, p_bound=0.0))
        err[method] = np.linalg.norm(out - truth, axis=-1).mean()
    out = filter_pose(df, "calibrated", p_bound=0.0, error_model=MODEL)
    assert out.shape == df.shape and (out.columns == df.columns).all()
    _, cal, cal_lik = pose_arrays(out)
    np.testing.assert_array_equal(cal_lik, lik)
    err["calibrated"] = np.linalg.norm(cal - truth, axis=-1).mean()
    assert err["calibrated"] == min(err.values()) and err["calibrated"] < 0.7 * err["kalman"], err


def test_points_below_the_threshold_are_bridged_and_ends_held(rng):
    truth, xy, lik = heteroscedastic_track(rng, 200)
    lik[:20] = 0.001  # unsure at the start
    lik[100:110] = 0.001
    xy[100:110] += 500  # and wildly wrong in the middle
    smooth, chosen = calibrated_smooth(xy, lik, ["snout"], MODEL)
    assert np.abs(smooth[100:110] - truth[100:110]).max() < 15
    np.testing.assert_array_equal(smooth[:20], np.repeat(smooth[20:21], 20, axis=0))
    assert set(chosen) == {"snout"}
    # a long session: the search looks at spread blocks, the smoothing at every frame
    long_truth, long_xy, long_lik = heteroscedastic_track(rng, 5000)
    fast, _ = calibrated_smooth(long_xy, long_lik, ["snout"], MODEL, search_frames=2000)
    assert np.linalg.norm(fast - long_truth, axis=-1).mean() < 0.7 * np.linalg.norm(long_xy - long_truth, axis=-1).mean()
    with pytest.raises(ValueError, match="needs the calibration's error model"):
        filter_pose(pose_dataframe(xy, lik, ["snout"], "n"), "calibrated")
