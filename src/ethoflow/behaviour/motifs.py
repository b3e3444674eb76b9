"""Behavioural motifs from latent vectors, VAME-equivalent (``segment_session``), or from the
pose itself with keypoint-MoSeq's AR-HMM.

A segmentation model is fitted on the latent vectors of all sessions together (VAME's
"same model across sessions", so motif 3 means the same in every session) or on each
session alone (``individual``): k-means (VAME's default, ``KMeans(init="k-means++")``) or a
Gaussian hidden Markov model (``hmmlearn.GaussianHMM``, full covariances, as VAME's ``hmm``;
started from the k-means clusters). ``arhmm`` fits :mod:`ethoflow.behaviour.arhmm` to the
egocentric pose features (PCA inside the model) instead of the VAE's latent vectors.
Every frame then gets a motif label; a session's motif usage is the count of frames per
motif (VAME's ``motif_usage_<session>.npy``). :func:`fit_motifs` and :func:`segment_session`
are the ``segment_fit`` and ``segment_session`` stages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ethoflow.behaviour.io import (
    read_embedding,
    read_segmentation_model,
    write_segmentation,
    write_segmentation_model,
)

log = logging.getLogger(__name__)

__all__ = [
    "ARHMM_KEYS",
    "METHODS",
    "SEGMENT_KEYS",
    "fit_motifs",
    "fit_segmentation",
    "label_frames",
    "pose_features",
    "sample_frames",
    "sample_windows",
    "segment_keys",
    "segment_session",
    "session_series",
]

METHODS = ("kmeans", "hmm", "arhmm")
#: The config's ``segment`` keys the motif model depends on (recorded with it).
SEGMENT_KEYS = ("method", "n_clusters", "scope", "max_frames", "n_init", "n_iter")
#: ... and those the AR-HMM adds (see :func:`segment_keys`).
ARHMM_KEYS = ("latent_var", "nlags", "kappa", "alpha")


def segment_keys(method: str) -> tuple[str, ...]:
    """The ``segment`` keys a method's motifs depend on."""
    return SEGMENT_KEYS + (ARHMM_KEYS if method == "arhmm" else ())


def sample_windows(series: Sequence[np.ndarray], max_frames: int, seed: int) -> list[np.ndarray]:
    """At most ``max_frames`` frames in all as one unbroken window per session (dynamics need
    consecutive frames), each session's window in proportion to its length, placed at a
    seeded start. With ``max_frames`` 0 or at least the total, everything is used."""
    total = sum(len(z) for z in series)
    if not max_frames or total <= max_frames:
        return list(series)
    rng = np.random.default_rng(seed)
    out = []
    for z in series:
        n = max(1, int(len(z) * max_frames / total))
        start = int(rng.integers(len(z) - n + 1))
        out.append(z[start : start + n])
    return out


def sample_frames(latents: Sequence[np.ndarray], max_frames: int, seed: int) -> list[np.ndarray]:
    """At most ``max_frames`` latent vectors in all, spread evenly over the sessions' frames.

    Every ``stride``-th frame from a seeded offset is kept, in order (the HMM needs frames
    in time order), so each session contributes in proportion to its length. With
    ``max_frames`` 0 or at least the total, everything is used.
    """
    total = sum(len(z) for z in latents)
    if not max_frames or total <= max_frames:
        return list(latents)
    stride = int(np.ceil(total / max_frames))
    offset = int(np.random.default_rng(seed).integers(stride))
    return [z[offset::stride] for z in latents]


