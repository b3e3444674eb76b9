"""The views people use to name motifs, across all sessions of a shared motif model: the
transition graph, VAME's community tree, each motif's average pose, the latent space by motif
(the ``segment_views`` stage) and keypoint-MoSeq-style grid movies (``segment_grid_movies``).

Transitions are counted where the motif changes (VAME's adjacency matrix: a motif that lasts
does not transition to itself), pooled over sessions and normalised per row. The community
tree merges motifs two at a time as VAME's does (``graph_to_tree``, its default lowest-cost
rule): the pair whose usages, added, are smallest against the transitions between them
(``(u_i + u_j) / (T_ij + T_ji)``; VAME's code divides only ``u_j``, by operator precedence)
merges first and becomes one node with the summed usage and transitions, until one node is
left; cutting the tree gives communities of motifs that follow
each other. A grid movie shows, for one motif, clips of several of its bouts side by side,
each cropped around the animal and centred on the bout, as keypoint-MoSeq's grid movies do.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

import numpy as np

from ethoflow.behaviour.io import bouts
from ethoflow.io.figures import plt, save_figure

log = logging.getLogger(__name__)

__all__ = [
    "bouts",
    "community_linkage",
    "grid_movie",
    "plot_communities",
    "plot_latents",
    "plot_motif_poses",
    "plot_transitions",
    "transition_counts",
]


def transition_counts(labels: Sequence[np.ndarray], n: int) -> np.ndarray:
    """``(n, n)`` counts of changes from motif i to motif j, pooled over sessions."""
    counts = np.zeros((n, n))
    for s in labels:
        s = np.asarray(s)
        change = np.flatnonzero(s[1:] != s[:-1])
        np.add.at(counts, (s[change], s[change + 1]), 1)
    return counts


def _rows(counts: np.ndarray) -> np.ndarray:
    total = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, total, out=np.zeros_like(counts, dtype=float), where=total > 0)


def community_linkage(usage: np.ndarray, transmat: np.ndarray) -> np.ndarray:
    """VAME's community tree as a SciPy linkage matrix ``(n - 1, 4)``: the merge order (the
    height of a merge is its step, 1, 2, ...) for :func:`scipy.cluster.hierarchy.dendrogram`
    and ``fcluster(Z, k, "maxclust")`` (``k`` communities).

    Motifs with no transition to or from any other merge last, by usage.
    """
    n = len(usage)
    u = np.asarray(usage, float) / max(float(np.sum(usage)), 1e-12)
    t = np.asarray(transmat, float).copy()
    np.fill_diagonal(t, 0.0)
    alive = list(range(n))
    node = list(range(n))  # the linkage id of each alive slot
    size = [1] * n
    z = []
    for step in range(n - 1):
        best, pair = np.inf, None
        for a_i, a in enumerate(alive):
            for b in alive[a_i + 1:]:
                link = t[a, b] + t[b, a]
                cost = (u[a] + u[b]) / link if link > 0 else np.inf
                if cost < best or pair is None:
                    best, pair = cost, (a, b)
        if not np.isfinite(best):  # nothing linked: the two least used
            order = sorted(alive, key=lambda k: u[k])
            pair = (order[0], order[1])
        a, b = pair
        z.append([node[a], node[b], float(step + 1), size[a] + size[b]])
        t[b] += t[a]
        t[:, b] += t[:, a]
        t[b, b] = 0.0
        t[a], t[:, a] = 0.0, 0.0
        u[b] += u[a]
        size[b] += size[a]
        node[b] = n + step
        alive.remove(a)
    return np.asarray(z, float)


def _colours(n: int):
    cmap = plt.get_cmap("tab20" if n > 10 else "tab10")
    return [cmap(i % cmap.N) for i in range(n)]


def plot_transitions(usage: np.ndarray, counts: np.ndarray, png: str | os.PathLike, title: str = "") -> None:
    """The transition graph (motifs on a circle, sized by usage; arrows by probability) and
    the transition matrix."""
    n = len(usage)
    p = _rows(counts)
    colours = _colours(n)
    angle = 2 * np.pi * np.arange(n) / max(n, 1)
    pos = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    share = np.asarray(usage, float) / max(float(np.sum(usage)), 1)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 5), constrained_layout=True)
    for i in range(n):
        for j in range(n):
            if i != j and p[i, j] >= 0.05:
                ax.annotate("", xy=pos[j] * 0.9, xytext=pos[i] * 0.9,
                            arrowprops={"arrowstyle": "-|>", "lw": 0.5 + 4 * p[i, j], "alpha": 0.25 + 0.75 * p[i, j],
                                        "color": colours[i], "connectionstyle": "arc3,rad=0.15"})
    ax.scatter(pos[:, 0], pos[:, 1], s=200 + 3000 * share, c=colours, zorder=3, edgecolors="k", linewidths=0.5)
    for i in range(n):
        ax.text(*pos[i], str(i), ha="center", va="center", fontsize=9, zorder=4)
    ax.set_xlim(-1.4, 1.4)
    ax.set_ylim(-1.4, 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("transitions (arrows: P >= 0.05; size: usage)")
    im = ax2.imshow(p, cmap="viridis", vmin=0, vmax=max(float(p.max()), 1e-6))
    ax2.set_xlabel("to motif")
    ax2.set_ylabel("from motif")
    ax2.set_xticks(range(n))
    ax2.set_yticks(range(n))
    ax2.set_title("transition probability (motif changes)")
    fig.colorbar(im, ax=ax2, shrink=0.8)
    fig.suptitle(title)
    save_figure(fig, png, f"motif transitions: {title}")


def plot_communities(usage: np.ndarray, counts: np.ndarray, png: str | os.PathLike, title: str = "") -> np.ndarray:
    """VAME's community tree as a dendrogram, leaves coloured by motif; returns the linkage."""
    from scipy.cluster.hierarchy import dendrogram

    n = len(usage)
    z = community_linkage(usage, _rows(counts))
    colours = _colours(n)
    fig, ax = plt.subplots(figsize=(max(5, 0.5 * n + 2), 4), constrained_layout=True)
    if n >= 2:
        out = dendrogram(z, ax=ax, labels=[str(i) for i in range(n)], color_threshold=0,
                         above_threshold_color="0.3")
        for tick, leaf in zip(ax.get_xticklabels(), out["leaves"]):
            tick.set_color(colours[leaf])
    ax.set_xlabel("motif")
    ax.set_ylabel("merge step")
    ax.set_title("community tree (VAME: least used, most connected motifs merge first)")
    fig.suptitle(title)
    save_figure(fig, png, f"motif community tree: {title}")
    return z


