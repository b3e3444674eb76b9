"""Latent behaviour embeddings with VAME's RNN variational autoencoder.

1. :func:`train_vae` trains VAME's RNN-VAE on time windows of egocentric features
   (:mod:`ethoflow.behaviour.features`) from all training sessions: a bidirectional two-layer
   GRU encoder reads ``time_window`` frames into a latent Gaussian (``zdims``); a GRU decoder
   reconstructs the window and a second one predicts the next ``future_steps`` frames; the
   loss is reconstruction + prediction error + a KL term annealed in after ``kl_start``
   epochs. The model with the lowest loss on held-out windows (the last ``test_fraction`` of
   each session) is kept, with the features' normalisation.
2. :func:`embed` gives every frame a latent vector: the encoder's mean for the window centred
   on that frame (edges padded with the first/last frame), so the output has one row per
   video frame, ``(n_frames, zdims)`` (VAME's ``latent_vector_<session>.npy`` starts at frame
   ``time_window`` instead).

:func:`train_embedding` and :func:`embed_session` are the ``embed_train`` and
``embed_session`` stages. Runs on CUDA when present (``device: auto``) and on the CPU
otherwise; every random choice comes from ``seed``.
"""

from __future__ import annotations

import io
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd
import torch
from torch import nn

from ethoflow.behaviour.features import EMBED_KEYS, session_features
from ethoflow.behaviour.io import write_embedding
from ethoflow.behaviour.plots import plot_vae_loss
from ethoflow.device import resolve_device, use_threads
from ethoflow.io.files import atomic_path, provenance, write_table

log = logging.getLogger(__name__)

__all__ = [
    "RNNVAE",
    "EmbedParams",
    "embed",
    "embed_session",
    "load_vae",
    "train_embedding",
    "train_vae",
]