def fit_segmentation(latents: Sequence[np.ndarray], method: str, n_clusters: int, seed: int,
                     n_init: int = 15, n_iter: int = 100, arhmm: Mapping | None = None) -> dict:
    """Fit k-means, a Gaussian HMM or the AR-HMM to latent vectors (for ``arhmm``: to pose
    features).

    Parameters
    ----------
    latents
        One ``(n_frames, zdims)`` array per session (kept apart for the HMM's sequences).
    method
        ``kmeans`` or ``hmm``.
    n_clusters
        Motifs (VAME ``n_cluster``).
    seed
        Seeds k-means++ and the HMM's initialisation.
    n_init, n_iter
        k-means restarts; HMM EM iterations; AR-HMM Gibbs sweeps.
    arhmm
        The AR-HMM's ``latent_var``, ``nlags``, ``kappa`` and ``alpha``.

    Returns
    -------
    dict
        ``method``, ``n_clusters`` and the parameters: ``cluster_center`` for all (for the
        HMMs, each state's mean; the AR-HMM's in PCA space), ``startprob``, ``transmat``,
        ``covars`` for the HMM; the PCA and :func:`~ethoflow.behaviour.arhmm.fit_arhmm`'s
        arrays for the AR-HMM.
    """
    if method not in METHODS:
        raise ValueError(f"segment.method: '{method}' is not one of {', '.join(METHODS)}")
    data = np.concatenate(latents).astype(np.float64)
    if len(data) < n_clusters:
        raise ValueError(f"segment: {len(data)} frames cannot make {n_clusters} motifs")
    if method == "arhmm":
        from ethoflow.behaviour.arhmm import arhmm_labels, fit_arhmm, fit_pca, project

        a = arhmm or {}
        pca = fit_pca(latents, a.get("latent_var", 0.9))
        xs = [project(pca, z) for z in latents]
        log.info("AR-HMM: PCA to %d dimensions (%.1f%% of the variance) on %d frames",
                 len(pca["pca_components"]), 100 * pca["pca_explained"].sum(), len(data))
        model = fit_arhmm(xs, n_clusters, a.get("nlags", 3), a.get("kappa", 1e6), a.get("alpha", 5.7),
                          n_iter, seed)
        labels = np.concatenate([arhmm_labels(model, x) for x in xs])
        x = np.concatenate(xs)
        centres = np.stack([x[labels == k].mean(axis=0) if (labels == k).any() else np.full(x.shape[1], np.nan)
                            for k in range(n_clusters)])
        return {"method": method, "n_clusters": n_clusters, "cluster_center": centres, **pca, **model}
    if method == "kmeans":
        from sklearn.cluster import KMeans

        km = KMeans(n_clusters=n_clusters, init="k-means++", n_init=n_init, random_state=seed).fit(data)
        log.info("k-means: %d motifs from %d frames, inertia %.1f", n_clusters, len(data), km.inertia_)
        return {"method": method, "n_clusters": n_clusters, "cluster_center": km.cluster_centers_}
    from hmmlearn.hmm import GaussianHMM
    from sklearn.cluster import KMeans

    # Start from k-means: its centres and within-cluster covariances. (hmmlearn's own start
    # gives every state the covariance of all the data, from which EM can merge the states.)
    km = KMeans(n_clusters=n_clusters, init="k-means++", n_init=n_init, random_state=seed).fit(data)
    eye = np.eye(data.shape[1])
    covars = np.stack([
        (np.cov(data[km.labels_ == k].T) if (km.labels_ == k).sum() > 1 else eye).reshape(eye.shape)
        + 1e-3 * eye for k in range(n_clusters)])
    hmm = GaussianHMM(n_components=n_clusters, covariance_type="full", n_iter=n_iter,
                      random_state=seed, init_params="st")
    hmm.means_ = km.cluster_centers_
    hmm.covars_ = covars
    hmm.fit(data, lengths=[len(z) for z in latents])
    log.info("HMM: %d states from %d frames, converged %s after %d iterations, log-likelihood %.1f",
             n_clusters, len(data), hmm.monitor_.converged, hmm.monitor_.iter,
             hmm.monitor_.history[-1] if hmm.monitor_.history else np.nan)
    return {"method": method, "n_clusters": n_clusters, "cluster_center": hmm.means_,
            "startprob": hmm.startprob_, "transmat": hmm.transmat_, "covars": _positive_definite(hmm.covars_)}


