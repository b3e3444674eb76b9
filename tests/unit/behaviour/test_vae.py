"""Egocentric alignment and the RNN-VAE (ethoflow.behaviour.features, .vae)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from ethoflow.behaviour.features import egocentric_features
from ethoflow.behaviour.io import read_embedding, write_embedding
from ethoflow.behaviour.vae import EmbedParams, embed, load_vae, train_vae

PARTS = ["snout", "neck", "centre", "tail"]


def pose_table(xy: np.ndarray, likelihood: np.ndarray | None = None) -> pd.DataFrame:
    """A DLC pose table from (n_frames, n_parts, 2) coordinates."""
    lik = np.ones(xy.shape[:2]) if likelihood is None else likelihood
    cols = pd.MultiIndex.from_product([["test"], PARTS, ["x", "y", "likelihood"]],
                                      names=["scorer", "bodyparts", "coords"])
    return pd.DataFrame(np.concatenate([xy, lik[..., None]], axis=-1).reshape(len(xy), -1), columns=cols)


def random_pose(rng: np.random.Generator, n: int = 50) -> np.ndarray:
    body = np.array([[20.0, 0.0], [10.0, 0.0], [0.0, 0.0], [-15.0, 0.0]])
    return body[None] + rng.normal(0, 2.0, (n, len(PARTS), 2))


def test_alignment_removes_place_and_heading():
    rng = np.random.default_rng(0)
    xy = random_pose(rng)
    base, names = egocentric_features(pose_table(xy), "centre", "neck")
    assert names == ["snout_x", "snout_y", "tail_x", "tail_y", "neck_x"]
    assert base.shape == (50, 5) and base.dtype == np.float32
    angle = rng.uniform(-np.pi, np.pi, 50)[:, None]
    rot = np.stack([xy[..., 0] * np.cos(angle) - xy[..., 1] * np.sin(angle),
                    xy[..., 0] * np.sin(angle) + xy[..., 1] * np.cos(angle)], axis=-1)
    moved = rot + rng.uniform(0, 200, (50, 1, 2))
    other, _ = egocentric_features(pose_table(moved), "centre", "neck")
    np.testing.assert_allclose(other, base, atol=1e-3)
    # the heading point's distance is kept: a stretched body gives larger neck_x
    assert np.all(base[:, 4] > 0)


def test_low_likelihood_points_are_interpolated():
    rng = np.random.default_rng(1)
    xy = random_pose(rng, 20)
    lik = np.ones((20, len(PARTS)))
    xy[5, 0] = [500.0, 500.0]  # a wild snout point the network was unsure of
    lik[5, 0] = 0.1
    features, _ = egocentric_features(pose_table(xy, lik), "centre", "neck", pcutoff=0.6)
    assert np.all(np.abs(features[:, :2]) < 40)


def test_bad_alignment_settings_name_the_file():
    df = pose_table(random_pose(np.random.default_rng(2), 10))
    with pytest.raises(ValueError, match="a.h5: embed.align origin bodypart 'body' is not in"):
        egocentric_features(df, "body", "neck", source="a.h5")
    lik = np.ones((10, len(PARTS)))
    lik[:, 3] = 0.0
    with pytest.raises(ValueError, match="a.h5: bodypart.*tail never above"):
        egocentric_features(pose_table(random_pose(np.random.default_rng(2), 10), lik), "centre",
                            "neck", source="a.h5")


TINY = {"time_window": 8, "zdims": 3, "hidden_size_layer_1": 16, "hidden_size_rec": 16,
        "hidden_size_pred": 16, "future_steps": 4, "batch_size": 32, "epochs": 12, "lr": 3e-3,
        "kl_start": 1, "annealtime": 2, "test_fraction": 0.2, "device": "cpu"}


def two_regimes(rng: np.random.Generator, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Features that alternate between a still posture and a fast oscillation, every 50 frames."""
    state = (np.arange(n) // 50) % 2
    t = np.arange(n)
    f = np.stack([np.where(state, 2 * np.sin(2 * np.pi * t / 6), -1.0),
                  np.where(state, 2 * np.cos(2 * np.pi * t / 6), 1.0),
                  np.where(state, 0.0, 1.5)], axis=1)
    return (f + rng.normal(0, 0.1, f.shape)).astype(np.float32), state


def test_vae_learns_and_separates_two_behaviours(tmp_path):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    torch.set_num_threads(1)
    rng = np.random.default_rng(3)
    (a, sa), (b, _) = two_regimes(rng), two_regimes(rng, 300)
    stats = train_vae({"a": a, "b": b}, EmbedParams(**TINY, seed=0), tmp_path / "m.pt",
                      tmp_path / "stats.csv", ["f0", "f1", "f2"], extra={"note": "test"})
    assert list(stats["epoch"]) == list(range(1, 13))
    assert pd.read_csv(tmp_path / "stats.csv", comment="#").equals(stats)
    assert "# note:" in (tmp_path / "stats.csv").read_text()
    assert stats["test_loss"].iloc[-1] < 0.5 * stats["test_loss"].iloc[0]
    model, state = load_vae(tmp_path / "m.pt", "cpu")
    assert state["train_sessions"] == ["a", "b"] and state["provenance"] == {"note": "test"}
    latent = embed(model, state, a)
    assert latent.shape == (400, 3)
    labels = KMeans(2, n_init=5, random_state=0).fit_predict(latent)
    assert adjusted_rand_score(sa, labels) > 0.6
    with pytest.raises(ValueError, match="x.h5: 2 features, the model was trained on 3"):
        embed(model, state, a[:, :2], source="x.h5")


def test_training_is_deterministic(tmp_path):
    torch.set_num_threads(1)
    f, _ = two_regimes(np.random.default_rng(4), 200)
    p = EmbedParams(**{**TINY, "epochs": 3}, seed=7)
    for name in ("a", "b"):
        train_vae({"s": f}, p, tmp_path / f"{name}.pt", tmp_path / f"{name}.csv")
    # byte-identical files, whatever their names
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    ma, _ = load_vae(tmp_path / "a.pt", "cpu")
    mb, _ = load_vae(tmp_path / "b.pt", "cpu")
    for (k, va), vb in zip(ma.state_dict().items(), mb.state_dict().values()):
        assert torch.equal(va, vb), k


def test_sessions_shorter_than_a_window_are_an_error(tmp_path):
    with pytest.raises(ValueError, match="shorter than one training window of 12 frames"):
        train_vae({"s": np.zeros((10, 3), np.float32)}, EmbedParams(**TINY), tmp_path / "m.pt",
                  tmp_path / "s.csv")


def test_embedding_file_round_trip(tmp_path):
    z, f = np.ones((5, 2), np.float32), np.zeros((5, 3), np.float32)
    write_embedding(tmp_path / "e.h5", z, f, ["a", "b", "c"], {"session": "s1", "params": {"x": 1}})
    out = read_embedding(tmp_path / "e.h5")
    np.testing.assert_array_equal(out["latent_vector"], z)
    assert out["attrs"]["session"] == "s1" and "ethoflow_version" in out["attrs"]
    with pytest.raises(ValueError, match="missing.h5: not an ethoflow embedding"):
        read_embedding(tmp_path / "missing.h5")
