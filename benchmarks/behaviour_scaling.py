"""Time and peak memory of the behaviour stages as sessions grow: alignment, VAE training per
epoch, embedding and segmentation (k-means on the latent vectors, the AR-HMM on the pose).

Usage::

    python benchmarks/behaviour_scaling.py [--sessions 10 50 200] [--minutes 30] [--fps 30]
                                           [--arhmm-iter 100] [--max-frames 200000]

Tracks: ``--minutes`` at ``--fps`` per session, pose tables like the workflow's (DLC HDF5, the
demo's 7 bodyparts): a pool of 10 sessions of the demo generator's keypoints with 1 px noise
and likelihoods 0.9-1 (the pool is written once and reused under new names for more
sessions: what each stage costs does not depend on the movements). Each stage runs in its own
process at each session count; its wall time and peak resident memory (its process tree,
sampled every 20 ms) are measured from outside.

- ``align``: every session's egocentric features (``embed_train`` and ``embed_session``
  read them; all sessions' are held at once for training).
- ``vae epoch``: one training epoch of the config's VAE (``config/config.yaml``,
  ``embed.model``, on the CPU) measured on one session; N sessions extrapolate its windows
  per second (an epoch is linear in the windows; training holds every session's features
  and gathers each batch's windows from them, so its memory grows as ``align``'s).
- ``embed``: one session's latent vectors (``embed_session``, one job per session): measured
  once; N sessions = N x that, or N / jobs x that with parallel jobs.
- ``kmeans``: ``segment_fit`` (``max_frames`` latent vectors, 15 starts) plus labelling every
  session, on stand-in latent vectors (16 dimensions).
- ``arhmm``: ``segment_fit`` with ``segment.method: arhmm`` (``max_frames`` in one window per
  session, ``--arhmm-iter`` sweeps) plus labelling every session.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _measure import run_measured

POOL = 10
ZDIMS = 16


def write_pool(folder: Path, frames: int, fps: float) -> list[Path]:
    """POOL pose tables of ``frames`` frames from the demo generator's keypoints."""
    from ethoflow.demo.simulate import BODYPARTS, DemoSpec, simulate_session
    from ethoflow.io.dlc import pose_dataframe, write_pose_table

    spec = DemoSpec(n_frames=frames, fps=fps, seed=0)
    paths = []
    for i in range(POOL):
        rng = np.random.default_rng(i)
        kp = simulate_session(spec, i).keypoints + rng.normal(0, 1.0, (frames, len(BODYPARTS), 2))
        lik = rng.uniform(0.9, 1.0, kp.shape[:2])
        path = folder / f"pool{i}.h5"
        write_pose_table(pose_dataframe(kp, lik, BODYPARTS, "scaling"), path)
        paths.append(path)
    return paths


def session_paths(folder: Path, n: int) -> list[Path]:
    return [folder / f"pool{i % POOL}.h5" for i in range(n)]


def config() -> dict:
    import yaml

    c = yaml.safe_load((Path(__file__).parents[1] / "config" / "config.yaml").read_text())
    c["embed"]["model"]["device"] = "cpu"
    return c


