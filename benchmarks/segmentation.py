"""Motifs against the demo's hidden behaviour: every segmentation method on the same tracks.

Usage::

    python benchmarks/segmentation.py [--sessions 3] [--frames 600] [--seed 0] [--clusters 5]
                                      [--run RUN_DIR] [--kappa 1e4 1e6 ...] [--vae-seeds 0 1 2]
                                      [--kpms-python /opt/kpms-venv/bin/python]
                                      [--vame-python /opt/vame-venv/bin/python]
                                      [--extra-sessions N]

Tracks: the demo generator's true keypoints (``--sessions`` x ``--frames``, ``--seed``: the
default demo is 3 x 600, seed 0), and with ``--run`` a finished demo run's network pose
(``results/pose/<session>_filtered.h5``) against the states in its ``demo/truth/``; there the
VAE's own motifs (``results/segment/*/<session>.h5``) and k-means on its latent vectors
(``results/embed/<session>.h5``) are scored as well. ``--extra-sessions N`` adds N more
sessions of the run's demo (the generator's next sessions), analysed by the run's network and
filtered as the run does: network pose on sessions the network never saw, enough of it for the
supervised ceiling to train on.

Methods, all at ``--clusters`` motifs:

- ``kmeans z`` / ``hmm z``: k-means (15 starts) / a Gaussian HMM (full covariances) on the
  z-scored egocentric features (:func:`ethoflow.behaviour.features.egocentric_features`,
  ``embed.align`` bodycentre -> neck), the baseline the issue names; ``+loco`` adds forward,
  sideways and angular velocity of the body (smoothed over 5 frames), which the egocentric
  frame removes;
- ``arhmm``: ``segment.method: arhmm`` at the config's defaults (``latent_var`` 0.9,
  ``nlags`` 3, ``alpha`` 5.7, 100 sweeps), at each ``--kappa``.

- ``keypoint-MoSeq``: with ``--kpms-python`` (keypoint-MoSeq 0.8.1's venv; see
  ``_kpms_segment_runner.py``), keypoint-MoSeq itself, its tutorial's steps on the same
  tracks: AR-HMM (``--kpms-kappa`` first value, ``--kpms-iters`` first) then the full model
  (second values), once with its default 100 states and once with ``--clusters``.

- ``oracle`` (true keypoints): the hidden states with left and right turns told apart, and
  those labels merged down to ``--clusters`` (the best merge that keeps turns apart): what a
  method that separates postures perfectly would score.

- ``VAME 0.14.4``: with ``--vame-python`` (VAME's venv, Python >= 3.12; see
  ``_vame_runner.py``), VAME itself through its ``VAMEPipeline`` at the demo config's sizes,
  k-means and HMM.

- ``supervised ceiling``: a classifier trained on the hidden states themselves (gradient-boosted
  trees on the features with 0.3 s and 0.7 s context, then a sticky Viterbi pass), scored on
  sessions it did not see (see :func:`ceiling_rows`): what these tracks allow a method that
  knew the answer on other sessions; an unsupervised method is not expected to pass it.

- ``VAE (demo config, seed S) + kmeans`` (true keypoints, ``--vae-seeds``): the RNN-VAE with
  ``config/config.yaml``'s ``embed.model`` trained on the tracks, k-means on its latent
  vectors, once per seed.

Each row: pooled NMI, ARI and purity against the hidden states, the motifs used (>= 0.5% of
frames), the median motif duration (frames) beside the true median bout, and wall time.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.behaviour.arhmm import median_duration
from ethoflow.behaviour.features import egocentric_features
from ethoflow.behaviour.motifs import fit_segmentation, label_frames
from ethoflow.demo.checks import state_agreement
from ethoflow.demo.simulate import BODYPARTS, DemoSpec, simulate_session
from ethoflow.io.dlc import pose_arrays, pose_dataframe, read_pose_table

ALIGN = ("bodycentre", "neck")


def locomotion(xy: np.ndarray, origin: int, heading: int, smooth: int = 5) -> np.ndarray:
    """Forward and sideways speed of ``origin`` in the body's frame and the heading's angular
    velocity, per frame ``(T, 3)`` (px/frame, rad/frame), moving-averaged over ``smooth``."""
    centre = xy[:, origin]
    head = xy[:, heading] - centre
    angle = np.unwrap(np.arctan2(head[:, 1], head[:, 0]))
    v = np.gradient(centre, axis=0)
    forward = v[:, 0] * np.cos(angle) + v[:, 1] * np.sin(angle)
    sideways = -v[:, 0] * np.sin(angle) + v[:, 1] * np.cos(angle)
    kernel = np.ones(smooth) / smooth
    return np.stack([np.convolve(a, kernel, "same") for a in (forward, sideways, np.gradient(angle))], axis=1)


def _features(tables: list[pd.DataFrame], loco: bool) -> list[np.ndarray]:
    """Each table's egocentric features (``ALIGN``), with ``loco`` also its locomotion."""
    out = []
    for df in tables:
        ego = egocentric_features(df, *ALIGN, pcutoff=0.0)[0].astype(np.float64)
        if loco:
            parts, xy, _ = pose_arrays(df)
            ego = np.concatenate([ego, locomotion(xy, parts.index(ALIGN[0]), parts.index(ALIGN[1]))], axis=1)
        out.append(ego)
    return out


