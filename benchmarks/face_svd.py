"""Benchmark the face stage against bare OpenCV decoding and Facemap 1.0.8, in one run.

Usage::

    python benchmarks/face_svd.py [--video PATH] [--sbin 4] [--ncomps 500]
                                  [--facemap-python /opt/facemap-venv/bin/python]

Each contender runs in its own subprocess; its wall time and peak resident
memory (the whole process tree, sampled every 20 ms) are measured from outside.

- ``decode``: the floor: ``cv2.VideoCapture.read`` over every frame, nothing else.
- ``ethoflow``: :func:`ethoflow.face.process_video`, motion + movie SVD of the
  full frame, ``ncomps`` components each; once with the default sampling
  (every frame of a video this short enters the SVD) and once with
  ``svd_sampling="facemap"`` (Facemap's frames and means, for like-for-like traces).
- ``facemap``: ``facemap.process.run`` with the same ``sbin`` (Facemap fixes
  500 components), motion + movie SVD; only where a Python with Facemap 1.0.8
  is given or found (install it in its own venv: it needs numpy<2).

Then the leading motion-SVD traces of ethoflow and Facemap are compared per
component (Pearson correlation, sign-aligned). Targets: ethoflow at least 2x
Facemap's speed, within 1.5x of the decode floor, under 1 GB peak memory;
correlations of the top 5 components >= 0.99 and of the top 10 >= 0.95.
Skips (exit 0) when the video is absent.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import best_of, run_measured  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_VIDEO = HERE.parent.parent / "shared/data/dlc-openfield/videos/m3v1mp4.mp4"
DEFAULT_FACEMAP = Path("/opt/facemap-venv/bin/python")

DECODE = """
import cv2, sys
cap = cv2.VideoCapture(sys.argv[1]); n = 0
while True:
    ok, frame = cap.read()
    if not ok:
        break
    n += 1
print(n)
"""

ETHOFLOW = """
import sys
from ethoflow.face.params import FaceParams
from ethoflow.face.svd import process_video
from ethoflow.io.video import probe_video
video, out, sbin, ncomps, nframes, sampling = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
process_video(video, out, FaceParams(sbin=sbin, ncomps=ncomps, svd_sampling=sampling),
              nframes_expected=nframes)
"""


def correlations(ours: np.ndarray, theirs: np.ndarray, k: int) -> list[float]:
    """Sign-aligned Pearson correlation of component j of ``ours`` with component j of ``theirs``."""
    return [abs(float(np.corrcoef(ours[:, j], theirs[:, j])[0, 1])) for j in range(k)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--sbin", type=int, default=4)
    parser.add_argument("--ncomps", type=int, default=500)
    parser.add_argument("--facemap-python", type=Path, default=DEFAULT_FACEMAP)
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of decode and ethoflow; the fastest is reported (Facemap runs once)")
    args = parser.parse_args()
    if not args.video.exists():
        print(f"skipped: {args.video} not found")
        return 0
    import cv2

    from ethoflow.face.io import read_face
    from ethoflow.io.video import probe_video

    info = probe_video(args.video)
    n = info.nframes
    py = sys.executable
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        decode = best_of(args.repeats, [py, "-c", DECODE, str(args.video)])
        rows.append(("OpenCV decode (floor)", decode))
        ours_h5 = {}
        for sampling, ncomps in (("spread", 100), ("spread", args.ncomps), ("facemap", args.ncomps)):
            path = Path(tmp) / f"ethoflow-{sampling}-{ncomps}.h5"
            ours = best_of(args.repeats, [py, "-c", ETHOFLOW, str(args.video), str(path),
                                          str(args.sbin), str(ncomps), str(n), sampling])
            rows.append((f"ethoflow face, ncomps {ncomps}, {sampling} sampling", ours))
            if ncomps == args.ncomps:
                ours_h5[sampling] = path
        facemap = None
        if args.facemap_python.exists():
            runner = HERE / "_facemap_runner.py"
            fm_dir = Path(tmp) / "facemap"
            facemap = run_measured([str(args.facemap_python), str(runner), str(args.video),
                                    str(fm_dir), "--sbin", str(args.sbin), "--movsvd"])
            rows.append(("Facemap 1.0.8 process.run", facemap))

        print(f"video: {args.video.name}: {n} frames, {info.width}x{info.height}, "
              f"sbin {args.sbin}, motion + movie SVD, cv2 {cv2.__version__}\n")
        print("| run | wall (s) | frames/s | peak memory (MB) | x decode floor | x faster than Facemap |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, r in rows:
            vs_floor = r["wall_s"] / decode["wall_s"]
            vs_fm = f"{facemap['wall_s'] / r['wall_s']:.1f}" if facemap else "n/a"
            print(f"| {name} | {r['wall_s']:.2f} | {n / r['wall_s']:.0f} | {r['peak_mb']:.0f} | "
                  f"{vs_floor:.2f} | {vs_fm} |")

        if facemap:
            fm = np.load(fm_dir / "facemap_result.npz")
            print("\nleading SVD traces, |Pearson r| of ethoflow's component j with Facemap's "
                  "component j:")
            for sampling, path in ours_h5.items():
                res = read_face(path)
                for kind, key in (("motion", "motSVD"), ("movie", "movSVD")):
                    r = correlations(res[key]["full"], fm[key], 10)
                    print(f"- {sampling} sampling, {kind}: " + ", ".join(f"{v:.3f}" for v in r)
                          + f"  (top-5 min {min(r[:5]):.3f}, top-10 min {min(r):.3f})")
        else:
            print(f"\nFacemap not run: no {args.facemap_python} (see the module docstring)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