def plot_latents(latents: np.ndarray, labels: np.ndarray, png: str | os.PathLike, n: int, seed: int = 0,
                 max_points: int = 20000, title: str = "") -> None:
    """The two leading principal components of the latent series, coloured by motif (at most
    ``max_points`` frames, a seeded sample)."""
    z = np.asarray(latents, float)
    labels = np.asarray(labels)
    if len(z) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(z), max_points, replace=False))
        z, labels = z[keep], labels[keep]
    z = z - z.mean(axis=0)
    fig, ax = plt.subplots(figsize=(6, 5), constrained_layout=True)
    if z.shape[1] >= 2 and len(z) > 2:
        _, _, vt = np.linalg.svd(z, full_matrices=False)
        pcs = z @ vt[:2].T
    else:
        pcs = np.column_stack([z[:, 0], np.zeros(len(z))])
    colours = _colours(n)
    for m in range(n):
        sel = labels == m
        if sel.any():
            ax.scatter(pcs[sel, 0], pcs[sel, 1], s=3, lw=0, color=colours[m], label=str(m))
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.legend(markerscale=4, fontsize=7, ncol=2, title="motif")
    ax.set_title(f"latent space by motif {title}".strip())
    save_figure(fig, png, f"latent space by motif: {title}")


def _points(features: np.ndarray, names: Sequence[str], origin: str) -> tuple[list[str], np.ndarray]:
    """Egocentric feature rows as (frames, bodyparts, 2) points, the origin at (0, 0)."""
    parts = [origin]
    for name in names:
        part = name.rsplit("_", 1)[0]
        if part not in parts:
            parts.append(part)
    xy = np.zeros((len(features), len(parts), 2))
    for c, name in enumerate(names):
        part, axis = name.rsplit("_", 1)
        xy[:, parts.index(part), 0 if axis == "x" else 1] = features[:, c]
    return parts, xy


