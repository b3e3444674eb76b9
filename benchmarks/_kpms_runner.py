"""keypoint-MoSeq 0.8.1's own calibration code on ethoflow's inputs; run by
``benchmarks/calibration.py --kpms-python``, inside keypoint-MoSeq's virtual environment (so it
imports only keypoint-MoSeq, jax-moseq, NumPy and the standard library).

    _kpms_runner.py IN.npz OUT.json WORKDIR

IN.npz holds ``pose_<session>`` confidence arrays (n_frames, n_bodyparts), ``bodyparts``, ``num_bins``,
``num_samples``, ``pseudocount``, ``seed``, the annotated points' ``point_conf`` and
``point_error``, the fitted ``slope``, ``intercept``, ``conf_threshold`` and a confidence grid
``grid``. OUT.json gets:

- ``bin_counts``: triples per log-spaced bin (its own bins) drawn by ``keypoint_moseq.
  calibration.sample_error_frames`` (NumPy's global generator seeded with ``seed`` first;
  keypoint-MoSeq never seeds it), on the confidences + pseudocount as ``noise_calibration``
  passes them (it adds the pseudocount again);
- ``polyfit``: slope and intercept of the widget's own fit (``np.polyfit(log10(conf),
  log10(error + 1), 1)`` on the confidences + pseudocount) on the same points;
- ``estimate_error``: ``jax_moseq.models.keypoint_slds.initialize.estimate_error`` on the grid;
- ``config``: ``error_estimator`` and ``conf_threshold`` of a keypoint-MoSeq project after
  ``update_config(project, slope=..., intercept=..., conf_threshold=...)`` (what
  ``save_params`` calls), read back with ``load_config``.

Venv (once, PyPI only): python3.11 -m venv /opt/kpms-venv &&
/opt/kpms-venv/bin/pip install keypoint-moseq==0.8.1
"""

import json
import os
import sys

import numpy as np


def main() -> None:
    import keypoint_moseq as kpms
    from jax_moseq.models.keypoint_slds.initialize import estimate_error
    from keypoint_moseq.calibration import sample_error_frames

    data = np.load(sys.argv[1])
    out_json, workdir = sys.argv[2], sys.argv[3]
    bodyparts = [str(b) for b in data["bodyparts"]]
    pc = float(data["pseudocount"])
    confs = {k[5:]: data[k] for k in data.files if k.startswith("pose_")}
    np.random.seed(int(data["seed"]))
    # noise_calibration adds the pseudocount, then sample_error_frames adds it again
    keys = sample_error_frames({k: v + pc for k, v in confs.items()}, bodyparts, bodyparts,
                               int(data["num_bins"]), int(data["num_samples"]), pc)
    # its bins, on what it binned (the pseudocount twice)
    every = np.concatenate([v.ravel() for v in confs.values()]) + 2 * pc
    edges = np.logspace(np.log10(every.min()), np.log10(every.max()), int(data["num_bins"]) + 1)
    sampled = np.array([confs[s][t, bodyparts.index(b)] for s, t, b in keys]) + 2 * pc
    slope, intercept = np.polyfit(np.log10(data["point_conf"] + pc), np.log10(data["point_error"] + 1), 1)
    project = os.path.join(workdir, "kpms_project")
    kpms.setup_project(project, overwrite=True, bodyparts=bodyparts, use_bodyparts=bodyparts,
                       anterior_bodyparts=bodyparts[:1], posterior_bodyparts=bodyparts[-1:])
    kpms.update_config(project, slope=float(data["slope"]), intercept=float(data["intercept"]),
                       conf_threshold=float(data["conf_threshold"]))
    config = kpms.load_config(project, check_if_valid=False, build_indexes=False)
    result = {
        "n_sampled": len(keys),
        "bin_counts": np.histogram(sampled, edges)[0].tolist(),
        "bin_available": np.histogram(every, edges)[0].tolist(),
        "polyfit": [float(slope), float(intercept)],
        "estimate_error": np.asarray(estimate_error(data["grid"], float(data["slope"]),
                                                    float(data["intercept"]))).tolist(),
        "config": {"error_estimator": config["error_estimator"], "conf_threshold": config["conf_threshold"]},
        "version": kpms.__version__,
    }
    with open(out_json, "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main()
