"""A synthetic lab with ground truth: the workflow's demo data.

Each session is a top-view video of an animal moving through an arena under a
hidden semi-Markov sequence of behaviour states with distinct kinematics, and a
face video (head-fixed, in profile) whose whisker pad, mouth and eye move with
oscillations tied to the same states. Next to the videos, the ground truth is
written: per-frame keypoints (a DLC pose table), the states, the amplitude of
each face oscillation, and a DLC labelled-frames folder whose labels carry
human-like noise.

Everything is deterministic from ``DemoSpec.seed`` and the session index; the
generator never touches numpy's global random state.

Examples
--------
>>> truth = simulate_session(DemoSpec(n_frames=60, width=96, height=96), 0)
>>> truth.keypoints.shape
(60, 7, 2)
"""

from __future__ import annotations

import itertools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ethoflow.io.dlc import pose_dataframe, write_pose_table
from ethoflow.io.files import atomic_path
from ethoflow.pose.labels import write_labels

log = logging.getLogger(__name__)

__all__ = [
    "BODYPARTS",
    "SKELETON",
    "STATES",
    "DemoSpec",
    "SessionTruth",
    "face_rois",
    "simulate_session",
    "write_session",
]

BODYPARTS: list[str] = ["snout", "leftear", "rightear", "neck", "bodycentre", "tailbase", "tailtip"]
SKELETON: list[tuple[str, str]] = [
    ("snout", "leftear"),
    ("snout", "rightear"),
    ("leftear", "neck"),
    ("rightear", "neck"),
    ("neck", "bodycentre"),
    ("bodycentre", "tailbase"),
    ("tailbase", "tailtip"),
]
STATES: list[str] = ["rest", "walk", "turn", "groom", "rear"]

# Mean state durations (s); durations are gamma-distributed, clipped to [0.5, 3] s.
_MEAN_DURATION = {"rest": 1.8, "walk": 1.5, "turn": 0.8, "groom": 2.0, "rear": 1.2}
# Face drive per state: whisking amplitude (rad), jaw amplitude (0..1), pupil dilation (0..1).
_FACE_DRIVE = {
    "rest": (0.03, 0.05, 0.0),
    "walk": (0.35, 0.05, 0.6),
    "turn": (0.30, 0.05, 0.8),
    "groom": (0.08, 1.00, 0.2),
    "rear": (0.22, 0.10, 1.0),
}
WHISK_HZ = 9.0
JAW_HZ = 5.5
GROOM_HZ = 6.0

# Face ROIs on the reference 192x144 face video, [start, stop) pixels: (x0, x1, y0, y1).
_FACE_REF = (192, 144)
_FACE_BOXES = {
    "whiskers": (96, 160, 64, 112),
    "mouth": (120, 176, 104, 140),
    "eye": (64, 112, 24, 64),
}
# The independent random streams of one session, spawned from SeedSequence([seed, index]).
_STREAMS = ("behaviour", "face", "body_video", "face_video", "labels")


@dataclass(frozen=True)
class DemoSpec:
    """How the demo sessions are made.

    Attributes
    ----------
    n_frames : int
        Frames per video.
    fps : float
        Frame rate of every video.
    width, height : int
        Top-view video size in pixels.
    face_width, face_height : int
        Face video size in pixels.
    n_labeled : int
        Labelled frames per session.
    label_noise_px : float
        Standard deviation (per axis, pixels) of the simulated human label noise.
    scorer : str
        Scorer name in the DLC files.
    seed : int
        Seed of everything random; with the session index it seeds a session.
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
        ``(n_frames,)`` int, index into :data:`STATES`.
    keypoints : numpy.ndarray
        ``(n_frames, len(BODYPARTS), 2)`` float pixel coordinates (x, y) in the
        top-view video.
    face_signals : dict of str to numpy.ndarray
        One ``(n_frames,)`` float per face ROI (keys of :func:`face_rois`): the
        amplitude of that ROI's movement. ``whiskers``: whisking envelope
        (rad); ``mouth``: jaw-movement envelope (0..1); ``eye``: visible pupil
        radius (px; slow changes, near 0 during blinks).
    face_traces : dict of str to numpy.ndarray
        The instantaneous face movements behind ``face_signals``: whisker angle
        offset (rad), jaw opening (0..1) and visible pupil radius (px).
    lighting : numpy.ndarray
        ``(n_frames,)`` global illumination gain, shared by both videos.
    body_length : float
        Snout-to-tailbase length at rest, in pixels.
    fps : float
        Frame rate.
    """

    states: np.ndarray
    keypoints: np.ndarray
    face_signals: dict[str, np.ndarray]
    face_traces: dict[str, np.ndarray]
    lighting: np.ndarray
    body_length: float
    fps: float


