"""A synthetic lab with ground truth: the workflow's demo data.

Each session is a top-view video of an animal moving through an arena under a
hidden semi-Markov sequence of behaviour states with distinct kinematics, a
face video (head-fixed profile) whose whisker pad, mouth and eye move with
oscillations tied to the same states, and on disk the ground truth: per-frame
keypoints (DLC pose table), the states, the face signals, and a DLC
labelled-frames folder with human-like label noise.

Everything is deterministic from ``DemoSpec.seed`` and the session index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ethoflow.dlc import pose_dataframe, write_labels, write_pose_table
from ethoflow.files import atomic_path, write_table

log = logging.getLogger(__name__)

__all__ = [
    "BODYPARTS", "SKELETON", "STATES", "DemoSpec", "SessionTruth", "face_rois",
    "simulate_session", "write_session",
]

BODYPARTS = ["snout", "leftear", "rightear", "neck", "bodycentre", "tailbase", "tailtip"]
SKELETON = [
    ("snout", "leftear"), ("snout", "rightear"), ("leftear", "neck"), ("rightear", "neck"),
    ("neck", "bodycentre"), ("bodycentre", "tailbase"), ("tailbase", "tailtip"),
]
STATES = ["rest", "walk", "turn", "groom", "rear"]

# mean state durations (s); durations are gamma-distributed, clipped to [0.5, 3] s
_MEAN_DURATION = {"rest": 1.8, "walk": 1.5, "turn": 0.8, "groom": 2.0, "rear": 1.2}
# face oscillations per state: (whisking amplitude rad, jaw amplitude, pupil dilation)
_FACE_DRIVE = {
    "rest": (0.03, 0.05, 0.0),
    "walk": (0.35, 0.05, 0.6),
    "turn": (0.30, 0.05, 0.8),
    "groom": (0.08, 1.00, 0.2),
    "rear": (0.22, 0.10, 1.0),
}
WHISK_HZ, JAW_HZ = 9.0, 5.5


@dataclass(frozen=True)
class DemoSpec:
    """How the demo sessions are made.

    Attributes
    ----------
    n_frames, fps : int, float
        Length and frame rate of every video.
    width, height : int
        Top-view video size in pixels.
    face_width, face_height : int
        Face video size in pixels.
    n_labeled : int
        Labelled frames per session.
    label_noise_px : float
        SD of the simulated human label noise.
    scorer : str
        Scorer name in the DLC files.
    seed : int
        Seed of everything random.
    """

    n_frames: int = 600
    fps: float = 30.0
    width: int = 256
    height: int = 256
    face_width: int = 192
    face_height: int = 144
    n_labeled: int = 20
    label_noise_px: float = 1.0
    scorer: str = "synthetic"
    seed: int = 0


@dataclass
class SessionTruth:
    """The hidden truth of one simulated session.

    Attributes
    ----------
    states : numpy.ndarray
        ``(n_frames,)`` state index into :data:`STATES`.
    keypoints : numpy.ndarray
        ``(n_frames, len(BODYPARTS), 2)`` pixel coordinates (x, y).
    body_length : float
        Snout-to-tailbase length at rest, in pixels.
    face : dict of str to numpy.ndarray
        Per-frame face signals: ``whiskers`` (whisker angle offset, rad),
        ``mouth`` (jaw opening, 0..1), ``eye`` (visible pupil radius, px), and
        the envelopes of the two oscillations, ``whiskers_amplitude`` (rad)
        and ``mouth_amplitude``.
    lighting : numpy.ndarray
        ``(n_frames,)`` global illumination gain.
    """

    states: np.ndarray
    keypoints: np.ndarray
    body_length: float
    face: dict[str, np.ndarray]
    lighting: np.ndarray


def face_rois(face_width: int, face_height: int) -> dict[str, tuple[int, int, int, int]]:
    """Where the face video's whisker pad, mouth and eye are: name → (x0, x1, y0, y1) pixels."""
    w, h = face_width, face_height
    boxes = {
        "whiskers": (0.50, 0.84, 0.44, 0.78),
        "mouth": (0.62, 0.92, 0.72, 0.97),
        "eye": (0.33, 0.58, 0.17, 0.44),
    }
    return {k: (int(w * a), int(w * b), int(h * c), int(h * d)) for k, (a, b, c, d) in boxes.items()}