def worker(stage: str, folder: Path, n: int, args: argparse.Namespace) -> dict:
    """One stage at one session count, in this process; what it did, for the table."""
    import torch

    from ethoflow.behaviour.features import session_features

    torch.set_num_threads(2)
    c = config()
    paths = session_paths(folder, n)
    tic = time.perf_counter()
    if stage == "align":
        feats = [session_features(p, c["embed"])[0] for p in paths]
        return {"frames": int(sum(len(f) for f in feats))}
    if stage == "vae":
        from ethoflow.behaviour import vae

        feats = {f"s{i}": session_features(p, c["embed"])[0] for i, p in enumerate(paths)}
        params = vae.EmbedParams.from_config({**c["embed"]["model"], "epochs": 1}, 0)
        vae.train_vae(feats, params, str(folder / "vae.pt"), str(folder / "vae.csv"))
        frames = sum(len(f) for f in feats.values())
        return {"windows": int(frames * (1 - params.test_fraction) / params.window_stride),
                "seconds": time.perf_counter() - tic}
    if stage == "embed":
        from ethoflow.behaviour import vae

        model, state = vae.load_vae(folder / "vae.pt", "cpu")
        f = session_features(paths[0], c["embed"])[0]
        tic = time.perf_counter()
        vae.embed(model, state, f)
        return {"seconds": time.perf_counter() - tic}
    from ethoflow.behaviour.motifs import (
        fit_segmentation,
        label_frames,
        sample_frames,
        sample_windows,
    )

    if stage == "kmeans":
        rng = np.random.default_rng(0)
        frames = len(session_features(paths[0], c["embed"])[0])  # every session is as long
        latents = [rng.normal(size=(frames, ZDIMS)).astype(np.float32) for _ in range(n)]
        tic = time.perf_counter()
        model = fit_segmentation(sample_frames(latents, args.max_frames, 0), "kmeans", 5, 0, n_init=15)
        for z in latents:
            label_frames(model, z)
        return {"seconds": time.perf_counter() - tic}
    if stage == "arhmm":
        from ethoflow.behaviour.motifs import pose_features

        seg = {**c["segment"], "method": "arhmm", "nlags": 3}
        feats = [pose_features(str(p), {**c, "segment": seg})[0] for p in paths]
        tic = time.perf_counter()
        model = fit_segmentation(sample_windows(feats, args.max_frames, 0), "arhmm", 5, 0,
                                 n_iter=args.arhmm_iter,
                                 arhmm={"latent_var": 0.9, "nlags": 3, "kappa": 1e6, "alpha": 5.7})
        fit = time.perf_counter() - tic
        for f in feats:
            label_frames(model, f)
        return {"fit_s": fit, "label_s": time.perf_counter() - tic - fit}
    raise SystemExit(f"unknown stage {stage}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--arhmm-iter", type=int, default=100)
    parser.add_argument("--max-frames", type=int, default=200000, help="segment.max_frames")
    parser.add_argument("--worker", nargs=3, metavar=("STAGE", "FOLDER", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        stage, folder, n = args.worker
        print("RESULT " + json.dumps(worker(stage, Path(folder), int(n), args)))
        return 0
    frames = int(args.minutes * 60 * args.fps)
    folder = Path(tempfile.mkdtemp(prefix="ethoflow-scaling-"))
    try:
        tic = time.perf_counter()
        write_pool(folder, frames, args.fps)
        print(f"{POOL} pose tables of {frames} frames written in {time.perf_counter() - tic:.0f} s", flush=True)

        def measure(stage: str, n: int, *extra: str) -> dict:
            r = run_measured([sys.executable, __file__, "--worker", stage, str(folder), str(n),
                              "--arhmm-iter", str(args.arhmm_iter), "--max-frames", str(args.max_frames), *extra])
            line = next(x for x in r["stdout"].splitlines() if x.startswith("RESULT "))
            return {**json.loads(line[7:]), "wall_s": r["wall_s"], "peak_mb": r["peak_mb"]}

        base = measure("vae", 1)
        rate = base["windows"] / base["seconds"]
        per_embed = measure("embed", 1)
        print(f"VAE: {rate:.0f} training windows/s (one session: peak {base['peak_mb']:.0f} MB); embedding one session {per_embed['seconds']:.1f} s "
              f"(peak {per_embed['peak_mb']:.0f} MB)", flush=True)
        rows = []
        for n in args.sessions:
            align = measure("align", n)
            epoch = n * base["windows"] / rate
            km = measure("kmeans", n)
            ar = measure("arhmm", n)
            rows.append({
                "sessions": n, "frames": n * frames, "align s": align["wall_s"], "align MB": align["peak_mb"],
                "VAE epoch s (from 1 session)": epoch, "embed s (1 job)": n * per_embed["seconds"],
                "kmeans s": km["seconds"], "kmeans MB": km["peak_mb"],
                "arhmm fit s": ar["fit_s"], "arhmm label s": ar["label_s"], "arhmm MB": ar["peak_mb"]})
            print(rows[-1], flush=True)
        print(f"\n{args.minutes:g}-minute sessions at {args.fps:g} fps, segment.max_frames {args.max_frames}, "
              f"AR-HMM {args.arhmm_iter} sweeps, CPU only\n")
        keys = list(rows[0])
        print("| " + " | ".join(keys) + " |")
        print("|" + "---|" * len(keys))
        for r in rows:
            print("| " + " | ".join(f"{r[k]:.1f}" if isinstance(r[k], float) else str(r[k]) for k in keys) + " |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
