"""Open ethoflow's ``_proc.npy`` with Facemap 1.0.8's own code; run by ``benchmarks/face_svd.py``.

Runs inside Facemap's venv (numpy<2), importing only Facemap, numpy and the standard library:

    /opt/facemap-venv/bin/python benchmarks/_facemap_proc_runner.py PROC_NPY OUTDIR

1. Loads the file as Facemap's GUI and element-facemap do (``np.load(...,
   allow_pickle=True).item()``) and checks the layout their readers index: ``filenames``,
   ``rois`` (``rind``, ``rtype``, ``ivid``, ``yrange``, ``xrange``, ``saturation``,
   ``ellipse``, ``yrange_bin``, ``xrange_bin``), ``motion[i + 1]``, ``motSVD[i + 1]``,
   ``motMask_reshape[i + 1]``, ``avgframe[0]``, ``sbin``.
2. Hands the dict to ``facemap.process.run(filenames, proc=proc)``, which reprocesses the video
   with the file's ``sbin``, ``fullSVD`` and ROIs, and saves Facemap's own results of those
   regions to ``OUTDIR/facemap_regions.npz`` (motion and motion SVD per region, whole frame
   first) for the benchmark to compare with ethoflow's.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from facemap import process

ROI_KEYS = ("rind", "rtype", "ivid", "yrange", "xrange", "saturation", "ellipse",
            "yrange_bin", "xrange_bin")


def main() -> None:
    path, outdir = sys.argv[1], Path(sys.argv[2])
    outdir.mkdir(parents=True, exist_ok=True)
    proc = np.load(path, allow_pickle=True).item()
    rois = proc["rois"]
    problems = [f"roi {i} lacks {k}" for i, r in enumerate(rois) for k in ROI_KEYS if k not in r]
    n = len(rois)
    for key in ("motion", "motSVD", "motMask_reshape", "movSVD", "movMask_reshape"):
        if len(proc[key]) != n + 1:
            problems.append(f"{key} has {len(proc[key])} entries for {n} ROIs + the whole frame")
    for i, r in enumerate(rois):
        ly, lx = r["yrange_bin"].size, r["xrange_bin"].size
        if proc["motMask_reshape"][i + 1].shape[:2] != (ly, lx):
            problems.append(f"roi {i}: mask {proc['motMask_reshape'][i + 1].shape} vs bins {(ly, lx)}")
    mine = dict(proc)
    mine["savepath"] = str(outdir)
    tic = time.perf_counter()
    saved = process.run(proc["filenames"], motSVD=True, movSVD=True, proc=mine, savepath=str(outdir))
    wall = time.perf_counter() - tic
    theirs = np.load(saved, allow_pickle=True).item()
    arrays = {}
    for i in range(n + 1):
        arrays[f"motion_{i}"] = theirs["motion"][i]
        arrays[f"motSVD_{i}"] = theirs["motSVD"][i]
        arrays[f"movSVD_{i}"] = theirs["movSVD"][i]
    arrays["avgframe"] = theirs["avgframe"][0]
    np.savez(outdir / "facemap_regions.npz", **arrays)
    print(json.dumps({"problems": problems, "n_rois": n, "sbin": int(proc["sbin"]),
                      "keys": sorted(proc), "wall_s": wall}))


if __name__ == "__main__":
    main()