def _rng(spec: DemoSpec, session_index: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([spec.seed, session_index, stream]))


def _state_sequence(spec: DemoSpec, rng: np.random.Generator) -> np.ndarray:
    states = np.empty(spec.n_frames, np.int64)
    t, current = 0, int(rng.integers(len(STATES)))
    while t < spec.n_frames:
        mean = _MEAN_DURATION[STATES[current]]
        dur = float(np.clip(rng.gamma(4.0, mean / 4.0), 0.5, 3.0))
        n = max(1, int(round(dur * spec.fps)))
        states[t : t + n] = current
        t += n
        current = int(rng.choice([s for s in range(len(STATES)) if s != current]))
    return states


def _wrap(a: np.ndarray | float) -> np.ndarray | float:
    return (a + np.pi) % (2 * np.pi) - np.pi


def _smooth_toward(x: float, target: float, dt: float, tau: float) -> float:
    return x + (target - x) * (1.0 - np.exp(-dt / tau))


def simulate_session(spec: DemoSpec, session_index: int) -> SessionTruth:
    """Simulate one session's states, keypoints, face signals and lighting (no video)."""
    rng = _rng(spec, session_index, 0)
    states = _state_sequence(spec, rng)
    dt = 1.0 / spec.fps
    size = min(spec.width, spec.height)
    L = 0.22 * size  # body length (snout to tail base) at rest
    margin = 0.08 * size
    lo = np.array([margin + 0.55 * L, margin + 0.55 * L])
    hi = np.array([spec.width - margin - 0.55 * L, spec.height - margin - 0.55 * L])
    centre = np.array([spec.width / 2, spec.height / 2])

    pos = lo + rng.random(2) * (hi - lo)
    theta = rng.uniform(-np.pi, np.pi)
    theta_tail = theta
    speed = omega = head = 0.0
    length, ears, snout_reach = 1.0, 1.0, 1.0
    turn_sign = 1.0
    noise_omega = 0.0
    kp = np.empty((spec.n_frames, len(BODYPARTS), 2))
    prev_state = -1
    for t in range(spec.n_frames):
        s = STATES[states[t]]
        time = t * dt
        if states[t] != prev_state:
            turn_sign = rng.choice([-1.0, 1.0])
            prev_state = states[t]
        noise_omega += -noise_omega * dt / 0.5 + rng.normal(0, 1.2) * np.sqrt(dt)
        targets = {  # speed (L/s), omega (rad/s), head yaw (rad), length, ears, snout reach
            "rest": (0.0, 0.0, 0.0, 1.0 + 0.01 * np.sin(2 * np.pi * 2.5 * time), 1.0, 1.0),
            "walk": (2.0, 0.6 * noise_omega, 0.12 * np.sin(2 * np.pi * 4 * time), 1.04, 1.0, 1.0),
            "turn": (0.3, 2.6 * turn_sign, 0.45 * turn_sign, 0.95, 1.0, 1.0),
            "groom": (0.0, 0.0, 0.45 * np.sin(2 * np.pi * 6 * time), 0.92, 1.1,
                      0.55 + 0.15 * np.sin(2 * np.pi * 6 * time + 1.0)),
            "rear": (0.0, 0.0, 0.0, 0.62, 1.45, 0.8),
        }[s]
        tv, tw, th, tl, te, tr = targets
        # steer away from the walls
        ahead = pos + np.array([np.cos(theta), np.sin(theta)]) * L
        if np.any(ahead < lo) or np.any(ahead > hi):
            away = np.arctan2(*(centre - pos)[::-1])
            tw += 4.0 * _wrap(away - theta)
        speed = _smooth_toward(speed, tv * L, dt, 0.15)
        omega = _smooth_toward(omega, tw, dt, 0.12)
        head = _smooth_toward(head, th, dt, 0.05)
        length = _smooth_toward(length, tl, dt, 0.15)
        ears = _smooth_toward(ears, te, dt, 0.15)
        snout_reach = _smooth_toward(snout_reach, tr, dt, 0.05)
        theta = float(_wrap(theta + omega * dt))
        theta_tail = float(theta_tail + _wrap(theta - theta_tail) * (1 - np.exp(-dt / 0.3)))
        u = np.array([np.cos(theta), np.sin(theta)])
        pos = np.clip(pos + u * speed * dt, lo, hi)

        uh = np.array([np.cos(theta + head), np.sin(theta + head)])
        nh = np.array([-uh[1], uh[0]])
        neck = pos + u * 0.30 * L * length
        snout = neck + uh * 0.30 * L * snout_reach
        ear_base = neck + uh * 0.05 * L
        tailbase = pos - u * 0.34 * L * length
        sway = 0.25 * np.sin(2 * np.pi * 1.3 * time) if s == "walk" else 0.0
        ut = np.array([np.cos(theta_tail + sway), np.sin(theta_tail + sway)])
        kp[t] = [
            snout,
            ear_base + nh * 0.11 * L * ears,
            ear_base - nh * 0.11 * L * ears,
            neck,
            pos,
            tailbase,
            tailbase - ut * 0.5 * L,
        ]
    kp[..., 0] = np.clip(kp[..., 0], 1, spec.width - 2)
    kp[..., 1] = np.clip(kp[..., 1], 1, spec.height - 2)

    # face: oscillation envelopes follow the states, smoothed over ~0.2 s
    drive = np.array([_FACE_DRIVE[STATES[s]] for s in states])
    k = max(1, int(0.2 * spec.fps))
    kernel = np.ones(k) / k
    drive = np.stack([np.convolve(np.pad(d, (k, k), mode="edge"), kernel, "same")[k:-k]
                      for d in drive.T], axis=1)
    time = np.arange(spec.n_frames) * dt
    frng = _rng(spec, session_index, 1)
    whisk_phase = 2 * np.pi * WHISK_HZ * time + np.cumsum(frng.normal(0, 0.05, spec.n_frames))
    whiskers = drive[:, 0] * np.sin(whisk_phase)
    mouth = drive[:, 1] * 0.5 * (1 - np.cos(2 * np.pi * JAW_HZ * time))
    pupil = 0.05 * spec.face_height * (1.0 + 0.6 * drive[:, 2])
    blink = np.ones(spec.n_frames)
    for start in np.flatnonzero(frng.random(spec.n_frames) < 0.15 * dt):
        nb = max(2, int(0.15 * spec.fps))
        blink[start : start + nb] = np.minimum(blink[start : start + nb], np.abs(np.linspace(-1, 1, nb)))
    eye = pupil * blink
    drift = 1.0 + 0.08 * np.sin(2 * np.pi * time / 17.0 + frng.uniform(0, 2 * np.pi))
    drift += 0.03 * np.sin(2 * np.pi * time / 5.3)
    face = {
        "whiskers": whiskers,
        "mouth": mouth,
        "eye": eye,
        "whiskers_amplitude": drive[:, 0],
        "mouth_amplitude": drive[:, 1],
    }
    return SessionTruth(states, kp, float(L), face, drift)


