"""A sticky autoregressive hidden Markov model of pose dynamics, keypoint-MoSeq's first model
(its "AR-HMM" stage) in numpy: no JAX.

The egocentric pose (:mod:`ethoflow.behaviour.features`) of every session is projected on
the principal components that explain ``latent_var`` of its variance (PCA fitted on all
sessions together, as keypoint-MoSeq does). Each frame's latent pose ``x_t`` follows the
linear dynamics of its hidden state ``k`` (a "syllable"):

    x_t = A_k [x_{t-1}, ..., x_{t-nlags}] + b_k + e_t,      e_t ~ N(0, Q_k)

and the states follow a Markov chain whose rows have the sticky Dirichlet prior
``pi_k ~ Dir(alpha / K + kappa * e_k)``: ``kappa`` adds weight to staying, so it sets how
long syllables last (keypoint-MoSeq's ``kappa``; with ``n_states`` fixed this is the weak
limit's prior without the shared top level). The model is fitted by Gibbs sampling, as in
keypoint-MoSeq: states by forward filtering and backward sampling, the transition rows from
their Dirichlet posteriors, each state's ``(A_k, b_k, Q_k)`` from its matrix-normal
inverse-Wishart posterior; everything is drawn from one seeded generator. A session's
syllables are then the most likely state path under the final parameters (Viterbi), so a
session the model never saw is labelled the same way. The first ``nlags`` frames of a
session, which have no history, take the label of the first frame that has one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np
from scipy.stats import invwishart

log = logging.getLogger(__name__)

#: Frames over which the start's k-means sees how much the pose moves.
INIT_WINDOW = 9
#: Gibbs sweeps of each start before the most likely one goes on.
WARMUP = 10

__all__ = [
    "fit_arhmm",
    "fit_pca",
    "arhmm_labels",
    "median_duration",
    "project",
    "scan_kappa",
    "viterbi",
]


def fit_pca(features: Sequence[np.ndarray], latent_var: float) -> dict:
    """PCA of all sessions' frames together: the mean and the fewest components that explain
    at least ``latent_var`` of the variance (keypoint-MoSeq's ``fit_pca`` and its
    ``latent_dim`` choice). NaN frames are left out of the fit."""
    if not 0 < latent_var <= 1:
        raise ValueError(f"segment.latent_var must be in (0, 1], got {latent_var}")
    data = np.concatenate([np.asarray(f, np.float64) for f in features])
    data = data[np.isfinite(data).all(axis=1)]
    if len(data) < 2:
        raise ValueError("PCA of the pose needs at least two frames without gaps")
    mean = data.mean(axis=0)
    _, s, vt = np.linalg.svd(data - mean, full_matrices=False)
    explained = s**2 / max((s**2).sum(), 1e-300)
    dim = int(np.searchsorted(np.cumsum(explained), latent_var - 1e-12) + 1)
    dim = min(dim, len(explained))
    return {"pca_mean": mean, "pca_components": vt[:dim], "pca_explained": explained[:dim]}


def project(model: dict, features: np.ndarray) -> np.ndarray:
    """Latent pose ``(T, latent_dim)`` of one session's features."""
    return (np.asarray(features, np.float64) - model["pca_mean"]) @ model["pca_components"].T


def _local_sd(x: np.ndarray, window: int) -> np.ndarray:
    """Each column's SD over a centred window of frames (edges: the window shrinks)."""
    kernel = np.ones(window)
    count = np.convolve(np.ones(len(x)), kernel, "same")[:, None]
    mean = np.stack([np.convolve(c, kernel, "same") for c in x.T], axis=1) / count
    sq = np.stack([np.convolve(c * c, kernel, "same") for c in x.T], axis=1) / count
    return np.sqrt(np.maximum(sq - mean**2, 0.0))


def _lagged(x: np.ndarray, nlags: int) -> np.ndarray:
    """Regressors ``[x_{t-1}, ..., x_{t-nlags}, 1]`` for t = nlags .. T-1: ``(T - nlags, d * nlags + 1)``."""
    t = len(x) - nlags
    cols = [x[nlags - lag : nlags - lag + t] for lag in range(1, nlags + 1)]
    return np.concatenate(cols + [np.ones((t, 1))], axis=1)


