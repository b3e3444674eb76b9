"""The embedding and motif stages, as the workflow runs them: one function per rule, paths
and config in. ``embed_config`` is the config's ``embed`` section and ``segment_config`` its
``segment`` section (defaults filled in). Usable without Snakemake.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.files import provenance, write_table

log = logging.getLogger(__name__)

# the config keys the VAE and the embeddings depend on, and those the motif model depends on
EMBED_KEYS = ("pose", "align", "pcutoff", "model")
SEGMENT_KEYS = ("method", "n_clusters", "scope", "max_frames", "n_init", "n_iter")

__all__ = [
    "check_motifs",
    "embed_session",
    "export_vame",
    "fit_motifs",
    "plot_session_motifs",
    "plot_usage",
    "segment_session",
    "session_features",
    "train_embedding",
    "vame_names",
]


def session_features(pose_h5: str | os.PathLike, embed_config: Mapping) -> tuple[np.ndarray, list[str]]:
    """Egocentric features of one session's pose table."""
    from ethoflow.dlc import read_pose_table
    from ethoflow.embedding import egocentric_features

    origin, heading = embed_config["align"]
    return egocentric_features(read_pose_table(pose_h5), origin, heading, embed_config["pcutoff"],
                               source=pose_h5)


def train_embedding(pose_h5s: Mapping[str, str], model_out: str, stats_out: str, loss_png: str,
                    embed_config: Mapping, seed: int, threads: int | None = None) -> None:
    """Train the RNN-VAE on the sessions' pose tables (session name -> path)."""
    import torch

    from ethoflow.embedding import EmbedParams, train_vae
    from ethoflow.plots import plot_vae_loss

    if threads:
        torch.set_num_threads(threads)
    params = EmbedParams.from_config(embed_config["model"], seed)
    features, names = {}, None
    for session, path in sorted(pose_h5s.items()):
        features[session], session_names = session_features(path, embed_config)
        if names is not None and session_names != names:
            raise ValueError(f"{path}: bodyparts differ from the other sessions' "
                             f"({session_names} vs {names})")
        names = session_names
    train_vae(features, params, model_out, stats_out, names or [],
              extra=provenance({k: embed_config[k] for k in EMBED_KEYS}))
    plot_vae_loss(stats_out, loss_png)


def embed_session(model_pt: str, pose_h5: str, out_h5: str, embed_config: Mapping, session: str,
                  threads: int | None = None) -> np.ndarray:
    """One session's latent vectors, ``(n_frames, zdims)``, written with its egocentric features."""
    import torch

    from ethoflow.embedding import embed, load_vae, write_embedding

    if threads:
        torch.set_num_threads(threads)
    model, state = load_vae(model_pt, embed_config["model"]["device"])
    features, names = session_features(pose_h5, embed_config)
    if names != state["feature_names"]:
        raise ValueError(f"{pose_h5}: features {names} differ from the model's "
                         f"{state['feature_names']} ({model_pt})")
    latent = embed(model, state, features, source=pose_h5)
    write_embedding(out_h5, latent, features, names, {
        "session": session, "pose": str(pose_h5), "model": str(model_pt),
        "params": {k: embed_config[k] for k in EMBED_KEYS},
        "train_sessions": state["train_sessions"]})
    return latent


def _latents(embedding_h5s: Sequence[str]) -> list[np.ndarray]:
    from ethoflow.embedding import read_embedding

    return [read_embedding(p)["latent_vector"] for p in embedding_h5s]


def _segment_params(segment_config: Mapping) -> dict:
    return {k: segment_config[k] for k in SEGMENT_KEYS}


def fit_motifs(embedding_h5s: Sequence[str], model_out: str | None, segment_config: Mapping,
               seed: int) -> dict:
    """Fit the segmentation model on the latent vectors of several sessions."""
    from ethoflow.motifs import fit_segmentation, sample_frames, write_segmentation_model

    c = segment_config
    latents = sample_frames(_latents(embedding_h5s), c["max_frames"], seed)
    model = fit_segmentation(latents, c["method"], c["n_clusters"], seed, n_init=c["n_init"],
                             n_iter=c["n_iter"])
    if model_out:
        write_segmentation_model(model, model_out, {
            "sessions": [Path(p).stem for p in embedding_h5s], "seed": seed,
            "params": _segment_params(c)})
    return model