def plot_motif_poses(features: np.ndarray, names: Sequence[str], labels: np.ndarray, n: int,
                     align: Sequence[str], skeleton: Sequence[Sequence[str]], png: str | os.PathLike,
                     seed: int = 0, samples: int = 20, title: str = "") -> None:
    """Each motif's average egocentric pose (the origin bodypart at (0, 0), heading along +x),
    over ``samples`` of its frames drawn faintly."""
    parts, xy = _points(np.asarray(features, float), names, align[0])
    index = {p: i for i, p in enumerate(parts)}
    bones = [(index[a], index[b]) for a, b in skeleton if a in index and b in index]
    colours = _colours(n)
    cols = min(n, 5)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 2.4 * rows), squeeze=False,
                             constrained_layout=True)
    rng = np.random.default_rng(seed)
    # a square around where the points are (robust to a few wild frames), the same in every panel
    if np.isfinite(xy).any():
        xs, ys = np.nanpercentile(xy[..., 0], [2, 98]), np.nanpercentile(xy[..., 1], [2, 98])
        centre = np.array([xs.mean(), ys.mean()])
        half = max(xs[1] - xs[0], ys[1] - ys[0], 1e-6) * 0.6
    else:
        centre, half = np.zeros(2), 1.0
    for m, ax in enumerate(axes.flat):
        ax.set_xlim(centre[0] - half, centre[0] + half)
        ax.set_ylim(centre[1] - half, centre[1] + half)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        if m >= n:
            ax.axis("off")
            continue
        frames = np.flatnonzero(labels == m)
        ax.set_title(f"motif {m} ({len(frames)} frames)", fontsize=8)
        if not len(frames):
            continue
        for f in rng.choice(frames, min(samples, len(frames)), replace=False):
            for a, b in bones:
                ax.plot(xy[f, [a, b], 0], xy[f, [a, b], 1], color=colours[m], alpha=0.15, lw=0.8)
        mean = xy[frames].mean(axis=0)
        for a, b in bones:
            ax.plot(mean[[a, b], 0], mean[[a, b], 1], color="k", lw=2)
        ax.plot(mean[:, 0], mean[:, 1], "o", color=colours[m], ms=4, mec="k", mew=0.5)
    fig.suptitle(f"average pose per motif (egocentric: {align[0]} at 0, {align[1]} along +x) {title}".strip(),
                 fontsize=9)
    save_figure(fig, png, f"average pose per motif: {title}")


def _heading_up(pose: np.ndarray, origin: int, heading: int) -> float:
    """The rotation (radians, counter-clockwise in image coordinates) that turns the animal's
    heading (``origin`` -> ``heading`` bodypart, averaged over ``pose``'s frames) to point up;
    0 when the heading is unknown."""
    v = pose[:, heading] - pose[:, origin]
    v = v[np.isfinite(v).all(axis=1)].mean(axis=0) if np.isfinite(v).all(axis=1).any() else np.zeros(2)
    if not np.any(v):
        return 0.0
    return float(-np.pi / 2 - np.arctan2(v[1], v[0]))