def _emission_loglik(xs: Sequence[np.ndarray], zs: Sequence[np.ndarray], w: np.ndarray,
                     q: np.ndarray) -> list[np.ndarray]:
    """Per session, ``(T - nlags, K)`` log N(x_t | W_k z_t, Q_k)."""
    k, d, _ = w.shape
    chol = np.linalg.cholesky(q)
    logdet = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    out = []
    for x, z in zip(xs, zs):
        resid = x[:, None, :] - np.einsum("kdp,tp->tkd", w, z)  # (T, K, d)
        sol = np.stack([np.linalg.solve(chol[j], resid[:, j].T) for j in range(k)], axis=1)  # (d, K, T)
        maha = (sol**2).sum(axis=0).T  # (T, K)
        out.append(-0.5 * (maha + logdet[None] + d * np.log(2 * np.pi)))
    return out


def _forward(loglik: np.ndarray, log_trans: np.ndarray, log_start: np.ndarray
             ) -> tuple[np.ndarray, float]:
    """Normalised forward messages ``(T, K)`` and the log marginal likelihood."""
    trans = np.exp(log_trans)
    alphas = np.empty_like(loglik)
    total = 0.0
    a = log_start + loglik[0]
    m = a.max()
    p = np.exp(a - m)
    s = p.sum()
    alphas[0] = p / s
    total += m + np.log(s)
    for t in range(1, len(loglik)):
        row = loglik[t]
        m = row.max()
        p = (alphas[t - 1] @ trans) * np.exp(row - m)
        s = p.sum()
        alphas[t] = p / s
        total += m + np.log(s)
    return alphas, total


