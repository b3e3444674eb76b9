"""Run Facemap 1.0.8's ``process.run`` on one video; executed by ``benchmarks/face_svd.py``.

This file runs inside Facemap's own virtual environment (Facemap needs numpy<2), so it
imports only Facemap, numpy and the standard library:

    /opt/facemap-venv/bin/python benchmarks/_facemap_runner.py VIDEO OUTDIR --sbin 4 [--movsvd]

It saves the arrays the benchmark compares, plus ``wall_s`` (wall time of ``process.run`` in
seconds), to ``OUTDIR/facemap_result.npz`` and prints one JSON line with that time and path.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
from facemap import process


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("video")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--sbin", type=int, default=4)
    parser.add_argument("--movsvd", action="store_true")
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    tic = time.perf_counter()
    saved = process.run([[args.video]], sbin=args.sbin, motSVD=True, movSVD=args.movsvd,
                        savepath=str(args.outdir))
    wall = time.perf_counter() - tic
    proc = np.load(saved, allow_pickle=True).item()
    arrays = {
        "motSVD": proc["motSVD"][0], "motMask": proc["motMask"][0], "motSv": proc["motSv"],
        "motion": proc["motion"][0], "avgframe": proc["avgframe"][0],
        "avgmotion": proc["avgmotion"][0],
    }
    if args.movsvd:
        arrays.update(movSVD=proc["movSVD"][0], movMask=proc["movMask"][0], movSv=proc["movSv"])
    out = args.outdir / "facemap_result.npz"
    np.savez(out, wall_s=np.float64(wall), **arrays)
    print(json.dumps({"wall_s": wall, "result": str(out)}))


if __name__ == "__main__":
    main()