@dataclass(frozen=True)
class EmbedParams:
    """RNN-VAE settings, with VAME's names; the defaults are the config schema's (smaller than
    VAME's own: zdims 30, GRUs of 256, batch 256, lr 5e-4, up to 500 epochs).

    Attributes
    ----------
    time_window : int
        Frames per window the encoder reads (VAME ``time_window``).
    zdims : int
        Latent dimensions.
    hidden_size_layer_1, hidden_size_rec, hidden_size_pred : int
        GRU widths of the encoder (two bidirectional layers), the reconstruction decoder
        and the prediction decoder.
    future_steps : int
        Frames after the window the prediction decoder predicts (0: no prediction decoder).
    dropout : float
        Dropout between the encoder's GRU layers.
    batch_size, epochs, lr : int, int, float
        Windows per batch, passes over the training windows, Adam learning rate.
    beta, kl_start, annealtime : float, int, int
        KL weight; the KL term is off before epoch ``kl_start`` and ramps up linearly over
        ``annealtime`` epochs.
    test_fraction : float
        The last share of each session's frames held out for the test loss.
    patience : int
        Stop when the test loss has not improved for this many epochs (VAME
        ``model_convergence``).
    window_stride : int
        Training windows start every ``window_stride`` frames (1: every frame).
    device : str
        ``auto`` (CUDA when present), ``cpu`` or ``cuda[:N]``.
    seed : int
        Seeds weights, window order and the reparameterisation noise.
    """

    time_window: int = 30
    zdims: int = 16
    hidden_size_layer_1: int = 64
    hidden_size_rec: int = 64
    hidden_size_pred: int = 64
    future_steps: int = 15
    dropout: float = 0.0
    batch_size: int = 64
    epochs: int = 30
    lr: float = 1e-3
    beta: float = 1.0
    kl_start: int = 2
    annealtime: int = 4
    test_fraction: float = 0.1
    patience: int = 50
    window_stride: int = 1
    device: str = "auto"
    seed: int = 0

    @classmethod
    def from_config(cls, config: Mapping, seed: int) -> EmbedParams:
        """Settings from the config's ``embed.model`` section (unknown keys are an error)."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - names)
        if unknown:
            raise ValueError(f"embed.model: unknown key(s) {', '.join(unknown)}")
        return cls(**dict(config), seed=seed)


class _Decoder(nn.Module):
    """A GRU that unrolls a latent vector into ``steps`` frames of features."""

    def __init__(self, zdims: int, hidden: int, n_features: int, steps: int) -> None:
        super().__init__()
        self.steps, self.hidden = steps, hidden
        self.latent_to_hidden = nn.Linear(zdims, 2 * hidden)
        self.rnn = nn.GRU(zdims, hidden, batch_first=True, bidirectional=True)
        self.hidden_to_output = nn.Linear(2 * hidden, n_features)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h0 = self.latent_to_hidden(z).view(-1, 2, self.hidden).permute(1, 0, 2).contiguous()
        out, _ = self.rnn(z.unsqueeze(1).expand(-1, self.steps, -1).contiguous(), h0)
        return self.hidden_to_output(out)


class RNNVAE(nn.Module):
    """VAME's RNN-VAE: GRU encoder -> latent Gaussian -> reconstruction (+ prediction) decoders."""

    def __init__(self, n_features: int, params: EmbedParams) -> None:
        super().__init__()
        p = params
        self.encoder = nn.GRU(n_features, p.hidden_size_layer_1, num_layers=2, batch_first=True,
                              bidirectional=True, dropout=p.dropout)
        self.to_mean = nn.Linear(4 * p.hidden_size_layer_1, p.zdims)
        self.to_logvar = nn.Linear(4 * p.hidden_size_layer_1, p.zdims)
        self.decoder = _Decoder(p.zdims, p.hidden_size_rec, n_features, p.time_window)
        self.future = (_Decoder(p.zdims, p.hidden_size_pred, n_features, p.future_steps)
                       if p.future_steps > 0 else None)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(batch, time_window, features)`` -> latent mean and log-variance."""
        _, h = self.encoder(x)  # (2 layers x 2 directions, batch, hidden)
        h = h.permute(1, 0, 2).reshape(x.shape[0], -1)
        return self.to_mean(h), self.to_logvar(h)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        if self.training:
            noise = torch.randn(mu.shape, generator=generator, device=mu.device)
            z = mu + noise * torch.exp(0.5 * logvar)
        else:
            z = mu
        return self.decoder(z), (self.future(z) if self.future is not None else None), mu, logvar


def _window_starts(n: int, length: int, stride: int) -> np.ndarray:
    return np.arange(0, max(n - length + 1, 0), stride)


def _windows(data: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """``(len(starts), length, features)``: the frames from each start."""
    return data[np.asarray(starts, np.int64)[:, None] + np.arange(length)[None]]


def _vae_loss(model: RNNVAE, x: torch.Tensor, fut: torch.Tensor | None, kl_weight: float,
              beta: float, generator: torch.Generator | None) -> tuple[torch.Tensor, dict]:
    rec, pred, mu, logvar = model(x, generator)
    # per window: squared errors summed over frames and features, KL summed over the latent
    # dimensions (VAME's sums), then averaged over the batch
    n = x.shape[0]
    rec_loss = nn.functional.mse_loss(rec, x, reduction="sum") / n
    fut_loss = (nn.functional.mse_loss(pred, fut, reduction="sum") / n if pred is not None
                else torch.zeros((), device=x.device))
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / n
    loss = rec_loss + fut_loss + beta * kl_weight * kl
    return loss, {"rec": float(rec_loss.detach()), "future": float(fut_loss.detach()),
                  "kl": float(kl.detach())}


def _kl_weight(epoch: int, p: EmbedParams) -> float:
    """VAME's linear KL annealing: 0 before ``kl_start``, then up to 1 over ``annealtime``."""
    if epoch < p.kl_start:
        return 0.0
    return min(1.0, (epoch - p.kl_start + 1) / max(p.annealtime, 1))


