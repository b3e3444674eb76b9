import numpy as np
import pytest

from ethoflow.io.dlc import pose_dataframe
from ethoflow.pose.filtering import filter_pose, interpolate_missing, kalman_smooth


def noisy_track(rng, n=300):
    t = np.arange(n)
    truth = np.stack([100 + 40 * np.sin(t / 25), 80 + 30 * np.cos(t / 40)], axis=-1)[:, None, :]
    xy = truth + rng.normal(0, 2.0, truth.shape)
    lik = np.full((n, 1), 0.95)
    bad = rng.random(n) < 0.1  # low-confidence frames with wild predictions
    xy[bad] += rng.normal(0, 40, (bad.sum(), 1, 2))
    lik[bad] = 0.001
    return truth, pose_dataframe(xy, lik, ["snout"], "s")


@pytest.mark.parametrize("method", ["median", "savgol", "kalman"])
def test_filters_reduce_error_and_keep_format(rng, method):
    truth, df = noisy_track(rng)
    window = 7 if method != "median" else 5
    out = filter_pose(df, method=method, window=window, p_bound=0.01)
    assert out.shape == df.shape and (out.columns == df.columns).all()
    before = np.linalg.norm(df.values[:, :2] - truth[:, 0], axis=1).mean()
    after = np.linalg.norm(out.values[:, :2] - truth[:, 0], axis=1).mean()
    assert after < before / 3, (before, after)
    np.testing.assert_array_equal(out.values[:, 2], df.values[:, 2])


def test_interpolation_and_edge_cases():
    np.testing.assert_allclose(interpolate_missing(np.array([np.nan, 1, np.nan, 3, np.nan])), [1, 1, 2, 3, 3])
    assert np.isnan(interpolate_missing(np.full(3, np.nan))).all()
    assert np.isnan(kalman_smooth(np.full(4, np.nan), np.ones(4))).all()
    with pytest.raises(ValueError, match="median, savgol, kalman"):
        filter_pose(noisy_track(np.random.default_rng(0))[1], method="arima")
    with pytest.raises(ValueError, match="odd"):
        filter_pose(noisy_track(np.random.default_rng(0))[1], method="savgol", window=4)