def _positive_definite(covars: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """Covariances made exactly symmetric with eigenvalues at least ``floor`` times their
    mean variance: a state that collapsed onto a few frames can come out of EM a rounding
    error short of positive definite, which hmmlearn then refuses to label with."""
    out = []
    for c in np.asarray(covars, np.float64):
        c = (c + c.T) / 2
        w, v = np.linalg.eigh(c)
        w = np.maximum(w, floor * max(float(np.trace(c)) / len(c), 1e-12))
        out.append((v * w) @ v.T)
    return np.stack(out)


def label_frames(model: Mapping, latent: np.ndarray) -> np.ndarray:
    """Each frame's motif: the nearest centre (k-means) or the Viterbi path (HMM, AR-HMM)."""
    z = np.asarray(latent, np.float64)
    if model["method"] == "arhmm":
        from ethoflow.behaviour.arhmm import arhmm_labels, project

        if z.shape[1] != model["pca_mean"].shape[0]:
            raise ValueError(f"pose features have {z.shape[1]} dimensions, the AR-HMM "
                             f"{model['pca_mean'].shape[0]}: refit it with the current pose")
        return arhmm_labels(model, project(model, z))
    centres = np.asarray(model["cluster_center"], np.float64)
    if z.shape[1] != centres.shape[1]:
        raise ValueError(f"latent vectors have {z.shape[1]} dimensions, the segmentation model "
                         f"{centres.shape[1]}: refit it with the current embedding")
    if model["method"] == "kmeans":
        d = (z**2).sum(1)[:, None] - 2 * z @ centres.T + (centres**2).sum(1)[None]
        return np.argmin(d, axis=1).astype(np.int64)
    from hmmlearn.hmm import GaussianHMM

    hmm = GaussianHMM(n_components=int(model["n_clusters"]), covariance_type="full")
    hmm.startprob_ = np.asarray(model["startprob"])
    hmm.transmat_ = np.asarray(model["transmat"])
    hmm.means_ = centres
    hmm.covars_ = _positive_definite(model["covars"])
    return hmm.predict(z).astype(np.int64)


def session_series(paths: Sequence[str], config: Mapping, calibration_yaml: str | None = None
                   ) -> list[np.ndarray]:
    """What the method segments, one array per session: the VAE's latent vectors (embedding
    files), or for ``arhmm`` the egocentric pose features of the pose tables, with points
    below the calibration's ``conf_threshold`` (when given; else ``embed.pcutoff``)
    interpolated, as keypoint-MoSeq uses its ``conf_threshold``."""
    if config["segment"]["method"] != "arhmm":
        return [read_embedding(p)["latent_vector"] for p in paths]
    return [pose_features(p, config, calibration_yaml)[0] for p in paths]


def pose_features(pose_h5: str, config: Mapping, calibration_yaml: str | None = None
                  ) -> tuple[np.ndarray, list[str]]:
    """One session's egocentric features and their names, as the AR-HMM sees them (points
    below the calibration's ``conf_threshold``, else ``embed.pcutoff``, interpolated).

    Raises
    ------
    ValueError
        Naming the file, if the session is not longer than ``segment.nlags`` frames.
    """
    from ethoflow.behaviour.features import session_features

    embed = dict(config["embed"])
    if calibration_yaml:
        from ethoflow.calibration.fit import read_error_model

        embed["pcutoff"] = read_error_model(calibration_yaml).conf_threshold
    features, names = session_features(pose_h5, embed)
    nlags = config["segment"]["nlags"]
    if len(features) <= nlags:
        raise ValueError(f"{pose_h5}: {len(features)} frames, not more than the AR-HMM's order "
                         f"segment.nlags = {nlags}")
    return features, names


def _arhmm_params(segment: Mapping) -> dict:
    return {k: segment[k] for k in ARHMM_KEYS}


def fit_motifs(inputs: Sequence[str], model_out: str | None, config: Mapping,
               calibration_yaml: str | None = None) -> dict:
    """The ``segment_fit`` stage: fit the segmentation model on several sessions.

    Parameters
    ----------
    inputs
        The sessions' embedding files, or for ``arhmm`` their pose tables.
    config
        The keys this stage reads: ``segment.method``, ``n_clusters``, ``scope``,
        ``max_frames``, ``n_init``, ``n_iter``, and ``seed``; for ``arhmm`` also
        ``segment.latent_var``, ``nlags``, ``kappa``, ``alpha`` and ``embed.align``,
        ``embed.pcutoff``.
    calibration_yaml
        The calibration stage's error model (``arhmm``: its ``conf_threshold``).
    """
    c, seed = config["segment"], config["seed"]
    series = session_series(inputs, config, calibration_yaml)
    if c["method"] == "arhmm":
        series = sample_windows(series, c["max_frames"], seed)
    else:
        series = sample_frames(series, c["max_frames"], seed)
    model = fit_segmentation(series, c["method"], c["n_clusters"], seed, n_init=c["n_init"],
                             n_iter=c["n_iter"], arhmm=_arhmm_params(c) if c["method"] == "arhmm" else None)
    if model_out:
        write_segmentation_model(model, model_out, {
            "sessions": [Path(p).stem for p in inputs], "seed": seed,
            "params": {k: c[k] for k in segment_keys(c["method"])}})
    return model


def segment_session(series_path: str, out_h5: str, config: Mapping, session: str,
                    model_h5: str | None = None, calibration_yaml: str | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The ``segment_session`` stage: one session's motif labels and usage, from the shared
    model or (without ``model_h5``) a model fitted on this session alone.

    Parameters
    ----------
    series_path
        The session's embedding file, or for ``arhmm`` its pose table.
    config, calibration_yaml
        As :func:`fit_motifs` reads them.

    Returns
    -------
    labels, latents
        The motif per frame, and the series the model saw, for figures and exports: the
        latent vectors, or for ``arhmm`` the pose in the model's PCA space.
    """
    seed = config["seed"]
    if model_h5:
        model = read_segmentation_model(model_h5)
    else:
        model = fit_motifs([series_path], None, config, calibration_yaml)
    series = session_series([series_path], config, calibration_yaml)[0]
    try:
        labels = label_frames(model, series)
    except ValueError as err:
        raise ValueError(f"{series_path}: {err}") from None
    write_segmentation(out_h5, labels, model, {
        "session": session, "input": str(series_path), "model": str(model_h5 or ""),
        "seed": seed, "params": {k: config["segment"][k] for k in segment_keys(model["method"])}})
    counts = np.bincount(labels, minlength=model["n_clusters"])
    log.info("%s: %d frames, motif usage %s", session, len(labels), counts.tolist())
    if model["method"] == "arhmm":
        from ethoflow.behaviour.arhmm import project

        series = project(model, series)
    return labels, series
