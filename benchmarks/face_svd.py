"""Benchmark the face stage against bare OpenCV decoding and Facemap 1.0.8, in one run.

Usage::

    python benchmarks/face_svd.py [--video PATH] [--sbin 4] [--ncomps 500]
                                  [--facemap-python /opt/facemap-venv/bin/python]

Each contender runs in its own subprocess; its wall time and peak resident
memory (the whole process tree, sampled every 20 ms) are measured from outside.

- ``decode``: the floor: ``cv2.VideoCapture.read`` over every frame, nothing else.
- ``ethoflow``: :func:`ethoflow.face.process_video`, motion + movie SVD of the
  full frame, ``ncomps`` components each; with the default sampling (every frame of a
  video this short enters the SVD) and with ``svd_sampling="facemap"`` (Facemap's frames
  and means, for like-for-like traces); with ``grey`` ``facemap`` (the default: Facemap's
  grey levels) and ``luma`` (the luma plane as coded), for the cost of the conversion and
  the units (motion energy and average frame as a ratio to Facemap's).
- ``facemap``: ``facemap.process.run`` with the same ``sbin`` (Facemap fixes
  500 components), motion + movie SVD; only where a Python with Facemap 1.0.8
  is given or found (install it in its own venv: it needs numpy<2).

Then the leading motion-SVD traces of ethoflow and Facemap are compared per
component (Pearson correlation, sign-aligned), and ethoflow's ``_proc.npy`` (the whole frame
and one ROI) is opened and reprocessed by Facemap's own code
(``benchmarks/_facemap_proc_runner.py``), its traces compared with ethoflow's. Targets: ethoflow at least 2x
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
from _measure import best_of, run_measured

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
video, out, sbin, ncomps, nframes, sampling, grey = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
process_video(video, out, FaceParams(sbin=sbin, ncomps=ncomps, svd_sampling=sampling, grey=grey),
              nframes_expected=nframes)
"""

# one ROI (the frame's central quarter) besides the whole frame, then Facemap's _proc.npy
ETHOFLOW_PROC = """
import sys
from ethoflow.face.facemap_proc import write_facemap_proc
from ethoflow.face.params import ROI, FaceParams
from ethoflow.face.svd import process_video
video, out, proc, sbin, nframes, w, h = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
roi = ROI("centre", (w // 4, 3 * w // 4), (h // 4, 3 * h // 4))
process_video(video, out, FaceParams(sbin=sbin, ncomps=100, rois=(roi,)), nframes_expected=nframes)
write_facemap_proc(out, video, h, w, proc)
"""


def correlations(ours: np.ndarray, theirs: np.ndarray, k: int) -> list[float]:
    """Sign-aligned Pearson correlation of component j of ``ours`` with component j of ``theirs``."""
    return [abs(float(np.corrcoef(ours[:, j], theirs[:, j])[0, 1])) for j in range(k)]


def proc_check(args, py: str, n: int, info, tmp: Path) -> None:
    """ethoflow's _proc.npy (whole frame + one ROI) opened and reprocessed by Facemap's code."""
    import json
    import subprocess

    from ethoflow.face.io import read_face

    h5, proc = tmp / "proc.h5", tmp / f"{args.video.stem}_proc.npy"
    subprocess.run([py, "-c", ETHOFLOW_PROC, str(args.video), str(h5), str(proc), str(args.sbin),
                    str(n), str(info.width), str(info.height)], check=True)
    out = subprocess.run([str(args.facemap_python), str(HERE / "_facemap_proc_runner.py"),
                          str(proc), str(tmp / "fm_proc")], check=True, capture_output=True,
                         text=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    fm = np.load(tmp / "fm_proc" / "facemap_regions.npz")
    res = read_face(h5)
    print(f"\nethoflow's _proc.npy in Facemap 1.0.8: loaded with np.load(...).item(); layout "
          f"problems: {report['problems'] or 'none'}; process.run(proc=ours) reprocessed "
          f"{report['n_rois']} ROI + the whole frame at sbin {report['sbin']} "
          f"({report['wall_s']:.1f} s). Facemap's traces of the file's regions vs ethoflow's:")
    print("| region | motion energy ratio | motion r | motSVD top-5 |r| | movSVD top-5 |r| |")
    print("|---|---:|---:|---|---|")
    for i, name in enumerate(("full", "centre")):
        ours_m, theirs_m = res["motion"][name][1:], fm[f"motion_{i}"][1:]
        mot = correlations(res["motSVD"][name], fm[f"motSVD_{i}"], 5)
        mov = correlations(res["movSVD"][name], fm[f"movSVD_{i}"], 5)
        print(f"| {name} | {ours_m.mean() / theirs_m.mean():.3f} | "
              f"{np.corrcoef(ours_m, theirs_m)[0, 1]:.4f} | "
              f"{', '.join(f'{v:.3f}' for v in mot)} | {', '.join(f'{v:.3f}' for v in mov)} |")


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

    info = probe_video(args.video, frame_count_tolerance=2)  # as the workflow (discover)
    n = info.nframes
    py = sys.executable
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        decode = best_of(args.repeats, [py, "-c", DECODE, str(args.video)])
        rows.append(("OpenCV decode (floor)", decode))
        ours_h5 = {}
        grey_h5 = {}
        for sampling, ncomps, grey in (("spread", 100, "facemap"), ("spread", args.ncomps, "facemap"),
                                       ("facemap", args.ncomps, "facemap"),
                                       ("facemap", args.ncomps, "luma")):
            path = Path(tmp) / f"ethoflow-{sampling}-{ncomps}-{grey}.h5"
            ours = best_of(args.repeats, [py, "-c", ETHOFLOW, str(args.video), str(path),
                                          str(args.sbin), str(ncomps), str(n), sampling, grey])
            rows.append((f"ethoflow face, ncomps {ncomps}, {sampling} sampling, grey {grey}", ours))
            if ncomps == args.ncomps and grey == "facemap":
                ours_h5[sampling] = path
            if sampling == "facemap":
                grey_h5[grey] = path
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
            print("\nunits (face.grey): ethoflow / Facemap, whole frame (frames 1..n of the "
                  "motion energy):")
            for grey, path in grey_h5.items():
                res = read_face(path, keys=("motion",))
                ratio = res["motion"]["full"][1:].mean() / fm["motion"][1:].mean()
                frame = res["avgframe"].mean() / fm["avgframe"].mean()
                r = float(np.corrcoef(res["motion"]["full"][1:], fm["motion"][1:])[0, 1])
                print(f"- grey {grey}: motion energy x{ratio:.3f} (r {r:.4f}), avgframe x{frame:.3f}")
            print("\nleading SVD traces, |Pearson r| of ethoflow's component j with Facemap's "
                  "component j:")
            for sampling, path in ours_h5.items():
                res = read_face(path)
                for kind, key in (("motion", "motSVD"), ("movie", "movSVD")):
                    r = correlations(res[key]["full"], fm[key], 10)
                    print(f"- {sampling} sampling, {kind}: " + ", ".join(f"{v:.3f}" for v in r)
                          + f"  (top-5 min {min(r[:5]):.3f}, top-10 min {min(r):.3f})")
            proc_check(args, py, n, info, Path(tmp))
        else:
            print(f"\nFacemap not run: no {args.facemap_python} (see the module docstring)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