def zscored(series: list[np.ndarray]) -> list[np.ndarray]:
    data = np.concatenate(series)
    mean, sd = data.mean(axis=0), np.maximum(data.std(axis=0), 1e-12)
    return [(s - mean) / sd for s in series]


def score(name: str, labels: list[np.ndarray], states: list[np.ndarray], seconds: float) -> dict:
    flat = np.concatenate(labels)
    a = state_agreement(flat, np.concatenate(states))
    used = np.bincount(flat) / len(flat)
    return {"method": name, "nmi": a["nmi"], "ari": a["ari"], "purity": a["purity"],
            "motifs_used": int((used >= 0.005).sum()), "median_frames": median_duration(labels),
            "true_median": median_duration(states), "seconds": seconds}


def methods(tables: list[pd.DataFrame], states: list[np.ndarray], clusters: int, kappas: list[float],
            seed: int) -> list[dict]:
    rows = []
    ego = _features(tables, loco=False)
    for feat_name, feats in (("", ego), (" +loco", _features(tables, loco=True))):
        z = zscored(feats)
        for method in ("kmeans", "hmm"):
            tic = time.perf_counter()
            model = fit_segmentation(z, method, clusters, seed, n_init=15, n_iter=100)
            labels = [label_frames(model, s) for s in z]
            rows.append(score(f"{method} z{feat_name}", labels, states, time.perf_counter() - tic))
            print(rows[-1], flush=True)
    for kappa in kappas:
        tic = time.perf_counter()
        model = fit_segmentation(ego, "arhmm", clusters, seed, n_iter=100,
                                 arhmm={"latent_var": 0.9, "nlags": 3, "kappa": kappa, "alpha": 5.7})
        labels = [label_frames(model, s) for s in ego]
        rows.append(score(f"arhmm kappa {kappa:g}", labels, states, time.perf_counter() - tic))
        print(rows[-1], flush=True)
    return rows


def _track_arrays(tables: list[pd.DataFrame]) -> tuple[list[str], dict[str, np.ndarray]]:
    """Bodyparts and ``coords_sNNN`` / ``conf_sNNN`` arrays per table, as the runners read them."""
    arrays = {}
    for i, df in enumerate(tables):
        parts, xy, lik = pose_arrays(df)
        arrays[f"coords_s{i:03d}"] = xy
        arrays[f"conf_s{i:03d}"] = np.ones(xy.shape[:2]) if lik is None else lik
    return parts, arrays


