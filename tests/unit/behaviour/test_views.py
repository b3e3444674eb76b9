"""The motif views (ethoflow.behaviour.views)."""

from __future__ import annotations

import cv2
import numpy as np
from scipy.cluster.hierarchy import fcluster

from ethoflow.behaviour.views import (
    bouts,
    community_linkage,
    grid_movie,
    plot_communities,
    plot_latents,
    plot_motif_poses,
    plot_transitions,
    transition_counts,
)


def test_transitions_are_counted_where_the_motif_changes():
    counts = transition_counts([np.array([0, 0, 1, 1, 2, 0]), np.array([2, 2, 0])], 3)
    np.testing.assert_array_equal(counts, [[0, 1, 0], [0, 0, 1], [2, 0, 0]])
    assert bouts(np.array([0, 0, 1, 1, 2, 0])) == [(0, 0, 2), (1, 2, 4), (2, 4, 5), (0, 5, 6)]


def test_the_community_tree_joins_motifs_that_follow_each_other():
    """Two groups, {0, 1} and {2, 3}, that switch within themselves and rarely across: cut in
    two, the tree gives those groups (VAME's communities)."""
    rng = np.random.default_rng(0)
    labels, state = [], 0
    for _ in range(400):
        group = state // 2
        if rng.random() < 0.05:
            group = 1 - group
        state = 2 * group + int(rng.integers(2))
        labels += [state] * int(rng.integers(3, 8))
    labels = np.array(labels)
    counts = transition_counts([labels], 4)
    usage = np.bincount(labels, minlength=4)
    z = community_linkage(usage, counts / counts.sum(axis=1, keepdims=True))
    assert z.shape == (3, 4) and z[-1, 3] == 4
    groups = fcluster(z, 2, "maxclust")
    assert groups[0] == groups[1] and groups[2] == groups[3] and groups[0] != groups[2]


def test_unlinked_motifs_still_make_a_tree():
    z = community_linkage(np.array([5, 1, 3]), np.zeros((3, 3)))
    assert z.shape == (2, 4) and set(z[:, :2].ravel()) >= {0, 1, 2}


def test_the_figures_are_written(tmp_path):
    rng = np.random.default_rng(1)
    labels = np.repeat(rng.integers(0, 3, 30), 5)
    counts = transition_counts([labels], 3)
    usage = np.bincount(labels, minlength=3)
    plot_transitions(usage, counts, tmp_path / "t.png", "test")
    plot_communities(usage, counts, tmp_path / "c.png", "test")
    plot_latents(rng.normal(size=(150, 4)), labels, tmp_path / "l.png", 3)
    names = ["snout_x", "snout_y", "tail_x", "tail_y", "neck_x"]
    plot_motif_poses(rng.normal(size=(150, 5)), names, labels, 3, ["centre", "neck"],
                     [["snout", "neck"], ["neck", "centre"], ["centre", "tail"]], tmp_path / "p.png")
    assert all((tmp_path / f"{n}.png").stat().st_size > 0 for n in "tclp")


def _video_of_squares(path, centres: np.ndarray, size: int = 80) -> str:
    """A black video with a bright 7x7 square at each frame's (x, y) in ``centres``."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 20.0, (size, size))
    for x, y in centres:
        img = np.zeros((size, size, 3), np.uint8)
        img[y - 3:y + 4, x - 3:x + 4] = 255
        writer.write(img)
    writer.release()
    return str(path)


def _bright_centre(tile: np.ndarray) -> tuple[float, float]:
    """Median (x, y) of a tile's bright pixels inside its 3-px border."""
    ys, xs = np.nonzero(tile[3:-3, 3:-3].max(axis=2) > 128)
    return float(np.median(xs) + 3), float(np.median(ys) + 3)


def test_a_grid_movie_crops_around_the_animal(tmp_path):
    """A bright square at the pose's position lands in the middle of each tile."""
    frames = 40
    xy = np.stack([20 + np.arange(frames), np.full(frames, 30)], axis=1)[:, None]
    video = _video_of_squares(tmp_path / "v.mp4", xy[:, 0])
    labels = np.array([0] * 10 + [1] * 20 + [0] * 10)
    shown = grid_movie({"s": video}, {"s": xy.astype(float)}, {"s": labels}, 0, tmp_path / "g.mp4", 20.0,
                       instances=4, clip_frames=6, crop=32, min_frames=3)
    assert shown == 2
    cap = cv2.VideoCapture(str(tmp_path / "g.mp4"))
    ok, grid = cap.read()
    assert ok and grid.shape[:2] == (64, 64) and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    x, y = _bright_centre(grid[:32, :32])
    assert abs(x - 16) <= 3 and abs(y - 16) <= 3
    assert grid[32:, 32:].max() < 30  # fewer bouts than tiles: the rest stays black


def test_a_grid_movie_turns_the_animal_to_point_up(tmp_path):
    """With the heading bodyparts, each clip is turned so the animal points up: a bright head
    to the right of the body in the video lies above the tile's centre."""
    frames = 12
    video = _video_of_squares(tmp_path / "v.mp4", np.tile([50, 40], (frames, 1)))  # the head
    xy = np.tile(np.array([(30.0, 40.0), (50.0, 40.0)]), (frames, 1, 1))  # body centre, head
    labels = np.zeros(frames, int)
    tiles = {}
    for rotate in (False, True):
        out = tmp_path / f"g{rotate}.mp4"
        grid_movie({"s": video}, {"s": xy}, {"s": labels}, 0, out, 20.0, instances=1, clip_frames=4,
                   crop=32, min_frames=3, heading={"s": (0, 1)} if rotate else None)
        ok, tile = cv2.VideoCapture(str(out)).read()
        assert ok
        tiles[rotate] = _bright_centre(tile)
    # the crop centres on the points' median, (40, 40): the head 10 px right of it, or up
    assert abs(tiles[False][0] - 26) <= 2 and abs(tiles[False][1] - 16) <= 2
    assert abs(tiles[True][0] - 16) <= 2 and abs(tiles[True][1] - 6) <= 2