def face_rois(face_width: int, face_height: int) -> dict[str, tuple[int, int, int, int]]:
    """Where the face video's whisker pad, mouth and eye are.

    Parameters
    ----------
    face_width, face_height
        Face video size in pixels.

    Returns
    -------
    dict of str to tuple of int
        ``name -> (x0, x1, y0, y1)``, ``[start, stop)`` pixel ranges, for
        ``whiskers``, ``mouth`` and ``eye``. For the default 192x144 video:
        whiskers (96, 160, 64, 112), mouth (120, 176, 104, 140),
        eye (64, 112, 24, 64); other sizes scale these.
    """
    sx, sy = face_width / _FACE_REF[0], face_height / _FACE_REF[1]
    return {
        name: (round(x0 * sx), round(x1 * sx), round(y0 * sy), round(y1 * sy))
        for name, (x0, x1, y0, y1) in _FACE_BOXES.items()
    }


def _streams(spec: DemoSpec, session_index: int) -> dict[str, np.random.Generator]:
    """Independent generators for one session, all from ``SeedSequence([seed, index])``."""
    children = np.random.SeedSequence([spec.seed, session_index]).spawn(len(_STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(_STREAMS, children)}


def _state_sequence(n_frames: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """A semi-Markov state sequence: gamma durations in [0.5, 3] s, no self-transitions."""
    states = np.empty(n_frames, np.int64)
    t, current = 0, int(rng.integers(len(STATES)))
    while t < n_frames:
        mean = _MEAN_DURATION[STATES[current]]
        dur = float(np.clip(rng.gamma(4.0, mean / 4.0), 0.5, 3.0))
        n = max(1, round(dur * fps))
        states[t : t + n] = current
        t += n
        current = int(rng.choice([s for s in range(len(STATES)) if s != current]))
    return states


def _wrap(a: float) -> float:
    return float((a + np.pi) % (2 * np.pi) - np.pi)


def _approach(x: float, target: float, dt: float, tau: float) -> float:
    """One step of first-order smoothing of ``x`` towards ``target`` (time constant ``tau``)."""
    return x + (target - x) * (1.0 - np.exp(-dt / tau))


def moving_average(x: np.ndarray, n: int) -> np.ndarray:
    """Moving average over ``n`` samples with edge padding (same length)."""
    if n <= 1:
        return x.astype(np.float64)
    padded = np.pad(x.astype(np.float64), (n, n), mode="edge")
    return np.convolve(padded, np.ones(n) / n, mode="same")[n:-n]


def _simulate_body(
    spec: DemoSpec, states: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Keypoints ``(n_frames, n_bodyparts, 2)`` following the states, and the body length."""
    dt = 1.0 / spec.fps
    size = min(spec.width, spec.height)
    L = 0.22 * size  # snout to tail base at rest
    margin = 0.08 * size  # the arena wall
    lo = np.array([margin + 0.55 * L, margin + 0.55 * L])
    hi = np.array([spec.width - margin - 0.55 * L, spec.height - margin - 0.55 * L])
    centre = np.array([spec.width / 2, spec.height / 2])

    pos = lo + rng.random(2) * (hi - lo)
    theta = float(rng.uniform(-np.pi, np.pi))
    theta_tail = theta
    speed = omega = head = 0.0
    length, ears, reach = 1.0, 1.0, 1.0
    turn_sign, wander = 1.0, 0.0
    kp = np.empty((spec.n_frames, len(BODYPARTS), 2))
    prev = -1
    for t in range(spec.n_frames):
        s = STATES[states[t]]
        time = t * dt
        if states[t] != prev:
            turn_sign, prev = float(rng.choice([-1.0, 1.0])), int(states[t])
        wander += -wander * dt / 0.5 + rng.normal(0, 1.2) * np.sqrt(dt)  # Ornstein-Uhlenbeck
        groom = np.sin(2 * np.pi * GROOM_HZ * time)
        # speed (L/s), angular velocity (rad/s), head yaw (rad), length, ear spread, snout reach
        target = {
            "rest": (0.0, 0.0, 0.0, 1.0 + 0.01 * np.sin(2 * np.pi * 2.5 * time), 1.0, 1.0),
            "walk": (2.0, 0.6 * wander, 0.12 * np.sin(2 * np.pi * 4 * time), 1.04, 1.0, 1.0),
            "turn": (0.3, 2.6 * turn_sign, 0.45 * turn_sign, 0.95, 1.0, 1.0),
            "groom": (
                0.0,
                0.0,
                0.45 * groom,
                0.92,
                1.1,
                0.55 + 0.15 * np.sin(2 * np.pi * GROOM_HZ * time + 1),
            ),
            "rear": (0.0, 0.0, 0.0, 0.62, 1.45, 0.8),
        }[s]
        tv, tw, th, tl, te, tr = target
        ahead = pos + np.array([np.cos(theta), np.sin(theta)]) * L
        if np.any(ahead < lo) or np.any(ahead > hi):  # steer away from the wall ahead
            away = float(np.arctan2(centre[1] - pos[1], centre[0] - pos[0]))
            tw += 4.0 * _wrap(away - theta)
        speed = _approach(speed, tv * L, dt, 0.15)
        omega = _approach(omega, tw, dt, 0.12)
        head = _approach(head, th, dt, 0.05)
        length = _approach(length, tl, dt, 0.15)
        ears = _approach(ears, te, dt, 0.15)
        reach = _approach(reach, tr, dt, 0.05)
        theta = _wrap(theta + omega * dt)
        theta_tail = theta_tail + _wrap(theta - theta_tail) * (1 - np.exp(-dt / 0.3))
        u = np.array([np.cos(theta), np.sin(theta)])
        pos = np.clip(pos + u * speed * dt, lo, hi)

        uh = np.array([np.cos(theta + head), np.sin(theta + head)])
        nh = np.array([-uh[1], uh[0]])
        neck = pos + u * 0.30 * L * length
        ear_base = neck + uh * 0.05 * L
        tailbase = pos - u * 0.34 * L * length
        sway = 0.25 * np.sin(2 * np.pi * 1.3 * time) if s == "walk" else 0.0
        ut = np.array([np.cos(theta_tail + sway), np.sin(theta_tail + sway)])
        kp[t] = [
            neck + uh * 0.30 * L * reach,  # snout
            ear_base + nh * 0.11 * L * ears,
            ear_base - nh * 0.11 * L * ears,
            neck,
            pos,
            tailbase,
            tailbase - ut * 0.5 * L,  # tail tip
        ]
    kp[..., 0] = np.clip(kp[..., 0], 1, spec.width - 2)
    kp[..., 1] = np.clip(kp[..., 1], 1, spec.height - 2)
    return kp, float(L)


def simulate_session(spec: DemoSpec, session_index: int) -> SessionTruth:
    """Simulate one session's states, keypoints, face signals and lighting (no video).

    Parameters
    ----------
    spec
        The demo's parameters.
    session_index
        0-based session index; with ``spec.seed`` it seeds the session.

    Returns
    -------
    SessionTruth
        The hidden truth; identical for identical arguments.
    """
    if spec.n_frames < 1 or spec.fps <= 0:
        raise ValueError(
            f"DemoSpec needs n_frames >= 1 and fps > 0, but got {spec.n_frames} and {spec.fps}"
        )
    rng = _streams(spec, session_index)
    states = _state_sequence(spec.n_frames, spec.fps, rng["behaviour"])
    keypoints, body_length = _simulate_body(spec, states, rng["behaviour"])

    # Face: oscillation envelopes follow the states, smoothed over ~0.2 s (pupil ~1 s).
    frng = rng["face"]
    dt = 1.0 / spec.fps
    time = np.arange(spec.n_frames) * dt
    drive = np.array([_FACE_DRIVE[STATES[s]] for s in states])
    k = max(1, round(0.2 * spec.fps))
    whisk_amp, jaw_amp = moving_average(drive[:, 0], k), moving_average(drive[:, 1], k)
    dilation = moving_average(drive[:, 2], max(1, round(1.0 * spec.fps)))
    whisk_phase = 2 * np.pi * WHISK_HZ * time + np.cumsum(frng.normal(0, 0.05, spec.n_frames))
    whiskers = whisk_amp * np.sin(whisk_phase)
    mouth = jaw_amp * 0.5 * (1 - np.cos(2 * np.pi * JAW_HZ * time + frng.uniform(0, 2 * np.pi)))
    pupil = 0.05 * spec.face_height * (1.0 + 0.6 * dilation)
    blink = np.ones(spec.n_frames)
    shut = np.abs(np.linspace(-1, 1, max(3, round(0.15 * spec.fps))))  # lid closes and opens
    for start in np.flatnonzero(frng.random(spec.n_frames) < 0.15 * dt):  # ~one blink per 7 s
        seg = blink[start : start + len(shut)]
        seg[:] = np.minimum(seg, shut[: len(seg)])
    eye = pupil * blink
    lighting = 1.0 + 0.08 * np.sin(2 * np.pi * time / 17.0 + frng.uniform(0, 2 * np.pi))
    lighting += 0.03 * np.sin(2 * np.pi * time / 5.3 + frng.uniform(0, 2 * np.pi))
    return SessionTruth(
        states=states,
        keypoints=keypoints,
        face_signals={"whiskers": whisk_amp, "mouth": jaw_amp, "eye": eye},
        face_traces={"whiskers": whiskers, "mouth": mouth, "eye": eye},
        lighting=lighting,
        body_length=body_length,
        fps=float(spec.fps),
    )


# ----------------------------------------------------------------------------- rendering

_SHIFT = 4  # sub-pixel drawing: coordinates in 1/16 px


def _pt(p: np.ndarray) -> tuple[int, int]:
    return (round(float(p[0]) * 16), round(float(p[1]) * 16))


def _ellipse(
    img: np.ndarray, centre: np.ndarray, axes: tuple[float, float], angle: float, value: float
) -> None:
    """A filled, anti-aliased ellipse with sub-pixel centre and axes (angle in radians)."""
    cv2.ellipse(
        img,
        _pt(np.asarray(centre)),
        (max(1, int(axes[0] * 16)), max(1, int(axes[1] * 16))),
        float(np.degrees(angle)),
        0,
        360,
        value,
        -1,
        cv2.LINE_AA,
        _SHIFT,
    )


def _texture(
    rng: np.random.Generator, shape: tuple[int, int], sigma: float, amp: float
) -> np.ndarray:
    """A smooth random multiplicative texture around 1 (float32)."""
    noise = cv2.GaussianBlur(rng.standard_normal(shape, dtype=np.float32), (0, 0), sigma)
    return (1.0 + amp * noise / (noise.std() + 1e-6)).astype(np.float32)


def _open_writer(path: Path, fps: float, size: tuple[int, int]) -> cv2.VideoWriter:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), float(fps), size)
    if not writer.isOpened():
        raise OSError(f"{path}: OpenCV cannot open an mp4v video writer here")
    return writer


def _finish(frame: np.ndarray, gain: float, rng: np.random.Generator, sd: float) -> np.ndarray:
    """Apply the lighting gain and sensor noise; return uint8."""
    frame = frame * np.float32(gain) + rng.standard_normal(
        frame.shape, dtype=np.float32
    ) * np.float32(sd)
    return np.clip(frame, 0, 255).astype(np.uint8)


def _render_body(spec: DemoSpec, truth: SessionTruth, path: Path, rng: np.random.Generator) -> None:
    """Write the top-view video: textured arena, the animal, lighting drift, sensor noise."""
    w, h, L = spec.width, spec.height, truth.body_length
    margin = int(0.08 * min(w, h))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vignette = 1.0 - 0.5 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2)
    floor = 165.0 * _texture(rng, (h, w), 2.0, 0.06) * vignette
    wall = 70.0 * _texture(rng, (h, w), 1.0, 0.04)
    inside = np.zeros((h, w), np.float32)
    inside[margin : h - margin, margin : w - margin] = 1.0
    floor = cv2.GaussianBlur(floor * inside + wall * (1 - inside), (0, 0), 1.0)
    base = np.stack([floor * 0.97, floor, floor * 1.03], axis=-1).astype(np.float32)
    fur = _texture(rng, (h, w), 1.0, 0.10)
    colour = np.array([55.0, 58.0, 66.0], np.float32)  # dark brown-grey fur (BGR)
    ear_colour = np.array([95.0, 105.0, 150.0], np.float32)  # pinkish ears
    idx = {b: k for k, b in enumerate(BODYPARTS)}
    pad = int(0.3 * L) + 12  # crop around the keypoints that holds the body and its shadow
    with atomic_path(path) as tmp:
        writer = _open_writer(tmp, spec.fps, (w, h))
        try:
            for t in range(spec.n_frames):
                p = truth.keypoints[t]
                x0, y0 = (np.floor(p.min(0)).astype(int) - pad).clip(0)
                x1, y1 = np.ceil(p.max(0)).astype(int) + pad
                x1, y1 = min(x1, w), min(y1, h)
                q = p - np.array([x0, y0])  # keypoints in crop coordinates
                ch, cw = y1 - y0, x1 - x0
                body = np.zeros((ch, cw), np.uint8)
                ears = np.zeros((ch, cw), np.uint8)
                neck, centre, tailbase = q[idx["neck"]], q[idx["bodycentre"]], q[idx["tailbase"]]
                axis = neck - tailbase
                ang = float(np.arctan2(axis[1], axis[0]))
                blen = float(np.linalg.norm(axis))
                _ellipse(body, (neck + tailbase) / 2, (0.58 * blen, 0.17 * L), ang, 255)
                _ellipse(body, tailbase * 0.6 + centre * 0.4, (0.2 * L, 0.19 * L), ang, 255)
                head = q[idx["snout"]] - neck
                hang = float(np.arctan2(head[1], head[0]))
                _ellipse(
                    body,
                    neck + head * 0.45,
                    (0.62 * float(np.linalg.norm(head)) + 1, 0.11 * L),
                    hang,
                    255,
                )
                cv2.line(
                    body,
                    _pt(tailbase),
                    _pt(q[idx["tailtip"]]),
                    255,
                    max(1, int(0.035 * L)),
                    cv2.LINE_AA,
                    _SHIFT,
                )
                for ear in ("leftear", "rightear"):
                    _ellipse(ears, q[idx[ear]], (0.06 * L, 0.045 * L), hang, 255)
                mb = (body.astype(np.float32) / 255.0)[..., None]
                me = (ears.astype(np.float32) / 255.0)[..., None]
                shadow = cv2.GaussianBlur(np.roll(mb[..., 0], (3, 3), (0, 1)), (0, 0), 2.5)[
                    ..., None
                ]
                # shading: the back is lit, the flanks darker
                lit = cv2.GaussianBlur(mb[..., 0], (0, 0), 0.06 * L + 0.5)[..., None]
                frame = base.copy()
                crop = frame[y0:y1, x0:x1] * (1 - 0.35 * shadow)
                animal = colour * (0.75 + 0.45 * lit) * fur[y0:y1, x0:x1, None]
                crop = crop * (1 - mb) + animal * mb
                frame[y0:y1, x0:x1] = crop * (1 - me) + ear_colour * me
                writer.write(_finish(frame, truth.lighting[t], rng, 3.0))
        finally:
            writer.release()


def _render_face(spec: DemoSpec, truth: SessionTruth, path: Path, rng: np.random.Generator) -> None:
    """Write the face video: a still head in profile; whiskers, jaw and eye move in their ROIs."""
    w, h = spec.face_width, spec.face_height
    sx, sy = w / _FACE_REF[0], h / _FACE_REF[1]
    s = min(sx, sy)
    bg = 80.0 * _texture(rng, (h, w), 3.0 * s, 0.08)
    skin = _texture(rng, (h, w), 1.2 * s, 0.07)
    head: np.ndarray = np.zeros((h, w), np.float32)
    _ellipse(head, np.array([86.0 * sx, 79.0 * sy]), (80.0 * sx, 58.0 * sy), -0.25, 1.0)
    _ellipse(head, np.array([142.0 * sx, 101.0 * sy]), (31.0 * sx, 20.0 * sy), 0.0, 1.0)  # snout
    head = cv2.GaussianBlur(head, (0, 0), 1.0)
    still = (bg * (1 - head) + 150.0 * skin * head).astype(np.float32)
    eye_c = np.array([88.0 * sx, 44.0 * sy])
    eye_r = 13.0 * s
    n_whiskers = 8
    roots = np.stack(
        [np.full(n_whiskers, 104.0 * sx), (84.0 + np.linspace(0, 10, n_whiskers)) * sy], axis=1
    )
    base_angles = np.linspace(-0.35, 0.05, n_whiskers)
    lengths = (28.0 + 6.0 * rng.random(n_whiskers)) * s
    jaw_c = np.array([148.0 * sx, 116.0 * sy])
    pupil_rest = 0.05 * h
    whisk, jaw, eye = (
        truth.face_traces["whiskers"],
        truth.face_traces["mouth"],
        truth.face_traces["eye"],
    )
    layer = np.zeros((h, w), np.float32)
    with atomic_path(path) as tmp:
        writer = _open_writer(tmp, spec.fps, (w, h))
        try:
            for t in range(spec.n_frames):
                frame = still.copy()
                # eye: white, a pupil whose radius is the truth signal, lids that close in blinks
                layer[:] = 0
                _ellipse(layer, eye_c, (eye_r * 1.3, eye_r), 0.0, 1.0)
                frame = frame * (1 - layer) + 215.0 * layer
                r = float(eye[t])
                if r > 0.5:
                    layer[:] = 0
                    _ellipse(layer, eye_c, (r, r), 0.0, 1.0)
                    frame = frame * (1 - layer) + 25.0 * layer
                if r < 0.5 * pupil_rest:
                    layer[:] = 0
                    lid = 1.0 - r / (0.5 * pupil_rest)
                    _ellipse(layer, eye_c, (eye_r * 1.35, eye_r * 1.05 * lid), 0.0, 1.0)
                    frame = frame * (1 - layer) + 140.0 * layer
                # jaw: opens and closes
                layer[:] = 0
                opening = float(jaw[t])
                centre = jaw_c + np.array([0.0, 7.0 * sy * opening])
                _ellipse(layer, centre, (19.0 * sx, (5.0 + 4.3 * opening) * sy), 0.15, 1.0)
                frame = frame * (1 - 0.8 * layer) + 48.0 * layer
                # whiskers: the fan sweeps with the whisker angle
                wl = np.zeros((h, w), np.uint8)
                for root, a0, ln in zip(roots, base_angles, lengths):
                    a = a0 + float(whisk[t])
                    tip = root + ln * np.array([np.cos(a), np.sin(a)])
                    cv2.line(wl, _pt(root), _pt(tip), 255, max(1, round(s)), cv2.LINE_AA, _SHIFT)
                frame = frame * (1 - 0.85 * wl.astype(np.float32) / 255.0)
                writer.write(
                    cv2.cvtColor(_finish(frame, truth.lighting[t], rng, 2.5), cv2.COLOR_GRAY2BGR)
                )
        finally:
            writer.release()


# ----------------------------------------------------------------------------- labels


def _labelled_frames(spec: DemoSpec, rng: np.random.Generator) -> np.ndarray:
    """``n_labeled`` sorted frames, one drawn at random from each of as many equal stretches."""
    n = min(spec.n_labeled, spec.n_frames)
    edges = np.linspace(0, spec.n_frames, n + 1).astype(int)
    return np.array(
        [int(rng.integers(a, max(a + 1, b))) for a, b in itertools.pairwise(edges)], np.int64
    )


def _human_labels(truth_xy: np.ndarray, spec: DemoSpec, rng: np.random.Generator) -> np.ndarray:
    """Truth plus label noise: gaussian jitter, occasional slips, points skipped as NaN.

    About 3% of points slip by several pixels; 2% are skipped as uncertain, the
    tail tip 10% of the time (thin, often occluded); points that land outside
    the image are skipped too.
    """
    xy = truth_xy + rng.normal(0, spec.label_noise_px, truth_xy.shape)
    slips = rng.random(truth_xy.shape[:2]) < 0.03
    xy[slips] += rng.normal(0, 4 * spec.label_noise_px + 1, (int(slips.sum()), 2))
    skipped = rng.random(truth_xy.shape[:2]) < 0.02
    skipped[:, BODYPARTS.index("tailtip")] |= rng.random(len(xy)) < 0.10
    x, y = xy[..., 0], xy[..., 1]
    outside = (x < 0) | (x > spec.width - 1) | (y < 0) | (y > spec.height - 1)
    xy[skipped | outside] = np.nan
    return xy


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n")


def _write_decoded_frames(video: Path, frames: np.ndarray, folder: Path) -> None:
    """Save ``frames`` of ``video``, as decoded (what a network sees), as ``img{frame:05d}.png``."""
    wanted = {int(f) for f in frames}
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise OSError(f"{video}: cannot open the video just written")
    try:
        for f in range(max(wanted) + 1):
            ok, image = cap.read()
            if not ok:
                raise OSError(f"{video}: frame {f} could not be decoded back")
            if f in wanted:
                with atomic_path(folder / f"img{f:05d}.png") as tmp:
                    if not cv2.imwrite(str(tmp), image):
                        raise OSError(f"{tmp}: cv2.imwrite failed")
    finally:
        cap.release()


def write_session(spec: DemoSpec, session_index: int, session: str, paths: dict[str, Path]) -> None:
    """Simulate and write one demo session: videos, ground truth and labelled frames.

    Every file is written under a temporary name and renamed when complete.

    Parameters
    ----------
    spec
        The demo's parameters.
    session_index
        0-based session index; with ``spec.seed`` it seeds the session.
    session
        The session (and DLC video) name, used in the label index
        ``labeled-data/<session>/imgNNNNN.png``.
    paths
        Targets: ``video`` (top-view mp4), ``face_video`` (face mp4), ``pose``
        (DLC h5 of the true keypoints, likelihood 1), ``states`` (CSV: frame,
        state_id, state), ``face_truth`` (CSV: frame and one amplitude column per
        face ROI), ``labels_dir`` (the ``labeled-data/<session>`` folder: PNGs and
        ``CollectedData_<scorer>.h5``/``.csv``).

    Raises
    ------
    KeyError
        If a target is missing from ``paths``.
    OSError
        If a video cannot be written or decoded back.
    """
    required = ("video", "face_video", "pose", "states", "face_truth", "labels_dir")
    missing = [k for k in required if k not in paths]
    if missing:
        raise KeyError(f"write_session needs paths {list(required)}; missing {missing}")
    p = {k: Path(os.fspath(v)) for k, v in paths.items()}
    truth = simulate_session(spec, session_index)
    rng = _streams(spec, session_index)
    counts = {s: int((truth.states == i).sum()) for i, s in enumerate(STATES)}
    log.info("%s: simulated %d frames; frames per state %s", session, spec.n_frames, counts)

    _render_body(spec, truth, p["video"], rng["body_video"])
    log.info("%s: wrote %s", session, p["video"])
    _render_face(spec, truth, p["face_video"], rng["face_video"])
    log.info("%s: wrote %s", session, p["face_video"])

    frame = np.arange(spec.n_frames)
    likelihood = np.ones(truth.keypoints.shape[:2])
    write_pose_table(pose_dataframe(truth.keypoints, likelihood, BODYPARTS, spec.scorer), p["pose"])
    states = pd.DataFrame(
        {"frame": frame, "state_id": truth.states, "state": [STATES[s] for s in truth.states]}
    )
    _write_csv(states, p["states"])
    _write_csv(pd.DataFrame({"frame": frame, **truth.face_signals}), p["face_truth"])

    frames = _labelled_frames(spec, rng["labels"])
    labels_dir = p["labels_dir"]
    labels_dir.mkdir(parents=True, exist_ok=True)
    _write_decoded_frames(p["video"], frames, labels_dir)
    xy = _human_labels(truth.keypoints[frames], spec, rng["labels"])
    index = pd.Index([f"labeled-data/{session}/img{f:05d}.png" for f in frames])
    write_labels(pose_dataframe(xy, None, BODYPARTS, spec.scorer, index), labels_dir, spec.scorer)
    log.info("%s: %d labelled frames in %s", session, len(frames), labels_dir)
