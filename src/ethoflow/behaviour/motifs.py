"""Behavioural motifs from latent vectors, VAME-equivalent (``segment_session``).

A segmentation model is fitted on the latent vectors of all sessions together (VAME's
"same model across sessions", so motif 3 means the same in every session) or on each
session alone (``individual``): k-means (VAME's default, ``KMeans(init="k-means++")``) or a
Gaussian hidden Markov model (``hmmlearn.GaussianHMM``, full covariances, as VAME's ``hmm``;
started from the k-means clusters).
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
    "METHODS",
    "SEGMENT_KEYS",
    "fit_motifs",
    "fit_segmentation",
    "label_frames",
    "sample_frames",
    "segment_session",
]

METHODS = ("kmeans", "hmm")
#: The config's ``segment`` keys the motif model depends on (recorded with it).
SEGMENT_KEYS = ("method", "n_clusters", "scope", "max_frames", "n_init", "n_iter")


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


def _latents(embedding_h5s: Sequence[str]) -> list[np.ndarray]:
    return [read_embedding(p)["latent_vector"] for p in embedding_h5s]


def fit_motifs(embedding_h5s: Sequence[str], model_out: str | None, config: Mapping) -> dict:
    """The ``segment_fit`` stage: fit the segmentation model on the latent vectors of several
    sessions.

    Parameters
    ----------
    config
        The keys this stage reads: ``segment.method``, ``n_clusters``, ``scope``,
        ``max_frames``, ``n_init``, ``n_iter``, and ``seed``.
    """
    c, seed = config["segment"], config["seed"]
    latents = sample_frames(_latents(embedding_h5s), c["max_frames"], seed)
    model = fit_segmentation(latents, c["method"], c["n_clusters"], seed, n_init=c["n_init"],
                             n_iter=c["n_iter"])
    if model_out:
        write_segmentation_model(model, model_out, {
            "sessions": [Path(p).stem for p in embedding_h5s], "seed": seed,
            "params": {k: c[k] for k in SEGMENT_KEYS}})
    return model


def segment_session(embedding_h5: str, out_h5: str, config: Mapping, session: str,
                    model_h5: str | None = None) -> np.ndarray:
    """The ``segment_session`` stage: one session's motif labels and usage, from the shared
    model or (without ``model_h5``) a model fitted on this session alone.

    Parameters
    ----------
    config
        The keys :func:`fit_motifs` reads.
    """
    seed = config["seed"]
    if model_h5:
        model = read_segmentation_model(model_h5)
    else:
        model = fit_motifs([embedding_h5], None, config)
    labels = label_frames(model, _latents([embedding_h5])[0])
    write_segmentation(out_h5, labels, model, {
        "session": session, "embedding": str(embedding_h5), "model": str(model_h5 or ""),
        "seed": seed, "params": {k: config["segment"][k] for k in SEGMENT_KEYS}})
    counts = np.bincount(labels, minlength=model["n_clusters"])
    log.info("%s: %d frames, motif usage %s", session, len(labels), counts.tolist())
    return labels