def _sample_states(loglik: np.ndarray, log_trans: np.ndarray, log_start: np.ndarray,
                   rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A state path drawn from its posterior (forward filtering, backward sampling)."""
    alphas, total = _forward(loglik, log_trans, log_start)
    trans = np.exp(log_trans)
    n, k = alphas.shape
    states = np.empty(n, np.int64)
    u = rng.random(n)
    p = alphas[-1]
    states[-1] = min(int(np.searchsorted(np.cumsum(p), u[-1] * p.sum())), k - 1)
    for t in range(n - 2, -1, -1):
        p = alphas[t] * trans[:, states[t + 1]]
        states[t] = min(int(np.searchsorted(np.cumsum(p), u[t] * p.sum())), k - 1)
    return states, total


def viterbi(loglik: np.ndarray, log_trans: np.ndarray, log_start: np.ndarray) -> np.ndarray:
    """The most likely state path ``(T,)`` for per-frame log-likelihoods ``(T, K)``."""
    n, k = loglik.shape
    back = np.empty((n, k), np.int64)
    score = log_start + loglik[0]
    for t in range(1, n):
        cand = score[:, None] + log_trans
        back[t] = cand.argmax(axis=0)
        score = cand[back[t], np.arange(k)] + loglik[t]
    path = np.empty(n, np.int64)
    path[-1] = int(score.argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def _sample_transitions(states: Sequence[np.ndarray], k: int, alpha: float, kappa: float,
                        rng: np.random.Generator) -> np.ndarray:
    counts = np.zeros((k, k))
    for s in states:
        np.add.at(counts, (s[:-1], s[1:]), 1)
    prior = np.full((k, k), alpha / k) + kappa * np.eye(k)
    rows = np.stack([rng.dirichlet(prior[j] + counts[j]) for j in range(k)])
    return np.maximum(rows, 1e-300)


class _Prior:
    """keypoint-MoSeq's matrix-normal inverse-Wishart prior on each state's dynamics:
    ``M_0`` keeps the pose (identity on the latest lag), ``K_0 = 10 I`` (precision of the
    coefficients), ``S_0 = 0.01 I``, ``nu_0 = d + 2``."""

    def __init__(self, d: int, nlags: int) -> None:
        p = d * nlags + 1
        self.m0 = np.zeros((d, p))
        self.m0[:, :d] = 0.99 * np.eye(d)
        self.k0 = 10.0 * np.eye(p)
        self.s0 = 0.01 * np.eye(d)
        self.nu0 = d + 2


def _sample_dynamics(xs, zs, states, k: int, prior: _Prior, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Each state's ``W_k = [A_k, b_k]`` and ``Q_k`` from their MNIW posterior."""
    d, p = prior.m0.shape
    x = np.concatenate(xs)
    z = np.concatenate(zs)
    s = np.concatenate(states)
    w = np.empty((k, d, p))
    q = np.empty((k, d, d))
    for j in range(k):
        xj, zj = x[s == j], z[s == j]
        kn = prior.k0 + zj.T @ zj
        kn_inv = np.linalg.inv(kn)
        kn_inv = (kn_inv + kn_inv.T) / 2
        mn = (prior.m0 @ prior.k0 + xj.T @ zj) @ kn_inv
        sn = prior.s0 + xj.T @ xj + prior.m0 @ prior.k0 @ prior.m0.T - mn @ kn @ mn.T
        sn = (sn + sn.T) / 2 + 1e-9 * np.eye(d)
        q[j] = np.atleast_2d(invwishart.rvs(df=prior.nu0 + len(xj), scale=sn, random_state=rng))
        e = rng.standard_normal((d, p))
        w[j] = mn + np.linalg.cholesky(q[j]) @ e @ np.linalg.cholesky(kn_inv).T
    return w, q


def _start_features(x: np.ndarray, z: np.ndarray, i: int) -> np.ndarray:
    """What a start's k-means clusters: even starts, each frame's pose and how much it moves
    around then (its SD over INIT_WINDOW frames); odd starts, the pose and its history."""
    if i % 2 == 0:
        return np.concatenate([x, _local_sd(x, INIT_WINDOW)], axis=1)
    return np.concatenate([x, z[:, :-1]], axis=1)


def _gibbs(xs, zs, states, k: int, prior: _Prior, alpha: float, kappa: float, sweeps: int,
           rng: np.random.Generator, first: int = 0) -> dict:
    """``sweeps`` Gibbs sweeps from ``states``: dynamics, transitions, then states."""
    history = []
    for sweep in range(sweeps):
        w, q = _sample_dynamics(xs, zs, states, k, prior, rng)
        trans = _sample_transitions(states, k, alpha, kappa, rng)
        log_trans = np.log(trans)
        start = np.bincount([s[0] for s in states], minlength=k) + 1.0
        log_start = np.log(start / start.sum())
        lls = _emission_loglik(xs, zs, w, q)
        draws = [_sample_states(ll, log_trans, log_start, rng) for ll in lls]
        states = [s for s, _ in draws]
        history.append(float(sum(lp for _, lp in draws)))
        if (first + sweep + 1) % 10 == 0:
            used = np.bincount(np.concatenate(states), minlength=k)
            log.info("AR-HMM sweep %d: log-likelihood %.1f, states used %d", first + sweep + 1,
                     history[-1], int((used > 0).sum()))
    return {"states": states, "w": w, "q": q, "trans": trans, "log_start": log_start, "history": history}


def fit_arhmm(latents: Sequence[np.ndarray], n_states: int, nlags: int = 3, kappa: float = 1e6,
              alpha: float = 5.7, n_iter: int = 50, seed: int = 0, n_starts: int = 4) -> dict:
    """Fit the sticky AR-HMM to the latent pose of several sessions by Gibbs sampling.

    Parameters
    ----------
    latents
        One ``(T, latent_dim)`` array per session (:func:`project`); sessions are separate
        sequences, sharing one set of states and dynamics.
    n_states
        States (syllables) the model may use; unused ones stay unused.
    nlags
        Autoregressive order (keypoint-MoSeq: 3).
    kappa, alpha
        Stickiness and concentration of the transition prior: a larger ``kappa`` makes
        longer syllables (:func:`scan_kappa` finds the one for a target duration).
    n_iter
        Gibbs sweeps in all.
    seed
        Seeds the starts (k-means of the frames) and every draw.
    n_starts
        Starts that each run ``WARMUP`` sweeps; the most likely one goes on (a Gibbs
        sampler leaves a poor split of the data slowly).

    Returns
    -------
    dict
        ``ar_weights`` ``(K, d, d * nlags + 1)`` (``[A_1 .. A_nlags, b]``), ``ar_noise``
        ``(K, d, d)``, ``transmat``, ``startprob``, ``nlags``, ``kappa``, ``alpha`` and
        ``log_likelihood`` (per sweep: the data's log marginal likelihood under the sweep's
        parameters).

    Raises
    ------
    ValueError
        If a session is not longer than ``nlags`` frames or the frames are fewer than states.
    """
    from sklearn.cluster import KMeans

    xs_full = [np.asarray(x, np.float64) for x in latents]
    for i, x in enumerate(xs_full):
        if len(x) <= nlags:
            raise ValueError(f"session {i}: {len(x)} frames, not more than the AR order "
                             f"segment.nlags = {nlags}")
        if not np.isfinite(x).all():
            raise ValueError(f"session {i}: the latent pose has gaps (NaN): interpolate them first")
    zs = [_lagged(x, nlags) for x in xs_full]
    xs = [x[nlags:] for x in xs_full]
    total = sum(len(x) for x in xs)
    if total < n_states:
        raise ValueError(f"{total} frames cannot make {n_states} states")
    rng = np.random.default_rng(seed)
    prior = _Prior(xs[0].shape[1], nlags)
    # Gibbs sampling mixes slowly between states that split the data differently: several
    # starts run WARMUP sweeps each and the most likely goes on
    bounds = np.cumsum([0] + [len(x) for x in xs])
    tic = time.perf_counter()
    starts = []
    for i in range(n_starts):
        data = np.concatenate([_start_features(x, z, i) for x, z in zip(xs, zs)])
        data = (data - data.mean(axis=0)) / np.maximum(data.std(axis=0), 1e-12)
        km = KMeans(n_clusters=n_states, n_init=3, random_state=int(rng.integers(2**31))).fit(data)
        states = [km.labels_[a:b].astype(np.int64) for a, b in zip(bounds[:-1], bounds[1:])]
        starts.append(_gibbs(xs, zs, states, n_states, prior, alpha, kappa, min(WARMUP, n_iter), rng))
        log.info("AR-HMM start %d/%d: log-likelihood %.1f after %d sweeps", i + 1, n_starts,
                 starts[-1]["history"][-1], len(starts[-1]["history"]))
    best = max(starts, key=lambda r: r["history"][-1])
    history = list(best["history"])
    result = best
    if n_iter > len(history):
        result = _gibbs(xs, zs, best["states"], n_states, prior, alpha, kappa, n_iter - len(history), rng,
                        first=len(history))
        history += result["history"]
    log.info("AR-HMM: %d sweeps in %.1f s, states used %d, median duration %.1f frames", len(history),
             time.perf_counter() - tic, len(np.unique(np.concatenate(result["states"]))),
             median_duration(result["states"]))
    w, q, trans, log_start = result["w"], result["q"], result["trans"], result["log_start"]
    return {"ar_weights": w, "ar_noise": q, "transmat": trans, "startprob": np.exp(log_start),
            "nlags": np.asarray(nlags, np.int64), "kappa": np.asarray(kappa, np.float64),
            "alpha": np.asarray(alpha, np.float64),
            "log_likelihood": np.asarray(history)}


def arhmm_labels(model: dict, latent: np.ndarray) -> np.ndarray:
    """One session's syllable per frame ``(T,)``: the Viterbi path under the model."""
    nlags = int(model["nlags"])
    x = np.asarray(latent, np.float64)
    if len(x) <= nlags:
        raise ValueError(f"{len(x)} frames, not more than the AR order segment.nlags = {nlags}")
    if x.shape[1] != model["ar_noise"].shape[1]:
        raise ValueError(f"latent pose has {x.shape[1]} dimensions, the AR-HMM "
                         f"{model['ar_noise'].shape[1]}: refit it")
    ll = _emission_loglik([x[nlags:]], [_lagged(x, nlags)], model["ar_weights"], model["ar_noise"])[0]
    path = viterbi(ll, np.log(np.maximum(model["transmat"], 1e-300)),
                   np.log(np.maximum(model["startprob"], 1e-300)))
    return np.concatenate([np.full(nlags, path[0]), path])


def median_duration(labels: np.ndarray | Sequence[np.ndarray]) -> float:
    """Median length in frames of the runs of equal labels (per session, pooled)."""
    from ethoflow.behaviour.io import bouts

    seqs = [labels] if isinstance(labels, np.ndarray) else list(labels)
    lengths = [b - a for s in seqs for _, a, b in bouts(s)]
    return float(np.median(lengths)) if lengths else float("nan")


def scan_kappa(latents: Sequence[np.ndarray], n_states: int, kappas: Sequence[float],
               target_frames: float, nlags: int = 3, alpha: float = 5.7, n_iter: int = 50,
               seed: int = 0) -> tuple[float, list[dict]]:
    """Fit the AR-HMM at each ``kappa`` and return the one whose median syllable duration
    (Viterbi labels) is nearest ``target_frames`` (on a log scale), with a row per kappa
    (``kappa``, ``median_frames``, ``states_used``) -- what keypoint-MoSeq users do by hand."""
    rows = []
    for kappa in kappas:
        model = fit_arhmm(latents, n_states, nlags, kappa, alpha, n_iter, seed)
        labels = [arhmm_labels(model, x) for x in latents]
        rows.append({"kappa": float(kappa), "median_frames": median_duration(labels),
                     "states_used": int(len(np.unique(np.concatenate(labels))))})
        log.info("kappa %.3g: median syllable %.1f frames, %d states used", kappa,
                 rows[-1]["median_frames"], rows[-1]["states_used"])
    best = min(rows, key=lambda r: abs(np.log(r["median_frames"] / target_frames)))
    return best["kappa"], rows
