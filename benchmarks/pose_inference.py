"""Pose inference throughput on the open-field video, against the bare-decode floor.

Usage::

    python benchmarks/pose_inference.py --model A/model.pt [B/model.pt ...] [--frames 600]
                                        [--batch 1 8 16] [--downsample 1 2] [--long]

The first ``--frames`` frames of ``m3v1mp4.mp4`` (640x480) are cut into a clip, then for
each model (backbone), batch size and downsampling factor (0 = the factor the network was
trained with) :func:`ethoflow.pose.inference.analyze_video` runs in its own process; wall time
(including loading the model), frames/s and peak memory of the process tree are printed with
the decode floor (``cv2.VideoCapture.read``) of the same clip. ``--long`` also analyses the
whole video with batch 8, to show that memory does not grow with the video's length.
Reference (issue 3): DeepLabCut 3.0.2, PyTorch engine, ResNet-50, batch 8, about 2.3 frames/s
and about 5 GB on a 2-core machine like this one. Where DeepLabCut is installed in its own
venv (``--dlc-python``, default ``/opt/dlc-venv/bin/python``; set-up in
``benchmarks/_dlc_runner.py``), it analyses the same clip at batch 8 in the same run and the
ratio column uses its measured frames/s (its time counts ``analyze_videos`` only, not its
~11 s import; ours counts the whole process). Skips when the video is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import best_of, run_measured  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_VIDEO = HERE.parent.parent / "shared/data/dlc-openfield/videos/m3v1mp4.mp4"
DLC_CPU_FPS = 2.3
DEFAULT_DLC = Path("/opt/dlc-venv/bin/python")

DECODE = """
import cv2, sys
cap = cv2.VideoCapture(sys.argv[1])
while cap.read()[0]:
    pass
"""

ANALYZE = """
import sys
from ethoflow.pose.inference import analyze_video
from ethoflow.pose.network import load_model
model, video, out, batch, down = sys.argv[1:6]
net, bodyparts = load_model(model, "cpu")
analyze_video(net, bodyparts, video, out, "ethoflow", batch_size=int(batch),
              downsample=float(down) or None)
"""


def cut_clip(video: Path, out: Path, frames: int) -> int:
    import cv2

    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    n = 0
    while n < frames:
        ok, frame = cap.read()
        if not ok:
            break
        writer.write(frame)
        n += 1
    writer.release()
    return n


def run_dlc(python: Path, clip: Path, tmp: Path) -> dict:
    """DeepLabCut's ``analyze_videos`` on ``clip`` (batch 8) in its own venv: frames, analysis
    time and frames/s from the runner, peak memory of its process."""
    runner = [str(python), str(HERE / "_dlc_runner.py")]
    project = tmp / "dlc-project"
    run_measured([*runner, "--setup", "--project", str(project)])
    r = run_measured([*runner, str(clip), str(tmp / "dlc-out"), "--batch", "8",
                      "--project", str(project)])
    line = next(x for x in r["stdout"].splitlines() if x.startswith('{"wall_s"'))
    return {**json.loads(line), "peak_mb": r["peak_mb"]}


def describe(model: Path) -> str:
    import torch

    state = torch.load(model, map_location="cpu", weights_only=False)
    p = state["params"]
    return (f"{state.get('backbone', 'small')}{' (pretrained)' if p.get('pretrained') else ''}, "
            f"trained at 1/{p.get('downsample', 1.0):g}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, nargs="+", required=True)
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument("--downsample", type=float, nargs="+", default=[0.0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--long", action="store_true")
    parser.add_argument("--dlc-python", type=Path, default=DEFAULT_DLC)
    args = parser.parse_args()
    if not args.video.exists():
        print(f"skipped: {args.video} not found")
        return 0
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.mp4"
        n = cut_clip(args.video, clip, args.frames)
        floor = best_of(3, [py, "-c", DECODE, str(clip)])
        print(f"clip: first {n} frames of {args.video.name}\n")
        dlc = run_dlc(args.dlc_python, clip, Path(tmp)) if args.dlc_python.exists() else None
        dlc_fps = dlc["fps"] if dlc else DLC_CPU_FPS
        ref = "measured here" if dlc else "the issue's 2.3 f/s"
        print(f"| model | frames | batch | downsample | wall (s) | frames/s | x DLC 3.0.2 CPU ({ref}) "
              "| peak memory (MB) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| OpenCV decode (floor) | {n} | | | {floor['wall_s']:.2f} | {n / floor['wall_s']:.0f} | | "
              f"{floor['peak_mb']:.0f} |")
        if dlc:
            print(f"| DeepLabCut 3.0.2 ResNet-50 (untrained weights) | {dlc['frames']} | 8 | | "
                  f"{dlc['wall_s']:.2f} | {dlc['fps']:.2f} | 1.0 | {dlc['peak_mb']:.0f} |", flush=True)
        runs = [(m, clip, n, d, b) for m in args.model for d in args.downsample for b in args.batch]
        if args.long:
            import cv2

            total = int(cv2.VideoCapture(str(args.video)).get(cv2.CAP_PROP_FRAME_COUNT))
            runs += [(m, args.video, total, 0.0, 8) for m in args.model]
        for model, video, frames, down, batch in runs:
            r = best_of(args.repeats, [py, "-c", ANALYZE, str(model), str(video),
                                       str(Path(tmp) / "out.h5"), str(batch), str(down)])
            fps = frames / r["wall_s"]
            print(f"| {describe(model)} | {frames} | {batch} | {down or 'as trained'} | "
                  f"{r['wall_s']:.2f} | {fps:.1f} | {fps / dlc_fps:.1f} | {r['peak_mb']:.0f} |",
                  flush=True)
    if not args.dlc_python.exists():
        print(f"\nDeepLabCut not run: no {args.dlc_python} (see benchmarks/_dlc_runner.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