# ----------------------------------------------------------------------------- rendering

_SHIFT = 4  # sub-pixel drawing: coordinates in 1/16 px


def _pt(p: np.ndarray) -> tuple[int, int]:
    return (int(round(p[0] * 16)), int(round(p[1] * 16)))


def _ellipse(img: np.ndarray, centre, axes, angle_rad: float, value) -> None:
    cv2.ellipse(img, _pt(np.asarray(centre)), (int(axes[0] * 16), int(axes[1] * 16)),
                float(np.degrees(angle_rad)), 0, 360, value, -1, cv2.LINE_AA, _SHIFT)


def _texture(rng: np.random.Generator, shape: tuple[int, int], sigma: float, amp: float) -> np.ndarray:
    noise = rng.normal(0, 1, shape).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), sigma)
    return 1.0 + amp * noise / (noise.std() + 1e-6)


def _open_writer(path: Path, fps: float, size: tuple[int, int]) -> cv2.VideoWriter:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise OSError(f"{path}: OpenCV cannot write an mp4v video here")
    return writer


def _render_body(spec: DemoSpec, truth: SessionTruth, path: Path, rng: np.random.Generator) -> None:
    w, h, L = spec.width, spec.height, truth.body_length
    margin = int(0.08 * min(w, h))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vignette = 1.0 - 0.25 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2) * 2
    floor = 165.0 * _texture(rng, (h, w), 2.0, 0.06) * vignette
    floor[:margin] = floor[-margin:] = 70.0
    floor[:, :margin] = floor[:, -margin:] = 70.0
    floor = cv2.GaussianBlur(floor, (0, 0), 1.0)
    floor_bgr = np.stack([floor * 0.97, floor, floor * 1.03], axis=-1)
    fur = _texture(rng, (h, w), 1.0, 0.10)[..., None]
    colour = np.array([55.0, 58.0, 66.0], np.float32)  # dark brown-grey fur (BGR)
    ear_colour = np.array([95.0, 105.0, 150.0], np.float32)  # pinkish ears
    i = {b: k for k, b in enumerate(BODYPARTS)}
    with atomic_path(path) as tmp:
        writer = _open_writer(tmp, spec.fps, (w, h))
        try:
            for t in range(spec.n_frames):
                p = truth.keypoints[t]
                body = np.zeros((h, w), np.uint8)
                ears = np.zeros((h, w), np.uint8)
                axis = p[i["neck"]] - p[i["tailbase"]]
                ang = np.arctan2(axis[1], axis[0])
                blen = np.linalg.norm(axis)
                _ellipse(body, (p[i["neck"]] + p[i["tailbase"]]) / 2, (0.58 * blen, 0.17 * L), ang, 255)
                _ellipse(body, p[i["tailbase"]] * 0.6 + p[i["bodycentre"]] * 0.4, (0.2 * L, 0.19 * L), ang, 255)
                head = p[i["snout"]] - p[i["neck"]]
                _ellipse(body, p[i["neck"]] + head * 0.45, (0.62 * np.linalg.norm(head) + 1, 0.11 * L),
                         np.arctan2(head[1], head[0]), 255)
                cv2.line(body, _pt(p[i["tailbase"]]), _pt(p[i["tailtip"]]), 255,
                         max(1, int(0.035 * L)), cv2.LINE_AA, _SHIFT)
                for ear in ("leftear", "rightear"):
                    _ellipse(ears, p[i[ear]], (0.06 * L, 0.045 * L), ang, 255)
                mb = body.astype(np.float32)[..., None] / 255.0
                me = ears.astype(np.float32)[..., None] / 255.0
                shadow = cv2.GaussianBlur(np.roll(body, (3, 3), (0, 1)), (0, 0), 2.5)
                frame = floor_bgr * (1 - 0.35 * shadow.astype(np.float32)[..., None] / 255.0)
                frame = frame * (1 - mb) + colour * fur * mb
                frame = frame * (1 - me) + ear_colour * me
                frame = frame * truth.lighting[t] + rng.normal(0, 3.0, frame.shape)
                writer.write(np.clip(frame, 0, 255).astype(np.uint8))
        finally:
            writer.release()


