"""The sticky AR-HMM (ethoflow.behaviour.arhmm) and its place in the motif stage."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ethoflow.behaviour.arhmm import (
    arhmm_labels,
    fit_arhmm,
    fit_pca,
    median_duration,
    project,
    scan_kappa,
    viterbi,
)
from ethoflow.demo.checks import state_agreement


def switching_ar(rng: np.random.Generator, n: int = 600, bout: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D latent pose from a true switching AR(1) process whose regimes share their mean
    (0): a noisy rotation one way, the other way, and a quick relaxation; the state changes
    every ``bout`` frames."""
    def rot(a, r):
        return r * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])

    dynamics = [rot(0.4, 0.97), rot(-0.4, 0.97), rot(0.0, 0.3)]
    states = (np.arange(n) // bout) % 3
    x = np.zeros((n, 2))
    for t in range(1, n):
        x[t] = dynamics[states[t]] @ x[t - 1] + rng.normal(0, 0.3, 2)
    return x, states


def test_arhmm_finds_regimes_that_differ_only_in_their_dynamics():
    """Same mean pose in every regime (k-means cannot tell them apart); the AR-HMM can."""
    rng = np.random.default_rng(0)
    (a, sa), (b, sb) = switching_ar(rng), switching_ar(rng, 480)
    model = fit_arhmm([a, b], 3, nlags=1, kappa=1e5, n_iter=30, seed=0)
    labels = np.concatenate([arhmm_labels(model, a), arhmm_labels(model, b)])
    agreement = state_agreement(labels, np.concatenate([sa, sb]))
    assert agreement["nmi"] > 0.8 and agreement["purity"] > 0.9
    assert model["ar_weights"].shape == (3, 2, 3) and model["ar_noise"].shape == (3, 2, 2)
    np.testing.assert_allclose(model["transmat"].sum(axis=1), 1.0)
    assert len(model["log_likelihood"]) == 30


def test_arhmm_is_seeded():
    rng = np.random.default_rng(1)
    x, _ = switching_ar(rng, 300)
    one = arhmm_labels(fit_arhmm([x], 3, nlags=2, n_iter=5, seed=4), x)
    two = arhmm_labels(fit_arhmm([x], 3, nlags=2, n_iter=5, seed=4), x)
    np.testing.assert_array_equal(one, two)
    assert one.shape == (300,) and one[0] == one[2]  # the first nlags frames take the first label


def test_kappa_sets_how_long_syllables_last():
    """A stickier prior makes longer syllables; scan_kappa picks the one nearest the target."""
    rng = np.random.default_rng(2)
    x = np.cumsum(rng.normal(0, 1, (400, 2)), axis=0) * 0.1  # one regime: no real switches
    best, rows = scan_kappa([x], 4, [1.0, 1e8], target_frames=400, nlags=1, n_iter=10, seed=0)
    assert rows[0]["median_frames"] < rows[1]["median_frames"]
    assert best == 1e8


def test_viterbi_is_the_most_likely_path():
    rng = np.random.default_rng(3)
    ll = rng.normal(0, 2, (6, 3))
    trans = rng.dirichlet(np.ones(3), 3)
    start = rng.dirichlet(np.ones(3))

    def score(path):
        return (np.log(start[path[0]]) + sum(ll[t, s] for t, s in enumerate(path))
                + sum(np.log(trans[a, b]) for a, b in zip(path[:-1], path[1:])))

    best = max(itertools.product(range(3), repeat=6), key=score)
    np.testing.assert_array_equal(viterbi(ll, np.log(trans), np.log(start)), best)


def test_pca_keeps_the_variance_asked_for():
    rng = np.random.default_rng(4)
    data = rng.normal(0, 1, (500, 5)) * [10, 5, 1, 0.1, 0.1]
    pca = fit_pca([data[:200], data[200:]], 0.9)
    assert len(pca["pca_components"]) == 2 and pca["pca_explained"].sum() >= 0.9
    assert project(pca, data).shape == (500, 2)
    with pytest.raises(ValueError, match="latent_var must be in"):
        fit_pca([data], 1.5)


def test_median_duration_pools_the_runs_of_every_session():
    assert median_duration([np.array([0, 0, 0, 1]), np.array([2, 2, 2, 2, 2])]) == 3.0


def test_bad_sessions_are_named():
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match="session 1: 3 frames, not more than the AR order"):
        fit_arhmm([np.ones((50, 2)), x], 2, nlags=3)
    y = np.ones((50, 2))
    y[10] = np.nan
    with pytest.raises(ValueError, match="session 0: the latent pose has gaps"):
        fit_arhmm([y], 2, nlags=3)
