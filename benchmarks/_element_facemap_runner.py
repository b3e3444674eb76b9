"""Run inside a venv with element-facemap (and its DataJoint): its own "load" task mode on an
ethoflow ``_proc.npy``, and a read of the tables ethoflow's DataJoint export wrote.

Called by ``benchmarks/datajoint_element.py`` (not by the test suite); the database comes from
DataJoint's environment variables. Writes a JSON report and an ``.npz`` of what it fetched.

Usage: python _element_facemap_runner.py ROOT VIDEO PROC_DIR OURS_PREFIX PREFIX OUT_JSON OUT_NPZ
"""

from __future__ import annotations

import json
import sys
import traceback
import types
from pathlib import Path

import datajoint as dj
import numpy as np

root, video, proc_dir, ours_prefix, prefix, out_json, out_npz = sys.argv[1:8]
report: dict = {"datajoint": dj.__version__}
arrays: dict = {}
major = int(dj.__version__.split(".")[0])
if major < 2:  # 0.14 with this PyMySQL insists on TLS, which the test server does not offer
    dj.config["database.use_tls"] = False


def fetch(table, *attrs, **kw):
    """DataJoint 0.14's fetch, or 2's to_arrays (fetch is deprecated there)."""
    return table.to_arrays(*attrs, **kw) if major >= 2 else table.fetch(*attrs, **kw)


def step(name, fn):
    try:
        report[name] = fn()
    except Exception as err:  # the report says what failed and how
        report[name] = {"error": f"{type(err).__name__}: {err}",
                        "where": traceback.format_exc().strip().splitlines()[-3:]}


def element_load_mode():
    from element_facemap import facial_behavior_estimation as fbe

    link = types.ModuleType("ethoflow_link")
    upstream = dj.Schema(f"{prefix}session")

    @upstream
    class Session(dj.Manual):
        definition = """
        session : varchar(64)
        """

    @upstream
    class Device(dj.Lookup):
        definition = """
        device : varchar(32)
        """
        contents = [("camera",)]

    link.Session, link.Device = Session, Device
    link.get_facemap_root_data_dir = lambda: [root]
    link.get_facemap_video_files = lambda key: [Path(root) / video]
    fbe.activate(f"{prefix}facemap", linking_module=link)
    key = {"session": "s1", "recording_id": 0}
    Session.insert1({"session": "s1"}, skip_duplicates=True)
    fbe.VideoRecording.insert1({**key, "device": "camera"}, skip_duplicates=True)
    fbe.VideoRecording.File.insert1({**key, "file_id": 0, "file_path": video},
                                    skip_duplicates=True)
    proc = np.load(next(Path(root, proc_dir).glob("*_proc.npy")), allow_pickle=True).item()
    fbe.FacemapTask.insert1({**key, "facemap_task_id": 0, "facemap_output_dir": proc_dir,
                             "task_mode": "load",
                             "facemap_params": {"sbin": proc["sbin"]}}, skip_duplicates=True)
    fbe.RecordingInfo.populate()
    for table in (fbe.FacemapProcessing, fbe.FacialSignal):
        table.populate()  # errors are raised (suppress_errors=False, both versions)
    names, motion = fetch(fbe.FacialSignal.Region, "roi_no", "motion", order_by="roi_no")
    for no, m in zip(names, motion):
        arrays[f"element_motion_{no}"] = np.asarray(m)
    proj = fetch(fbe.FacialSignal.MotionSVD & {"roi_no": 0}, "projection", order_by="pc_no")
    arrays["element_projection_roi0"] = np.stack([np.asarray(p) for p in proj])
    return {"rows": {"RecordingInfo": len(fbe.RecordingInfo()),
                     "FacialSignal.Region": len(fbe.FacialSignal.Region()),
                     "FacialSignal.MotionSVD": len(fbe.FacialSignal.MotionSVD()),
                     "FacialSignal.MovieSVD": len(fbe.FacialSignal.MovieSVD()),
                     "FacialSignal.Summary": len(fbe.FacialSignal.Summary())},
            "projection_shape_roi0": list(arrays["element_projection_roi0"].shape)}


def read_ethoflows_tables():
    facemap = dj.VirtualModule("facemap", f"{ours_prefix}facemap")
    names, motion = fetch(facemap.FacialSignal.Region, "roi_name", "motion", order_by="roi_no")
    for name, m in zip(names, motion):
        arrays[f"ours_motion_{name}"] = np.asarray(m)
    return {"regions": [str(n) for n in names],
            "motion_dtype": str(np.asarray(motion[0]).dtype)}


step("element_load_mode", element_load_mode)
step("read_ethoflow_tables", read_ethoflows_tables)
np.savez(out_npz, **arrays)
Path(out_json).write_text(json.dumps(report, indent=1, default=str))
