"""element-facemap and ethoflow's DataJoint export, side by side on one real MariaDB.

    python benchmarks/datajoint_element.py --run RUN [--session S] [--venv PYTHON ...]

RUN is a finished ethoflow run with ``face.facemap_proc`` on (``results/face/<S>_proc.npy``),
e.g. the demo. A MariaDB server is started for the check (``tests/mariadb_server.py``: Debian's
``mariadb-server``) and removed after. Then:

1. ethoflow (this environment's DataJoint) ingests the session into ``ours_*``, timed;
2. in each element venv (element-facemap 0.1.7 with a DataJoint of its own; set them up as
   below), ``_element_facemap_runner.py`` runs element-facemap's own "load" task mode on
   ethoflow's ``_proc.npy`` (its ``FacemapProcessing`` and ``FacialSignal.populate``), and
   reads ethoflow's tables with that DataJoint.

It prints, per venv, whether each step worked, the rows element-facemap made, and how its
values compare with ethoflow's HDF5 (motion energy per region; the motion-SVD projections).

Venvs (kept out of CI)::

    python -m venv /opt/element-venv      # DataJoint 0.14, what element-facemap was written for
    /opt/element-venv/bin/pip install element-facemap==0.1.7 datajoint==0.14.10
    python -m venv /opt/element-venv2     # the current DataJoint
    /opt/element-venv2/bin/pip install datajoint==2.3.5 opencv-python-headless h5py
    /opt/element-venv2/bin/pip install --no-deps element-facemap==0.1.7 element-interface
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import mariadb_server  # noqa: E402

DEFAULT_VENVS = [Path("/opt/element-venv/bin/python"), Path("/opt/element-venv2/bin/python")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--session", default="demo01")
    parser.add_argument("--venv", type=Path, action="append",
                        help="a Python with element-facemap (repeatable)")
    args = parser.parse_args()
    run, s = args.run.resolve(), args.session
    venvs = [v for v in (args.venv or DEFAULT_VENVS) if v.exists()]
    proc = run / "results" / "face" / f"{s}_proc.npy"
    if not proc.exists():
        sys.exit(f"{proc} not found: run the workflow with face.facemap_proc: true")
    record = json.loads((run / "results" / "discover" / f"{s}.json").read_text())
    face_video = (record.get("face_video") or record["video"])["path"]

    why_not = mariadb_server.available()
    if why_not:
        sys.exit(why_not)
    server = mariadb_server.start()
    os.environ.update(server.env())
    import datajoint as dj

    from ethoflow.datajoint import connect, declare, ingest_session, session_rows
    from ethoflow.face.io import read_face

    dj.config["database.password"] = server.password
    try:
        os.chdir(run)
        inputs = {"record": f"results/discover/{s}.json", "face": f"results/face/{s}.h5"}
        config = {"export": {"nwb": {"metadata": {}}}, "pose": {"bodyparts": []}}
        started = time.perf_counter()
        rows = session_rows(s, inputs, config)
        conn = connect({})
        counts = ingest_session(declare(conn, "ours_"), s, rows)
        ours_s = time.perf_counter() - started
        face = read_face(run / "results" / "face" / f"{s}.h5")
        rois = [r["name"] for r in face["rois"] if r["name"] != "full"]
        print(f"ethoflow (DataJoint {dj.__version__}): {sum(counts.values())} rows in "
              f"{ours_s:.2f} s: {counts}")
        table = []
        for python in venvs:
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                (root / "face").mkdir()
                shutil.copy2(proc, root / "face" / proc.name)
                (root / "video.mp4").symlink_to(run / face_video)
                prefix = f"el{len(table)}_"
                subprocess.run([str(python), str(REPO / "benchmarks/_element_facemap_runner.py"),
                                str(root), "video.mp4", "face", "ours_", prefix,
                                str(root / "report.json"), str(root / "arrays.npz")],
                               # DataJoint 0.14 reads no DJ_PORT: the port goes in the host
                               check=True, env={**os.environ,
                                                "DJ_HOST": f"{server.host}:{server.port}"})
                report = json.loads((root / "report.json").read_text())
                arrays = dict(np.load(root / "arrays.npz"))
            table.append((python, report, arrays))
        for python, report, arrays in table:
            print(f"\n== {python} (DataJoint {report['datajoint']})")
            load = report["element_load_mode"]
            if "error" in load:
                print(f"element-facemap load mode: FAILED {load['error']}")
            else:
                print(f"element-facemap load mode on ethoflow's _proc.npy: rows {load['rows']}")
                for i, name in enumerate(rois):
                    got = arrays[f"element_motion_{i}"]
                    print(f"  Region roi_no {i} ({name}): motion max |diff| vs ethoflow's HDF5 "
                          f"{np.max(np.abs(got - face['motion'][name])):.3g} "
                          f"({len(got)} frames)")
                proj = arrays["element_projection_roi0"]
                ours = face["motSVD"][rois[0]]
                as_rows = np.allclose(proj, ours[: proj.shape[0]], atol=1e-4)
                print(f"  MotionSVD roi 0: {proj.shape[0]} rows, projection length "
                      f"{proj.shape[1]} (the session has {ours.shape[0]} frames); equal to "
                      f"motSVD[frame pc_no] (a frame's row, not a component's trace): {as_rows}")
            read = report["read_ethoflow_tables"]
            if "error" in read:
                print(f"reading ethoflow's tables: FAILED {read['error']}")
            else:
                diffs = {n: float(np.max(np.abs(arrays[f"ours_motion_{n}"] - face["motion"][n])))
                         for n in read["regions"]}
                print(f"reading ethoflow's tables: regions {read['regions']}, motion max |diff| "
                      f"vs HDF5 {max(diffs.values()):.3g}")
    finally:
        mariadb_server.stop(server.folder)


if __name__ == "__main__":
    main()