def _render_face(spec: DemoSpec, truth: SessionTruth, path: Path, rng: np.random.Generator) -> None:
    w, h = spec.face_width, spec.face_height
    rois = face_rois(w, h)
    bg = 80.0 * _texture(rng, (h, w), 3.0, 0.08)
    skin = _texture(rng, (h, w), 1.2, 0.07)
    head = np.zeros((h, w), np.uint8)
    _ellipse(head, (0.45 * w, 0.55 * h), (0.42 * w, 0.40 * h), -0.25, 255)
    _ellipse(head, (0.74 * w, 0.70 * h), (0.16 * w, 0.14 * h), 0.0, 255)  # snout
    mh = cv2.GaussianBlur(head.astype(np.float32) / 255.0, (0, 0), 1.0)
    still = bg * (1 - mh) + 150.0 * skin * mh
    ex0, ex1, ey0, ey1 = rois["eye"]
    eye_c = np.array([(ex0 + ex1) / 2, (ey0 + ey1) / 2])
    wx0, wx1, wy0, wy1 = rois["whiskers"]
    pad = np.array([wx0 + 0.25 * (wx1 - wx0), wy0 + 0.4 * (wy1 - wy0)])
    mx0, mx1, my0, my1 = rois["mouth"]
    jaw_c = np.array([(mx0 + mx1) / 2, my0 + 0.35 * (my1 - my0)])
    eye_r = 0.09 * h
    base_angles = np.linspace(-0.5, 0.0, 8)  # the fan stays above the mouth
    lengths = (0.17 + 0.04 * rng.random(8)) * w
    roots = pad + np.stack([np.zeros(8), np.linspace(-0.04, 0.04, 8) * h], axis=1)
    with atomic_path(path) as tmp:
        writer = _open_writer(tmp, spec.fps, (w, h))
        try:
            for t in range(spec.n_frames):
                frame = still.copy()
                # eye: white, pupil whose visible radius is the truth signal, lids close in blinks
                layer = np.zeros((h, w), np.float32)
                _ellipse(layer, eye_c, (eye_r * 1.3, eye_r), 0.0, 1.0)
                frame = frame * (1 - layer) + 215.0 * layer
                r = float(truth.face["eye"][t])
                if r > 0.5:
                    layer[:] = 0
                    _ellipse(layer, eye_c, (r, r), 0.0, 1.0)
                    frame = frame * (1 - layer) + 25.0 * layer
                lid = 1.0 - min(1.0, r / (0.05 * h * 0.5 + 1e-6)) if r < 0.05 * h * 0.5 else 0.0
                if lid > 0:
                    layer[:] = 0
                    _ellipse(layer, eye_c, (eye_r * 1.35, eye_r * 1.05 * lid), 0.0, 1.0)
                    frame = frame * (1 - layer) + 150.0 * layer
                # jaw: opens and closes
                layer[:] = 0
                opening = float(truth.face["mouth"][t])
                _ellipse(layer, jaw_c + np.array([0.0, 0.05 * h * opening]),
                         (0.10 * w, 0.035 * h + 0.03 * h * opening), 0.15, 1.0)
                frame = frame * (1 - 0.8 * layer) + 60.0 * 0.8 * layer
                # whiskers: sweep together with the whisking angle
                wl = np.zeros((h, w), np.uint8)
                for root, a0, ln in zip(roots, base_angles, lengths):
                    a = a0 + float(truth.face["whiskers"][t])
                    tip = root + ln * np.array([np.cos(a), np.sin(a)])
                    cv2.line(wl, _pt(root), _pt(tip), 255, 2, cv2.LINE_AA, _SHIFT)
                frame = frame * (1 - 0.75 * wl.astype(np.float32) / 255.0)
                frame = frame * truth.lighting[t] + rng.normal(0, 2.5, frame.shape)
                writer.write(cv2.cvtColor(np.clip(frame, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR))
        finally:
            writer.release()


def _labelled_frames(spec: DemoSpec, rng: np.random.Generator) -> np.ndarray:
    """``n_labeled`` frames, one drawn at random from each of as many equal stretches."""
    n = min(spec.n_labeled, spec.n_frames)
    edges = np.linspace(0, spec.n_frames, n + 1).astype(int)
    return np.array([rng.integers(a, max(a + 1, b)) for a, b in zip(edges[:-1], edges[1:])])


def _human_labels(truth_xy: np.ndarray, spec: DemoSpec, rng: np.random.Generator) -> np.ndarray:
    """Truth plus label noise: gaussian jitter, occasional slips, skipped uncertain points."""
    xy = truth_xy + rng.normal(0, spec.label_noise_px, truth_xy.shape)
    slips = rng.random(truth_xy.shape[:2]) < 0.03
    xy[slips] += rng.normal(0, 4 * spec.label_noise_px + 1, (int(slips.sum()), 2))
    skipped = rng.random(truth_xy.shape[:2]) < 0.02
    skipped[:, BODYPARTS.index("tailtip")] |= rng.random(len(xy)) < 0.10
    outside = (xy[..., 0] < 0) | (xy[..., 0] > spec.width - 1) | (xy[..., 1] < 0) | (xy[..., 1] > spec.height - 1)
    xy[skipped | outside] = np.nan
    return xy


def write_session(spec: DemoSpec, session_index: int, session: str, paths: dict[str, Path]) -> None:
    """Simulate and write one demo session: videos, ground truth and labelled frames.

    Parameters
    ----------
    spec
        The demo's parameters.
    session_index
        0-based index; with ``spec.seed`` it seeds this session.
    session
        The session (and DLC video) name.
    paths
        Targets: ``video``, ``face_video`` (mp4), ``pose`` (DLC h5 of the true
        keypoints), ``states`` and ``face_truth`` (CSV), ``labels_dir``
        (the ``labeled-data/<session>`` folder).
    """
    paths = {k: Path(v) for k, v in paths.items()}
    truth = simulate_session(spec, session_index)
    log.info("%s: simulated %d frames; state counts %s", session, spec.n_frames,
             {s: int((truth.states == i).sum()) for i, s in enumerate(STATES)})
    _render_body(spec, truth, paths["video"], _rng(spec, session_index, 2))
    log.info("%s: wrote %s", session, paths["video"])
    _render_face(spec, truth, paths["face_video"], _rng(spec, session_index, 3))
    log.info("%s: wrote %s", session, paths["face_video"])

    likelihood = np.ones(truth.keypoints.shape[:2])
    write_pose_table(pose_dataframe(truth.keypoints, likelihood, BODYPARTS, spec.scorer), paths["pose"])
    write_table(
        pd.DataFrame({"frame": np.arange(spec.n_frames), "state_id": truth.states,
                      "state": [STATES[s] for s in truth.states]}),
        paths["states"],
    )
    write_table(pd.DataFrame({"frame": np.arange(spec.n_frames), **truth.face}), paths["face_truth"])

    rng = _rng(spec, session_index, 4)
    frames = np.sort(_labelled_frames(spec, rng))
    labels_dir = paths["labels_dir"]
    labels_dir.mkdir(parents=True, exist_ok=True)
    wanted = set(frames.tolist())
    cap = cv2.VideoCapture(str(paths["video"]))  # the frames as decoded, as a network sees them
    try:
        for f in range(int(frames.max()) + 1):
            ok, image = cap.read()
            if not ok:
                raise OSError(f"{paths['video']}: frame {f} could not be decoded back")
            if f in wanted:
                with atomic_path(labels_dir / f"img{f:05d}.png") as tmp:
                    cv2.imwrite(str(tmp), image)
    finally:
        cap.release()
    xy = _human_labels(truth.keypoints[frames], spec, rng)
    index = [f"labeled-data/{session}/img{f:05d}.png" for f in frames]
    write_labels(pose_dataframe(xy, None, BODYPARTS, spec.scorer, index), labels_dir, spec.scorer)
    log.info("%s: %d labelled frames in %s", session, len(frames), labels_dir)
