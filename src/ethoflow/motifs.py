"""Behavioural motifs from latent vectors, VAME-equivalent (``segment_session``).

A segmentation model is fitted on the latent vectors of all sessions together (VAME's
"same model across sessions", so motif 3 means the same in every session) or on each
session alone (``individual``): k-means (VAME's default, ``KMeans(init="k-means++")``) or a
Gaussian hidden Markov model (``hmmlearn.GaussianHMM``, full covariances, as VAME's ``hmm``;
started from the k-means clusters).
Every frame then gets a motif label; a session's motif usage is the count of frames per
motif (VAME's ``motif_usage_<session>.npy``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np

from ethoflow.motif_files import (
    motif_usage,
    read_segmentation,
    read_segmentation_model,
    write_segmentation,
    write_segmentation_model,
)

log = logging.getLogger(__name__)

__all__ = [
    "fit_segmentation",
    "label_frames",
    "motif_usage",
    "read_segmentation",
    "read_segmentation_model",
    "sample_frames",
    "state_agreement",
    "write_segmentation",
    "write_segmentation_model",
]

METHODS = ("kmeans", "hmm")


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
                     n_init: int = 15, n_iter: int = 100) -> dict:
    """Fit k-means or a Gaussian HMM to latent vectors.

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
        k-means restarts; HMM EM iterations.

    Returns
    -------
    dict
        ``method``, ``n_clusters`` and the parameters: ``cluster_center`` for both (for the
        HMM, its state means), and ``startprob``, ``transmat``, ``covars`` for the HMM.
    """
    if method not in METHODS:
        raise ValueError(f"segment.method: '{method}' is not one of {', '.join(METHODS)}")
    data = np.concatenate(latents).astype(np.float64)
    if len(data) < n_clusters:
        raise ValueError(f"segment: {len(data)} frames cannot make {n_clusters} motifs")
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
            "startprob": hmm.startprob_, "transmat": hmm.transmat_, "covars": hmm.covars_}


def label_frames(model: Mapping, latent: np.ndarray) -> np.ndarray:
    """Each frame's motif: the nearest centre (k-means) or the Viterbi path (HMM)."""
    z = np.asarray(latent, np.float64)
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
    hmm.covars_ = np.asarray(model["covars"])
    return hmm.predict(z).astype(np.int64)


def state_agreement(labels: np.ndarray, states: np.ndarray) -> dict:
    """How well motifs match known states (the demo's hidden behaviours).

    Returns normalised mutual information, adjusted Rand index, purity (the share of frames
    whose motif's most common state is their own state) and the motif -> state map.
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels, states = np.asarray(labels), np.asarray(states)
    if labels.shape != states.shape:
        raise ValueError(f"{len(labels)} motif labels against {len(states)} states")
    majority = {int(m): int(np.bincount(states[labels == m]).argmax()) for m in np.unique(labels)}
    purity = float(np.mean([majority[int(m)] == s for m, s in zip(labels, states)]))
    return {"nmi": float(normalized_mutual_info_score(states, labels)),
            "ari": float(adjusted_rand_score(states, labels)),
            "purity": purity, "motif_to_state": majority}
