"""Motif segmentation (ethoflow.behaviour.motifs)."""

from __future__ import annotations

import numpy as np
import pytest

from ethoflow.behaviour.io import (
    motif_usage,
    read_segmentation,
    read_segmentation_model,
    write_embedding,
    write_segmentation,
    write_segmentation_model,
)
from ethoflow.behaviour.motifs import (
    fit_motifs,
    fit_segmentation,
    label_frames,
    pose_features,
    sample_frames,
    segment_session,
)
from ethoflow.demo.checks import state_agreement


def blobs(rng: np.random.Generator, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Latent vectors from three well-separated behaviours that persist for 30 frames."""
    states = (np.arange(n) // 30) % 3
    centres = np.array([[0, 0, 0], [6, 0, 0], [0, 6, 0]], float)
    return centres[states] + rng.normal(0, 0.5, (n, 3)), states


@pytest.mark.parametrize("method", ["kmeans", "hmm"])
def test_motifs_recover_known_states_and_round_trip(method, tmp_path):
    rng = np.random.default_rng(0)
    (a, sa), (b, _) = blobs(rng), blobs(rng, 200)
    model = fit_segmentation([a, b], method, 3, seed=0, n_init=3)
    assert model["cluster_center"].shape == (3, 3)
    labels = label_frames(model, a)
    agreement = state_agreement(labels, sa)
    assert agreement["nmi"] > 0.95 and agreement["purity"] > 0.98
    write_segmentation_model(model, tmp_path / "m.h5", {"sessions": ["a", "b"]})
    again = read_segmentation_model(tmp_path / "m.h5")
    assert again["method"] == method and again["n_clusters"] == 3
    np.testing.assert_array_equal(label_frames(again, b), label_frames(model, b))
    write_segmentation(tmp_path / "a.h5", labels, model, {"session": "a"})
    seg = read_segmentation(tmp_path / "a.h5")
    np.testing.assert_array_equal(seg["labels"], labels)
    assert seg["motif_usage"].sum() == 300 and seg["attrs"]["session"] == "a"


def test_the_same_seed_gives_the_same_motifs():
    rng = np.random.default_rng(1)
    a, _ = blobs(rng)
    m1, m2 = (fit_segmentation([a], "kmeans", 4, seed=3, n_init=2) for _ in range(2))
    np.testing.assert_array_equal(m1["cluster_center"], m2["cluster_center"])


def test_usage_counts_every_motif():
    np.testing.assert_array_equal(motif_usage(np.array([0, 0, 2, 2, 2]), 4), [2, 0, 3, 0])


def test_sampling_spreads_over_sessions():
    a, b = np.arange(600)[:, None], np.arange(200)[:, None]
    out = sample_frames([a, b], 100, seed=0)
    assert sum(len(x) for x in out) <= 100 and len(out[0]) == 3 * len(out[1])
    assert sample_frames([a, b], 0, seed=0)[0] is a


def test_bad_settings_are_explained():
    z = np.zeros((4, 2))
    with pytest.raises(ValueError, match="segment.method: 'gmm' is not one of kmeans, hmm"):
        fit_segmentation([z], "gmm", 2, 0)
    with pytest.raises(ValueError, match="4 frames cannot make 5 motifs"):
        fit_segmentation([z], "kmeans", 5, 0)
    model = {"method": "kmeans", "n_clusters": 2, "cluster_center": np.zeros((2, 3))}
    with pytest.raises(ValueError, match="2 dimensions, the segmentation model 3"):
        label_frames(model, z)


def test_a_session_segmented_on_its_own_and_with_the_shared_model(tmp_path):
    """The motif stage's two scopes, through the files the workflow passes along."""
    rng = np.random.default_rng(2)
    paths = []
    for name in ("s1", "s2"):
        z, _ = blobs(rng)
        paths.append(tmp_path / f"{name}.h5")
        write_embedding(paths[-1], z.astype(np.float32), np.zeros((len(z), 1), np.float32), ["f"], {})
    segment = {"method": "kmeans", "n_clusters": 3, "scope": "shared", "max_frames": 400,
               "n_init": 2, "n_iter": 10}
    config = {"segment": segment, "seed": 0}
    fit_motifs([str(p) for p in paths], str(tmp_path / "model.h5"), config)
    shared, latents = segment_session(str(paths[0]), str(tmp_path / "shared.h5"), config, "s1",
                                      model_h5=str(tmp_path / "model.h5"))
    alone, _ = segment_session(str(paths[0]), str(tmp_path / "alone.h5"),
                               {"segment": {**segment, "scope": "individual"}, "seed": 0}, "s1")
    assert latents.shape == (300, 3)
    assert read_segmentation_model(tmp_path / "model.h5")["attrs"]["sessions"] == '["s1", "s2"]'
    # the same three behaviours, whatever the motif numbers
    assert state_agreement(shared, alone)["nmi"] > 0.95
    assert read_segmentation(tmp_path / "alone.h5")["attrs"]["model"] == ""


def _pose_table(path, xy: np.ndarray, lik: np.ndarray) -> str:
    from ethoflow.io.dlc import pose_dataframe, write_pose_table

    write_pose_table(pose_dataframe(xy, lik, ["snout", "neck", "centre", "tail"], "test"), path)
    return str(path)


def test_arhmm_segments_pose_tables_below_the_calibrations_threshold(tmp_path):
    """segment.method arhmm: pose tables in (no VAE); with a calibration file, points below its
    conf_threshold are interpolated first (keypoint-MoSeq's conf_threshold); a session too
    short for the AR order is named."""
    from ethoflow.calibration.fit import write_yaml

    rng = np.random.default_rng(5)
    n = 300
    still = (np.arange(n) // 50) % 2 == 0  # bouts of stillness and of rhythmic stretching
    stretch = np.where(still, 0.7, 1.0 + 0.3 * np.sin(2 * np.pi * np.arange(n) / 8))
    xy = np.zeros((n, 4, 2))
    xy[:, :, 0] = np.array([30.0, 15.0, 0.0, -30.0])[None] * stretch[:, None]
    xy += rng.normal(0, 0.5, xy.shape) + np.array([100.0, 80.0])
    lik = np.full((n, 4), 0.9)
    lik[::7, 0] = 0.3  # some unsure snout points, thrown far off
    xy[::7, 0] += 80.0
    paths = [_pose_table(tmp_path / "s1.h5", xy, lik), _pose_table(tmp_path / "s2.h5", xy[::-1], lik[::-1])]
    segment = {"method": "arhmm", "n_clusters": 2, "scope": "shared", "max_frames": 0, "n_init": 2,
               "n_iter": 20, "latent_var": 0.9, "nlags": 2, "kappa": 1e5, "alpha": 5.7}
    config = {"segment": segment, "seed": 0, "embed": {"align": ["centre", "neck"], "pcutoff": 0.0}}
    write_yaml({"slope": -1.0, "intercept": 0.5, "conf_threshold": 0.5, "conf_pseudocount": 0.001,
                "n_points": 50, "r2": 0.3}, tmp_path / "calibration.yaml")
    fit_motifs(paths, str(tmp_path / "model.h5"), config, str(tmp_path / "calibration.yaml"))
    labels, latents = segment_session(paths[0], str(tmp_path / "s1_motifs.h5"), config, "s1",
                                      model_h5=str(tmp_path / "model.h5"),
                                      calibration_yaml=str(tmp_path / "calibration.yaml"))
    assert labels.shape == (n,) and latents.shape[0] == n
    assert state_agreement(labels, still.astype(int))["purity"] > 0.95
    model = read_segmentation_model(tmp_path / "model.h5")
    assert model["method"] == "arhmm" and '"kappa": 100000.0' in model["attrs"]["params"]
    # without the threshold the thrown points are kept: a PCA of other numbers
    plain = fit_motifs(paths, None, config)
    assert not np.allclose(plain["pca_mean"], model["pca_mean"])
    short = _pose_table(tmp_path / "short.h5", xy[:2], lik[:2])
    with pytest.raises(ValueError, match="short.h5: 2 frames, not more than the AR-HMM's order"):
        segment_session(short, str(tmp_path / "short_motifs.h5"), config, "short",
                        model_h5=str(tmp_path / "model.h5"))


def test_an_hmm_state_a_rounding_error_short_of_positive_definite_still_labels():
    """A collapsed state's covariance with a tiny negative eigenvalue (as EM can leave it)."""
    rng = np.random.default_rng(3)
    z, _ = blobs(rng)
    model = fit_segmentation([z], "hmm", 3, seed=0, n_init=2, n_iter=5)
    bad = np.array(model["covars"])
    v = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    bad[0] = (v * np.array([1.0, 1e-3, -1e-12])) @ v.T + np.triu(np.full((3, 3), 1e-15), 1)
    model["covars"] = bad
    assert label_frames(model, z).shape == (len(z),)


def _stretching_mouse(tmp_path, name: str, seed: int, n: int = 240) -> str:
    """A pose table of bouts of stillness and of rhythmic stretching (4 bodyparts)."""
    rng = np.random.default_rng(seed)
    still = (np.arange(n) // 40) % 2 == 0
    stretch = np.where(still, 0.7, 1.0 + 0.3 * np.sin(2 * np.pi * np.arange(n) / 8))
    xy = np.zeros((n, 4, 2))
    xy[:, :, 0] = np.array([30.0, 15.0, 0.0, -30.0])[None] * stretch[:, None]
    xy += rng.normal(0, 0.5, xy.shape) + np.array([100.0, 80.0])
    return _pose_table(tmp_path / f"{name}.h5", xy, np.full((n, 4), 0.9))


@pytest.mark.parametrize("method", ["arhmm", "kmeans"])
def test_the_same_seed_gives_byte_identical_labels(method, tmp_path):
    """Determinism: the same inputs and seed give the same labels, byte for byte, through the
    whole fit (AR-HMM: k-means starts and every Gibbs draw) and the stored file."""
    paths = [_stretching_mouse(tmp_path, f"s{i}", i) for i in range(2)]
    segment = {"method": method, "n_clusters": 3, "scope": "shared", "max_frames": 0, "n_init": 2,
               "n_iter": 15, "latent_var": 0.9, "nlags": 2, "kappa": 1e4, "alpha": 5.7}
    embed = {"align": ["centre", "neck"], "pcutoff": 0.0}
    if method == "kmeans":  # k-means segments latent vectors: the features stand in for them
        embed_paths = []
        for p in paths:
            f, names = pose_features(p, {"embed": embed, "segment": segment})
            write_embedding(p.replace(".h5", "_embed.h5"), f, f, names, {"session": "s"})
            embed_paths.append(p.replace(".h5", "_embed.h5"))
        paths = embed_paths

    def labels(seed: int, run: str) -> bytes:
        config = {"segment": segment, "seed": seed, "embed": embed}
        fit_motifs(paths, str(tmp_path / f"{run}.h5"), config)
        out, _ = segment_session(paths[0], str(tmp_path / f"{run}_s0.h5"), config, "s0",
                                 model_h5=str(tmp_path / f"{run}.h5"))
        stored = read_segmentation(tmp_path / f"{run}_s0.h5")["labels"]
        np.testing.assert_array_equal(stored, out)
        return stored.tobytes()

    first = labels(0, "a")
    assert labels(0, "b") == first
    assert len(set(np.frombuffer(first, np.int64))) >= 2  # not a trivial labelling


def test_a_session_without_any_good_point_is_named(tmp_path):
    """An all-NaN pose table (e.g. the animal never in view): a clear error naming it."""
    path = _pose_table(tmp_path / "empty.h5", np.full((50, 4, 2), np.nan), np.zeros((50, 4)))
    config = {"segment": {"method": "arhmm", "nlags": 3}, "embed": {"align": ["centre", "neck"], "pcutoff": 0.5}}
    with pytest.raises(ValueError, match="empty.h5: bodypart.*never above the likelihood cut-off"):
        pose_features(path, config)