def train_vae(sessions: Mapping[str, np.ndarray], params: EmbedParams, model_out: str | os.PathLike,
              stats_out: str | os.PathLike, feature_names: Sequence[str] = (),
              extra: Mapping | None = None) -> pd.DataFrame:
    """Train the RNN-VAE on the egocentric features of several sessions.

    Parameters
    ----------
    sessions
        Session name -> ``(n_frames, n_features)`` features (:func:`egocentric_features`).
    params
        Model and training settings.
    model_out
        The model file (PyTorch): the weights with the lowest test loss, the settings,
        the features' mean and SD and ``extra`` (provenance). Written atomically.
    stats_out
        Per-epoch losses (CSV): epoch, train loss and its parts, KL weight, test loss, seconds.
    feature_names
        Stored with the model, checked again when embedding.
    extra
        Stored under ``"provenance"`` in the model file.

    Returns
    -------
    pandas.DataFrame
        The per-epoch losses.

    Raises
    ------
    ValueError
        If no session is long enough for one training window and one test window.
    """
    p = params
    length = p.time_window + p.future_steps
    names = sorted(sessions)
    if not names:
        raise ValueError("embed: no session to train on")
    widths = {sessions[s].shape[1] for s in names}
    if len(widths) != 1:
        raise ValueError(f"embed: sessions have different feature counts {sorted(widths)}: "
                         "do all pose tables have the same bodyparts?")
    splits = {s: len(sessions[s]) - round(p.test_fraction * len(sessions[s])) for s in names}
    train_part = np.concatenate([sessions[s][: splits[s]] for s in names])
    mean = train_part.mean(axis=0)
    sd = train_part.std(axis=0)
    sd[sd < 1e-6] = 1.0
    norm = {s: ((sessions[s] - mean) / sd).astype(np.float32) for s in names}
    # windows are gathered per batch from one array of all frames (materialising them all
    # would take time_window + future_steps times the features' memory)
    frames = np.concatenate([norm[s] for s in names])
    offsets = dict(zip(names, np.cumsum([0] + [len(norm[s]) for s in names])))
    train_starts = np.concatenate([offsets[s] + _window_starts(splits[s], length, p.window_stride)
                                   for s in names])
    test_starts = np.concatenate([offsets[s] + splits[s] + _window_starts(len(norm[s]) - splits[s], length,
                                                                          max(1, p.time_window // 2))
                                  for s in names])
    del norm, train_part
    if not len(train_starts):
        raise ValueError(f"embed: sessions ({', '.join(names)}) are shorter than one training window "
                         f"of {length} frames (time_window + future_steps)")
    if not len(test_starts):
        log.warning("no test window (test_fraction %.2f): the last epoch's model is kept", p.test_fraction)
    device = resolve_device(p.device)
    torch.manual_seed(p.seed)
    rng = np.random.default_rng(p.seed)
    gen = torch.Generator(device=device).manual_seed(p.seed)
    n_features = frames.shape[1]
    model = RNNVAE(n_features, p).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=p.lr)
    log.info("training the RNN-VAE on %d sessions: %d training windows, %d test windows of %d frames, "
             "%d features, device %s; %s", len(names), len(train_starts), len(test_starts), length,
             n_features, device, p)
    tw = p.time_window
    rows, best, best_state, stale = [], np.inf, None, 0
    for epoch in range(p.epochs):
        tic = time.perf_counter()
        model.train()
        klw = _kl_weight(epoch, p)
        order = rng.permutation(len(train_starts))
        sums = {"loss": 0.0, "rec": 0.0, "future": 0.0, "kl": 0.0}
        for b in range(0, len(order), p.batch_size):
            batch = torch.from_numpy(_windows(frames, train_starts[order[b : b + p.batch_size]], length)).to(device)
            loss, parts = _vae_loss(model, batch[:, :tw], batch[:, tw:] if p.future_steps else None,
                                    klw, p.beta, gen)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            n = len(batch)
            sums["loss"] += float(loss.detach()) * n
            for k, v in parts.items():
                sums[k] += v * n
        row = {"epoch": epoch + 1, **{k: v / len(train_starts) for k, v in sums.items()},
               "kl_weight": klw}
        if len(test_starts):
            model.eval()
            with torch.no_grad():
                total = 0.0
                for b in range(0, len(test_starts), 1024):
                    batch = torch.from_numpy(_windows(frames, test_starts[b : b + 1024], length)).to(device)
                    loss, _ = _vae_loss(model, batch[:, :tw], batch[:, tw:] if p.future_steps else None,
                                        1.0, p.beta, None)
                    total += float(loss) * len(batch)
            row["test_loss"] = total / len(test_starts)
        else:
            row["test_loss"] = np.nan
        row["seconds"] = round(time.perf_counter() - tic, 3)
        rows.append(row)
        score = row["test_loss"] if len(test_starts) else -epoch
        # the KL term changes the loss while it anneals in: pick the best model after that
        if epoch + 1 >= p.kl_start + p.annealtime or epoch == p.epochs - 1:
            if score < best:
                best, stale = score, 0
                best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            else:
                stale += 1
        log.info("epoch %d/%d loss=%.4f (rec %.4f future %.4f kl %.3f x%.2f) test=%.4f %.1fs",
                 epoch + 1, p.epochs, row["loss"], row["rec"], row["future"], row["kl"], klw,
                 row["test_loss"], row["seconds"])
        if stale >= p.patience:
            log.info("test loss has not improved for %d epochs: stopping", p.patience)
            break
    # seconds stay in the log: the table depends only on the data and the settings
    stats = pd.DataFrame(rows).drop(columns="seconds")
    state = {"model": best_state, "params": asdict(p), "n_features": int(n_features),
             "feature_names": list(feature_names), "mean": mean, "sd": sd,
             "train_sessions": names, "provenance": dict(extra or {})}
    # through a buffer: torch.save names the archive after the file, and the temporary
    # file's name holds the process id
    buffer = io.BytesIO()
    torch.save(state, buffer)
    with atomic_path(model_out) as tmp:
        tmp.write_bytes(buffer.getvalue())
    write_table(stats, stats_out, comment=dict(extra or {}))
    log.info("best test loss %.4f; model written to %s", best, model_out)
    return stats


def load_vae(path: str | os.PathLike, device: str = "auto") -> tuple[RNNVAE, dict]:
    """Load a trained RNN-VAE (eval mode) and its stored settings and normalisation."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    params = EmbedParams(**state["params"])
    model = RNNVAE(state["n_features"], params)
    model.load_state_dict(state["model"])
    return model.to(resolve_device(device)).eval(), state


def embed(model: RNNVAE, state: Mapping, features: np.ndarray, batch_size: int = 1024,
          source: str | os.PathLike = "features") -> np.ndarray:
    """Per-frame latent vectors: the encoder's mean for the window centred on each frame.

    Parameters
    ----------
    model, state
        From :func:`load_vae`.
    features
        ``(n_frames, n_features)`` from :func:`egocentric_features`.
    batch_size
        Windows encoded at a time (memory is ``batch_size x time_window x n_features``).
    source
        Named in error messages.

    Returns
    -------
    numpy.ndarray
        ``(n_frames, zdims)`` float32.
    """
    if features.shape[1] != state["n_features"]:
        raise ValueError(f"{source}: {features.shape[1]} features, the model was trained on "
                         f"{state['n_features']} ({', '.join(state['feature_names'])})")
    tw = state["params"]["time_window"]
    norm = ((features - state["mean"]) / state["sd"]).astype(np.float32)
    left = tw // 2
    padded = np.concatenate([np.repeat(norm[:1], left, axis=0), norm,
                             np.repeat(norm[-1:], tw - 1 - left, axis=0)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, tw, axis=0)  # (n, features, tw)
    device = next(model.parameters()).device
    out = np.empty((len(features), state["params"]["zdims"]), np.float32)
    tic = time.perf_counter()
    with torch.no_grad():
        for b in range(0, len(features), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(windows[b : b + batch_size].transpose(0, 2, 1)))
            mu, _ = model.encode(x.to(device))
            out[b : b + len(x)] = mu.cpu().numpy()
    log.info("%s: %d frames embedded in %.1f s", source, len(features), time.perf_counter() - tic)
    return out


def train_embedding(pose_h5s: Mapping[str, str], model_out: str, stats_out: str, loss_png: str,
                    config: Mapping, threads: int | None = None) -> None:
    """The ``embed_train`` stage: train the RNN-VAE on the sessions' pose tables.

    Parameters
    ----------
    pose_h5s
        Session name -> pose table.
    config
        The keys this stage reads: ``embed.pose``, ``embed.align``, ``embed.pcutoff``,
        ``embed.model`` and ``seed``.
    """
    use_threads(threads)
    embed_config = config["embed"]
    params = EmbedParams.from_config(embed_config["model"], config["seed"])
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


def embed_session(model_pt: str, pose_h5: str, out_h5: str, config: Mapping, session: str,
                  threads: int | None = None) -> np.ndarray:
    """The ``embed_session`` stage: one session's latent vectors, ``(n_frames, zdims)``,
    written with its egocentric features.

    Parameters
    ----------
    config
        The keys this stage reads: ``embed.pose``, ``embed.align``, ``embed.pcutoff`` and
        ``embed.model``.
    """
    use_threads(threads)
    embed_config = config["embed"]
    model, state = load_vae(model_pt, embed_config["model"]["device"])
    features, names = session_features(pose_h5, embed_config)
    if names != state["feature_names"]:
        raise ValueError(f"{pose_h5}: features {names} differ from the model's "
                         f"{state['feature_names']} ({model_pt})")
    latent = embed(model, state, features, source=pose_h5)
    write_embedding(out_h5, latent, features, names, {
        "session": session, "pose": str(pose_h5), "model": str(model_pt),
        "params": {k: embed_config[k] for k in EMBED_KEYS}, "train_sessions": state["train_sessions"]})
    return latent