def grid_movie(videos: Mapping[str, str], poses: Mapping[str, np.ndarray], labels: Mapping[str, np.ndarray],
               motif: int, out_mp4: str | os.PathLike, fps: float, instances: int = 9,
               clip_frames: int = 60, crop: int = 160, min_frames: int = 3, seed: int = 0,
               heading: Mapping[str, tuple[int, int]] | None = None) -> int:
    """One motif's grid movie: up to ``instances`` of its bouts (at least ``min_frames``
    long, a seeded choice over all sessions), each a clip of ``clip_frames`` centred on the
    bout and cropped ``crop`` px around the animal's median position in it, tiled in a
    square grid; a bout's own frames carry a red border. With ``heading`` (per session, the
    pose's origin and heading bodypart indices) each clip is turned so the animal points up at the
    bout's start (its first 5 frames), as keypoint-MoSeq's grid movies are. Returns the
    instances shown (an empty grid, one black frame per clip, when the motif has none).
    """
    import cv2

    from ethoflow.io.files import atomic_path

    found = [(s, a, b) for s in sorted(labels) for m, a, b in bouts(labels[s]) if m == motif and b - a >= min_frames]
    rng = np.random.default_rng(seed)
    chosen = [found[i] for i in sorted(rng.choice(len(found), min(instances, len(found)), replace=False))] if found else []
    side = int(np.ceil(np.sqrt(max(instances, 1))))
    tile = np.zeros((clip_frames, crop, crop, 3), np.uint8)
    tiles = []
    for s, a, b in chosen:
        middle = (a + b) // 2
        first = max(0, middle - clip_frames // 2)
        centre = np.nanmedian(poses[s][a:b].reshape(-1, 2), axis=0)
        angle = _heading_up(poses[s][a : min(b, a + 5)], *heading[s]) if heading else 0.0
        cos, sin = np.cos(angle), np.sin(angle)
        cap = cv2.VideoCapture(str(videos[s]))
        cap.set(cv2.CAP_PROP_POS_FRAMES, first)
        clip = np.zeros_like(tile)
        for k in range(clip_frames):
            ok, frame = cap.read()
            if not ok:
                break
            h, w = frame.shape[:2]
            cx, cy = (np.nan_to_num(centre, nan=0.0) + 0.5).astype(int)
            cx, cy = min(max(cx, 0), w - 1), min(max(cy, 0), h - 1)  # a point off the frame
            # the crop's centre goes to the tile's, turned by angle about it
            m = np.array([[cos, -sin, 0.0], [sin, cos, 0.0]])
            m[:, 2] = np.array([crop // 2, crop // 2]) - m[:, :2] @ np.array([cx, cy])
            clip[k] = cv2.warpAffine(frame, m, (crop, crop), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
            if a <= first + k < b:
                cv2.rectangle(clip[k], (0, 0), (crop - 1, crop - 1), (0, 0, 255), 2)
        cap.release()
        tiles.append(clip)
    tiles += [tile] * (side * side - len(tiles))
    rows = [np.concatenate(tiles[r * side:(r + 1) * side], axis=2) for r in range(side)]
    grid = np.concatenate(rows, axis=1)
    with atomic_path(out_mp4) as tmp:
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), float(fps),
                                 (grid.shape[2], grid.shape[1]))
        if not writer.isOpened():
            raise OSError(f"{out_mp4}: OpenCV cannot write an mp4v video here")
        for frame in grid:
            writer.write(frame)
        writer.release()
    log.info("motif %d: %d of %d bouts (>= %d frames) in %s", motif, len(chosen), len(found), min_frames, out_mp4)
    return len(chosen)


def _session_views_data(series_path: str, config: Mapping, model: Mapping, calibration_yaml: str | None
                        ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """One session's latent series, egocentric features and their names."""
    if config["segment"]["method"] == "arhmm":
        from ethoflow.behaviour.arhmm import project
        from ethoflow.behaviour.motifs import pose_features

        features, names = pose_features(series_path, config, calibration_yaml)
        return project(model, features), features, names
    from ethoflow.behaviour.io import read_embedding

    emb = read_embedding(series_path)
    return emb["latent_vector"], emb["egocentric"], emb["names"]


def motif_views(segment_h5s: Sequence[str], series_paths: Sequence[str], model_h5: str, out: Mapping[str, str],
                config: Mapping, fps: float, calibration_yaml: str | None = None) -> None:
    """The ``segment_views`` stage: the views of a shared motif model over all sessions --
    ``transitions``, ``communities``, ``latents`` and ``poses`` figures, and ``table``, a TSV
    of each motif's frames, share, bouts, median bout (s) and community at each cut of the
    tree (2 .. 6 communities).

    Parameters
    ----------
    config
        The keys this stage reads: ``segment`` (method, n_clusters, ...), ``embed.align``,
        ``embed.pcutoff``, ``pose.skeleton`` and ``seed``.
    """
    import pandas as pd
    from scipy.cluster.hierarchy import fcluster

    from ethoflow.behaviour.io import motif_usage, read_segmentation, read_segmentation_model
    from ethoflow.io.files import provenance, write_table

    n, seed = int(config["segment"]["n_clusters"]), config["seed"]
    labels = [read_segmentation(p)["labels"] for p in segment_h5s]
    usage = np.sum([motif_usage(s, n) for s in labels], axis=0)
    counts = transition_counts(labels, n)
    title = f"{config['segment']['method']}-{n}, {len(labels)} session(s)"
    plot_transitions(usage, counts, out["transitions"], title)
    z = plot_communities(usage, counts, out["communities"], title)
    model = read_segmentation_model(model_h5)
    data = [_session_views_data(p, config, model, calibration_yaml) for p in series_paths]
    flat = np.concatenate(labels)
    plot_latents(np.concatenate([d[0] for d in data]), flat, out["latents"], n, seed, title=title)
    plot_motif_poses(np.concatenate([d[1] for d in data]), data[0][2], flat, n, config["embed"]["align"],
                     config["pose"]["skeleton"], out["poses"], seed, title=title)
    runs = [b for s in labels for b in bouts(s)]
    table = pd.DataFrame({"motif": np.arange(n), "frames": usage.astype(int),
                          "share": np.round(usage / max(usage.sum(), 1), 4),
                          "bouts": [sum(1 for m, _, _ in runs if m == k) for k in range(n)],
                          "median_bout_s": [round(float(np.median([b - a for m, a, b in runs if m == k])) / fps, 3)
                                            if any(m == k for m, _, _ in runs) else np.nan for k in range(n)]})
    for k in range(2, min(n, 7)):
        table[f"community_{k}"] = fcluster(z, k, "maxclust") - 1
    write_table(table, out["table"], comment=provenance({"sessions": len(labels)}))
    log.info("motif views of %d session(s):\n%s", len(labels), table.to_string(index=False))


def grid_movies(segment_h5s: Sequence[str], pose_h5s: Sequence[str], videos: Sequence[str],
                sessions: Sequence[str], out_mp4s: Sequence[str], config: Mapping, fps: float) -> None:
    """The ``segment_grid_movies`` stage: one grid movie per motif (``out_mp4s`` in motif
    order), from every session's video, pose table and motifs.

    Parameters
    ----------
    config
        The keys this stage reads: ``segment.grid_movies``, ``embed.align`` (the heading,
        with ``grid_movies.rotate``) and ``seed``.
    """
    from ethoflow.behaviour.io import read_segmentation
    from ethoflow.io.dlc import pose_arrays, read_pose_table

    g = config["segment"]["grid_movies"]
    labels = {s: read_segmentation(p)["labels"] for s, p in zip(sessions, segment_h5s)}
    poses, heading = {}, {}
    for s, p in zip(sessions, pose_h5s):
        parts, poses[s], _ = pose_arrays(read_pose_table(p))
        if len(poses[s]) != len(labels[s]):
            raise ValueError(f"session {s}: {len(poses[s])} pose rows but {len(labels[s])} motif labels")
        if g["rotate"]:
            missing = [b for b in config["embed"]["align"] if b not in parts]
            if missing:
                raise ValueError(f"{p}: embed.align bodypart(s) {', '.join(missing)} not in the pose table, "
                                 "needed to turn the grid movies (segment.grid_movies.rotate)")
            heading[s] = tuple(parts.index(b) for b in config["embed"]["align"])
    clip = max(1, int(round(g["seconds"] * fps)))
    for motif, out in enumerate(out_mp4s):
        grid_movie(dict(zip(sessions, videos)), poses, labels, motif, out, fps, g["instances"], clip,
                   g["crop"], g["min_frames"], config["seed"] + motif, heading or None)