def segment_session(embedding_h5: str, out_h5: str, segment_config: Mapping, seed: int,
                    session: str, model_h5: str | None = None) -> np.ndarray:
    """One session's motif labels and usage, from the shared model or (without ``model_h5``)
    a model fitted on this session alone."""
    from ethoflow.motifs import label_frames, read_segmentation_model, write_segmentation

    if model_h5:
        model = read_segmentation_model(model_h5)
    else:
        model = fit_motifs([embedding_h5], None, segment_config, seed)
    labels = label_frames(model, _latents([embedding_h5])[0])
    write_segmentation(out_h5, labels, model, {
        "session": session, "embedding": str(embedding_h5), "model": str(model_h5 or ""),
        "seed": seed, "params": _segment_params(segment_config)})
    counts = np.bincount(labels, minlength=model["n_clusters"])
    log.info("%s: %d frames, motif usage %s", session, len(labels), counts.tolist())
    return labels


def vame_names(session: str, method: str, n_clusters: int) -> list[str]:
    """VAME's per-session file names: latent vectors, labels, motif usage, cluster centres."""
    kind = "km" if method == "kmeans" else "hmm"
    return [f"latent_vector_{session}.npy", f"{n_clusters}_{kind}_label_{session}.npy",
            f"motif_usage_{session}.npy", f"cluster_center_{session}.npy"]


def export_vame(segment_h5: str, embedding_h5: str, out_paths: Sequence[str]) -> None:
    """Write one session's latent vectors and motifs as VAME's ``.npy`` files (the paths in
    :func:`vame_names`' order). Ours cover every frame; VAME's start ``time_window`` in."""
    from ethoflow.embedding import read_embedding
    from ethoflow.files import atomic_path
    from ethoflow.motif_files import read_segmentation

    seg = read_segmentation(segment_h5)
    arrays = [read_embedding(embedding_h5)["latent_vector"], seg["labels"], seg["motif_usage"],
              seg["cluster_center"]]
    for array, path in zip(arrays, out_paths, strict=True):
        with atomic_path(path) as tmp:
            np.save(tmp, array)


def plot_session_motifs(segment_h5: str, embedding_h5: str, png: str, fps: float, title: str) -> None:
    """Ethogram, motif usage and the leading latent components of one session."""
    from ethoflow.embedding import read_embedding
    from ethoflow.motif_files import read_segmentation
    from ethoflow.plots import plot_motifs

    seg = read_segmentation(segment_h5)
    plot_motifs(seg["labels"], seg["motif_usage"], read_embedding(embedding_h5)["latent_vector"],
                png, fps, title)


def plot_usage(segment_h5s: Sequence[str], png: str) -> None:
    """Motif usage of every session, as a sessions x motifs heat map."""
    from ethoflow.motif_files import read_segmentation
    from ethoflow.plots import plot_motif_usage

    usage = {Path(p).stem: read_segmentation(p)["motif_usage"] for p in segment_h5s}
    plot_motif_usage(usage, png)


def check_motifs(segment_h5s: Sequence[str], states_csvs: Sequence[str], out_tsv: str) -> pd.DataFrame:
    """The demo's motifs against the generator's hidden states: per session and all frames
    together, normalised mutual information, adjusted Rand index and purity."""
    from ethoflow.motifs import read_segmentation, state_agreement

    rows, all_labels, all_states = [], [], []
    for seg_h5, states_csv in zip(segment_h5s, states_csvs):
        labels = read_segmentation(seg_h5)["labels"]
        states = pd.read_csv(states_csv, comment="#")["state_id"].to_numpy()
        agreement = state_agreement(labels, states)
        rows.append({"session": Path(seg_h5).stem, "frames": len(labels),
                     **{k: round(agreement[k], 4) for k in ("nmi", "ari", "purity")}})
        all_labels.append(labels)
        all_states.append(states)
    if rows:
        agreement = state_agreement(np.concatenate(all_labels), np.concatenate(all_states))
        rows.append({"session": "all", "frames": int(sum(len(x) for x in all_labels)),
                     **{k: round(agreement[k], 4) for k in ("nmi", "ari", "purity")}})
    table = pd.DataFrame(rows)
    write_table(table, out_tsv, comment=provenance())
    log.info("motifs against the demo's hidden states:\n%s", table.to_string(index=False))
    return table