def _run_runner(python: str, runner: str, tmp: str, name: str) -> np.lib.npyio.NpzFile:
    """Run ``runner`` with another venv's ``python`` on ``tmp/in.npz``; its ``out.npz``."""
    import subprocess

    proc = subprocess.run([python, str(Path(__file__).with_name(runner)), f"{tmp}/in.npz", f"{tmp}/out.npz",
                           f"{tmp}/work"], capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{name} runner failed:\n{proc.stderr[-3000:]}")
    return np.load(f"{tmp}/out.npz")


def _demo_embed_config() -> dict:
    """``config/config.yaml``'s ``embed`` section (the demo's VAE settings)."""
    import yaml

    return yaml.safe_load((Path(__file__).parents[1] / "config" / "config.yaml").read_text())["embed"]


def kpms_rows(python: str, tables: list[pd.DataFrame], states: list[np.ndarray], clusters: int,
              kappas: list[float], iters: list[int], seed: int) -> list[dict]:
    """keypoint-MoSeq 0.8.1 itself (its own venv) on the same tables: one row per state count."""
    import tempfile

    from ethoflow.demo.simulate import SKELETON

    rows = []
    parts, arrays = _track_arrays(tables)
    for num_states in (100, clusters):
        with tempfile.TemporaryDirectory() as tmp:
            np.savez(f"{tmp}/in.npz", bodyparts=parts, skeleton=np.array(SKELETON), anterior=["snout"],
                     posterior=["tailbase"], num_states=num_states, kappa_ar=kappas[0], kappa_full=kappas[1],
                     ar_iters=iters[0], full_iters=iters[1], latent_var=0.9, seed=seed, **arrays)
            tic = time.perf_counter()
            out = _run_runner(python, "_kpms_segment_runner.py", tmp, "keypoint-MoSeq")
            labels = [out[f"syllable_s{i:03d}"] for i in range(len(tables))]
        rows.append(score(f"keypoint-MoSeq 0.8.1, {num_states} states, latent {int(out['latent_dim'])}",
                          labels, states, time.perf_counter() - tic))
        print(rows[-1], flush=True)
    return rows


def split_turns(tables: list[pd.DataFrame], states: list[np.ndarray]) -> list[np.ndarray]:
    """The hidden states with each turn bout told apart by its direction (a new label,
    ``len(STATES)``, for the turns whose heading angle falls over the bout)."""
    from ethoflow.behaviour.io import bouts
    from ethoflow.demo.simulate import STATES

    turn, split = STATES.index("turn"), len(STATES)
    labels = []
    for df, st in zip(tables, states):
        parts, xy, _ = pose_arrays(df)
        head = xy[:, parts.index(ALIGN[1])] - xy[:, parts.index(ALIGN[0])]
        angle = np.unwrap(np.arctan2(head[:, 1], head[:, 0]))
        lab = np.array(st)
        for state, a, b in bouts(st):
            if state == turn and angle[b - 1] < angle[a]:
                lab[a:b] = split
        labels.append(lab)
    return labels


def best_merge(name: str, labels: list[np.ndarray], states: list[np.ndarray], clusters: int) -> dict | None:
    """``labels`` (the hidden states with turns split) merged down to ``clusters`` labels: the
    merge with the highest NMI among those that keep left and right turns apart."""
    import itertools

    from ethoflow.demo.simulate import STATES

    turn, split = STATES.index("turn"), len(STATES)
    n = split + 1
    if clusters >= n:
        return None
    best = None
    for merge in itertools.combinations(range(n), n - clusters + 1):
        if set(merge) == {turn, split}:
            continue  # that merge is the hidden states themselves
        merged = [np.where(np.isin(lab, merge), merge[0], lab) for lab in labels]
        row = score(name, merged, states, 0.0)
        best = row if best is None or row["nmi"] > best["nmi"] else best
    return best


def vame_rows(python: str, tables: list[pd.DataFrame], states: list[np.ndarray], clusters: int, seed: int,
              fps: float = 30.0) -> list[dict]:
    """VAME 0.14.4 itself (its own venv; ``_vame_runner.py``) on the same tables, at the sizes the
    demo config gives ethoflow's VAE (and its ``embed.pcutoff`` as VAME's ``pose_confidence``):
    k-means and HMM rows. VAME labels the windows that fit
    (``time_window - 1`` fewer than the frames); each label is scored against the frame at
    its window's centre."""
    import tempfile

    embed_config = _demo_embed_config()
    model = embed_config["model"]
    parts, arrays = _track_arrays(tables)
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(f"{tmp}/in.npz", bodyparts=parts, fps=fps, centre=ALIGN[0], orient=ALIGN[1], n_clusters=clusters,
                 seed=seed, time_window=model["time_window"], zdims=model["zdims"],
                 hidden=model["hidden_size_layer_1"], future_steps=model["future_steps"],
                 batch_size=model["batch_size"], epochs=model["epochs"], lr=model["lr"], beta=model["beta"],
                 pose_confidence=embed_config["pcutoff"], **arrays)
        tic = time.perf_counter()
        out = _run_runner(python, "_vame_runner.py", tmp, "VAME")
        seconds = time.perf_counter() - tic
        half = int(out["time_window"]) // 2
        rows = []
        for algo in ("kmeans", "hmm"):
            labels = [out[f"{algo}_s{i:03d}"].astype(np.int64) for i in range(len(tables))]
            centred = [st[half : half + len(lab)] for st, lab in zip(states, labels)]
            rows.append(score(f"VAME 0.14.4, {algo} (demo sizes; {sum(map(len, labels))} of "
                              f"{sum(map(len, states))} frames labelled)", labels, centred, seconds))
            print(rows[-1], flush=True)
    return rows


def oracle_rows(tables: list[pd.DataFrame], states: list[np.ndarray], clusters: int) -> list[dict]:
    """What a perfect segmentation scores: the hidden states with each turn split by its
    direction (left and right turns are mirror-image postures, which any method that sees
    posture separates), and the best of those labels merged down to ``clusters``."""
    labels = split_turns(tables, states)
    rows = [score("oracle: hidden states, turns split by direction", labels, states, 0.0)]
    merged = best_merge(f"oracle merged to {clusters} (best merge, turns kept apart)", labels, states, clusters)
    return rows + ([merged] if merged else [])


def _sticky_viterbi(log_lik: np.ndarray, stay: float) -> np.ndarray:
    """The most likely state path under transitions that stay with probability ``stay`` and
    otherwise move to any other state alike."""
    n, k = log_lik.shape
    trans = np.full((k, k), np.log((1 - stay) / max(k - 1, 1)))
    np.fill_diagonal(trans, np.log(stay))
    score_, back = log_lik[0].copy(), np.zeros((n, k), np.int64)
    for t in range(1, n):
        cand = score_[:, None] + trans
        back[t] = cand.argmax(axis=0)
        score_ = cand.max(axis=0) + log_lik[t]
    path = np.empty(n, np.int64)
    path[-1] = score_.argmax()
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def ceiling_rows(tables: list[pd.DataFrame], states: list[np.ndarray], clusters: int, seed: int) -> list[dict]:
    """What a classifier TRAINED ON THE HIDDEN STATES reaches on sessions it did not see: a
    bound no unsupervised method is expected to pass on these tracks.

    Features: the z-scored egocentric features and locomotion (as ``kmeans z +loco``), with
    their moving mean and SD over 9 and 21 frames (0.3 and 0.7 s at 30 fps). Labels: the hidden
    states with turns split by direction. A gradient-boosted tree classifier
    (``HistGradientBoostingClassifier``) is trained on all sessions but one fold's and labels
    that fold (``GroupKFold`` by session, at most 3 folds); its class probabilities, divided by
    the class frequencies, go through a sticky Viterbi pass (stay probability 1 - 1/median
    bout of the training folds). Rows: turns merged (5 labels, what a method that treats mirror
    images alike could reach) and the best merge to ``clusters`` that keeps turns apart.
    """
    from scipy.ndimage import uniform_filter1d
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold

    from ethoflow.demo.simulate import STATES

    if len(tables) < 2:
        return []
    base = zscored(_features(tables, loco=True))
    feats = []
    for b in base:
        cols = [b]
        for width in (9, 21):
            mean = uniform_filter1d(b, width, axis=0, mode="nearest")
            sq = uniform_filter1d(b**2, width, axis=0, mode="nearest")
            cols += [mean, np.sqrt(np.maximum(sq - mean**2, 0))]
        feats.append(np.concatenate(cols, axis=1))
    split = split_turns(tables, states)
    x, y = np.concatenate(feats), np.concatenate(split)
    groups = np.concatenate([np.full(len(f), i) for i, f in enumerate(feats)])
    tic = time.perf_counter()
    predicted = [None] * len(feats)
    for train, test in GroupKFold(min(len(feats), 3)).split(x, y, groups):
        clf = HistGradientBoostingClassifier(max_iter=200, random_state=seed).fit(x[train], y[train])
        prior = np.bincount(y[train], minlength=len(STATES) + 1)[clf.classes_] / len(train)
        train_sessions = set(groups[train].tolist())
        stay = 1 - 1 / median_duration([s for i, s in enumerate(split) if i in train_sessions])
        for i in sorted(set(groups[test].tolist())):
            log_lik = np.log(clf.predict_proba(feats[i]) + 1e-9) - np.log(prior)
            predicted[i] = clf.classes_[_sticky_viterbi(log_lik, stay)]
    seconds = time.perf_counter() - tic
    turn = STATES.index("turn")
    merged = [np.where(p == len(STATES), turn, p) for p in predicted]
    rows = [score("supervised ceiling (trained on the states, held-out sessions), turns merged",
                  merged, states, seconds)]
    kept = best_merge(f"supervised ceiling merged to {clusters} (best merge, turns kept apart)",
                      predicted, states, clusters)
    return rows + ([kept] if kept else [])


def run_tracks(run: Path) -> tuple[list[pd.DataFrame], list[np.ndarray], list[str]]:
    truth = sorted((run / "demo" / "truth").glob("*_states.csv"))
    if not truth:
        raise SystemExit(f"{run}: no demo/truth/*_states.csv (not a finished demo run)")
    sessions = [p.name.removesuffix("_states.csv") for p in truth]
    tables = [read_pose_table(run / "results" / "pose" / f"{s}_filtered.h5") for s in sessions]
    states = [pd.read_csv(p, comment="#")["state_id"].to_numpy() for p in truth]
    return tables, states, sessions


def extra_network_tracks(run: Path, n: int, folder: Path) -> tuple[list[pd.DataFrame], list[np.ndarray]]:
    """``n`` more demo sessions (the generator's sessions after the run's, same spec and seed),
    analysed by the run's own network and filtered as the run filters: network pose on
    sessions the network never saw, with their hidden states."""
    import yaml

    from ethoflow.config import fill_defaults, load_schema
    from ethoflow.demo.simulate import write_session
    from ethoflow.pose.filtering import filter_session
    from ethoflow.pose.inference import analyze_video
    from ethoflow.pose.network import load_model

    root = Path(__file__).parents[1]
    config = fill_defaults(yaml.safe_load((run / "config" / "config.yaml").read_text()),
                           load_schema(root / "config" / "schemas" / "config.schema.yaml"))
    demo, inference = config["demo"], config["pose"]["inference"]
    spec = DemoSpec(**{k: v for k, v in demo.items() if k not in ("enabled", "outdir", "n_sessions")},
                    seed=config["seed"])
    model_pt = run / "results" / "pose" / f"iteration-{config['pose']['dataset']['iteration']}" / \
        f"shuffle{inference['shuffle']}" / "model.pt"
    model, bodyparts = load_model(str(model_pt), "cpu")
    tables, states = [], []
    for index in range(demo["n_sessions"], demo["n_sessions"] + n):
        name = f"extra{index + 1:03d}"
        paths = {k: folder / f"{name}{suffix}" for k, suffix in (
            ("video", ".mp4"), ("face_video", "_face.mp4"), ("pose", "_truth.h5"), ("states", "_states.csv"),
            ("face_truth", "_face.csv"), ("labels_dir", "_labels"))}
        write_session(spec, index, name, paths)
        analyze_video(model, bodyparts, paths["video"], folder / f"{name}.h5", "network",
                      batch_size=inference["batch_size"], downsample=inference["downsample"],
                      likelihood=inference["likelihood"], flip_test=inference["flip_test"])
        filter_session(str(folder / f"{name}.h5"), str(folder / f"{name}_filtered.h5"), config)
        tables.append(read_pose_table(folder / f"{name}_filtered.h5"))
        states.append(pd.read_csv(paths["states"], comment="#")["state_id"].to_numpy())
        print(f"{name}: simulated, analysed by {model_pt}, filtered", flush=True)
    return tables, states


def vae_rows(run: Path, sessions: list[str], states: list[np.ndarray], clusters: int, seed: int) -> list[dict]:
    from ethoflow.behaviour.io import read_embedding, read_segmentation

    rows = []
    for folder in sorted((run / "results" / "segment").glob("*-*")):
        if folder.is_dir() and all((folder / f"{s}.h5").exists() for s in sessions):
            labels = [read_segmentation(folder / f"{s}.h5")["labels"] for s in sessions]
            rows.append(score(f"ethoflow run: {folder.name}", labels, states, float("nan")))
    latents = [read_embedding(run / "results" / "embed" / f"{s}.h5")["latent_vector"] for s in sessions]
    tic = time.perf_counter()
    model = fit_segmentation(latents, "kmeans", clusters, seed, n_init=15)
    rows.append(score("VAE latents, kmeans", [label_frames(model, z) for z in latents], states,
                      time.perf_counter() - tic))
    return rows


def vae_truth_rows(tables: list[pd.DataFrame], states: list[np.ndarray], clusters: int,
                   seeds: list[int]) -> list[dict]:
    """The VAE as the demo runs it (``config/config.yaml``'s ``embed.model``, on the CPU) trained
    on these tracks from each seed, then k-means on its latent vectors (the demo's
    ``segment``): one row per seed, the VAE's own seed spread beside the baseline."""
    import tempfile

    from ethoflow.behaviour.vae import EmbedParams, embed, load_vae, train_vae

    model_config = {**_demo_embed_config()["model"], "device": "cpu"}
    feats = {f"s{i:03d}": f.astype(np.float32) for i, f in enumerate(_features(tables, loco=False))}
    rows = []
    for seed in seeds:
        tic = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            train_vae(feats, EmbedParams.from_config(model_config, seed), f"{tmp}/vae.pt", f"{tmp}/loss.csv")
            model, state = load_vae(f"{tmp}/vae.pt", "cpu")
            latents = [embed(model, state, feats[k]) for k in sorted(feats)]
        seg = fit_segmentation(latents, "kmeans", clusters, seed, n_init=15)
        rows.append(score(f"VAE (demo config, seed {seed}) + kmeans", [label_frames(seg, z) for z in latents],
                          states, time.perf_counter() - tic))
        print(rows[-1], flush=True)
    return rows


def print_table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}\n")
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(f"{r[k]:.3f}" if isinstance(r[k], float) else str(r[k]) for k in keys) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clusters", type=int, default=5)
    parser.add_argument("--kappa", type=float, nargs="+", default=[1e4, 1e6])
    parser.add_argument("--vae-seeds", type=int, nargs="*", default=[0, 1, 2],
                        help="train the demo's VAE on the true keypoints from each seed (none: skip)")
    parser.add_argument("--run", type=Path, help="a finished demo run: its network pose too")
    parser.add_argument("--extra-sessions", type=int, default=0,
                        help="with --run: also simulate this many more sessions and analyse them with the "
                             "run's network (the run's own VAE rows are then left out)")
    parser.add_argument("--kpms-python", help="keypoint-MoSeq 0.8.1's venv python: run it too")
    parser.add_argument("--vame-python", help="VAME 0.14.4's venv python (Python >= 3.12): run it too")
    parser.add_argument("--kpms-kappa", type=float, nargs=2, default=[1e6, 1e5],
                        help="keypoint-MoSeq's kappa for the AR-HMM and the full model")
    parser.add_argument("--kpms-iters", type=int, nargs=2, default=[50, 500],
                        help="keypoint-MoSeq's AR-HMM and full-model iterations (its tutorial's)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    spec = DemoSpec(n_frames=args.frames, seed=args.seed)
    truths = [simulate_session(spec, i) for i in range(args.sessions)]
    tables = [pose_dataframe(t.keypoints, np.ones(t.keypoints.shape[:2]), BODYPARTS, "truth") for t in truths]
    states = [t.states for t in truths]
    rows = oracle_rows(tables, states, args.clusters)
    rows += ceiling_rows(tables, states, args.clusters, args.seed)
    rows += methods(tables, states, args.clusters, args.kappa, args.seed)
    rows += vae_truth_rows(tables, states, args.clusters, args.vae_seeds)
    if args.kpms_python:
        rows += kpms_rows(args.kpms_python, tables, states, args.clusters, args.kpms_kappa, args.kpms_iters,
                          args.seed)
    if args.vame_python:
        rows += vame_rows(args.vame_python, tables, states, args.clusters, args.seed)
    print_table(f"true keypoints: {args.sessions} sessions x {args.frames} frames, demo seed {args.seed}, "
                f"{args.clusters} motifs", rows)
    if args.run:
        tables, states, sessions = run_tracks(args.run)
        title = f"network pose (_filtered) of {args.run}"
        if args.extra_sessions:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                more_tables, more_states = extra_network_tracks(args.run, args.extra_sessions, Path(tmp))
            tables, states = tables + more_tables, states + more_states
            title += f" and {args.extra_sessions} more sessions it never saw"
        rows = ceiling_rows(tables, states, args.clusters, args.seed)
        rows += methods(tables, states, args.clusters, args.kappa, args.seed)
        if not args.extra_sessions:
            rows += vae_rows(args.run, sessions, states, args.clusters, args.seed)
        if args.kpms_python:
            rows += kpms_rows(args.kpms_python, tables, states, args.clusters, args.kpms_kappa,
                              args.kpms_iters, args.seed)
        if args.vame_python:
            rows += vame_rows(args.vame_python, tables, states, args.clusters, args.seed)
        print_table(title, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
