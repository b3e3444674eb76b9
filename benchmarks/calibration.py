"""The calibration stage side by side with keypoint-MoSeq 0.8.1, and its demo numbers.

    python benchmarks/calibration.py RUN_DIR [--kpms-python /opt/kpms-venv/bin/python]

RUN_DIR is a finished ethoflow run (the demo's, or the open-field example's: anything with
``results/calibration/``). Printed:

1. The fitted line (``calibration.yaml``): slope, intercept, threshold, points per source, R².
2. Where keypoint-MoSeq's venv exists (``benchmarks/_kpms_runner.py`` says how to make it),
   keypoint-MoSeq's own code on the same inputs: its ``sample_error_frames`` on the run's
   pose confidences (triples per confidence bin, against ethoflow's sampler, seeded alike),
   its widget's fit on the run's annotated points (slope, intercept), jax-moseq's
   ``estimate_error`` noise prior against ``ethoflow.calibration.fit.kpms_noise_prior``, and
   the project config after ``update_config(**kpms_config_patch.yml)``.
3. On the demo: ``demo_check.tsv`` (error against the truth: raw, median, savgol, kalman,
   calibrated) and ``demo_fit.tsv`` (the annotated line against the oracle line).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ethoflow.calibration.fit import fit_line, kpms_noise_prior
from ethoflow.calibration.sampling import sample_error_frames
from ethoflow.io.dlc import pose_arrays, read_pose_table

DEFAULT_KPMS = Path("/opt/kpms-venv/bin/python")


def table(df: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--kpms-python", type=Path, default=DEFAULT_KPMS)
    args = parser.parse_args()
    cal = args.run / "results/calibration"
    if not (cal / "calibration.yaml").exists():
        print(f"skipped: {cal}/calibration.yaml not found (run the workflow first)")
        return 0
    fit = yaml.safe_load((cal / "calibration.yaml").read_text())
    points = pd.read_csv(cal / "points.csv", comment="#")
    print("## The fit (calibration.yaml)\n")
    print(table(pd.DataFrame([{k: fit[k] for k in ("slope", "intercept", "conf_threshold", "threshold_source",
                                                  "n_points", "r2")} | {"sources": json.dumps(fit["sources"])}])))
    samples = pd.read_csv(cal / "samples.tsv", sep="\t", comment="#")
    sessions = sorted(set(samples["key"]))
    confs, parts = {}, None
    for s in sorted(p.stem for p in (args.run / "results/pose").glob("*.h5")
                    if not p.stem.endswith(("_filtered", "_calibrated"))):
        parts, _, lik = pose_arrays(read_pose_table(args.run / f"results/pose/{s}.h5"))
        confs[s] = lik
    pc, nb, ns, seed = fit["conf_pseudocount"], 10, 100, 0  # keypoint-MoSeq's defaults
    if args.kpms_python.exists():
        ours = sample_error_frames(confs, parts, num_bins=nb, num_samples=ns, conf_pseudocount=pc, seed=seed)
        every = np.concatenate([v.ravel() for v in confs.values()]) + pc
        edges = np.logspace(np.log10(np.nanmin(every)), np.log10(np.nanmax(every)), nb + 1)
        our_counts = np.histogram([confs[s][t, parts.index(b)] + pc for s, t, b in ours], edges)[0]
        line = fit_line(points["confidence"], points["error_px"], pc)
        grid = np.array([0.001, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 1.0])
        with tempfile.TemporaryDirectory() as tmp:
            npz = Path(tmp) / "in.npz"
            np.savez(npz, bodyparts=np.array(parts), num_bins=nb, num_samples=ns, pseudocount=pc, seed=seed,
                     point_conf=points["confidence"].to_numpy(), point_error=points["error_px"].to_numpy(),
                     slope=fit["slope"], intercept=fit["intercept"], conf_threshold=fit["conf_threshold"],
                     grid=grid, **{f"pose_{k}": v for k, v in confs.items()})
            proc = subprocess.run([str(args.kpms_python), str(Path(__file__).parent / "_kpms_runner.py"),
                                   str(npz), str(Path(tmp) / "out.json"), tmp], capture_output=True, text=True,
                                  check=False)
            if proc.returncode:
                print(proc.stderr[-3000:], file=sys.stderr)
                return 1
            theirs = json.loads((Path(tmp) / "out.json").read_text())
        print(f"\n## Side by side with keypoint-MoSeq {theirs['version']} (its own code, same inputs)\n")
        print(f"sampler, triples per confidence bin ({ns} asked, {nb} bins, sessions {', '.join(confs)}):")
        print("(keypoint-MoSeq bins conf + 2 x pseudocount: its noise_calibration adds it before "
              "sample_error_frames adds it again; ethoflow adds it once)")
        print(table(pd.DataFrame({"bin": range(nb), "available": np.histogram(every, edges)[0],
                                  "ethoflow": our_counts,
                                  "available (its bins)": theirs["bin_available"],
                                  "keypoint-MoSeq": theirs["bin_counts"]})))
        print("\nfit on the same annotated points:")
        print(table(pd.DataFrame([{"": "ethoflow fit_line", "slope": line.slope, "intercept": line.intercept},
                                  {"": "keypoint-MoSeq widget polyfit", "slope": theirs["polyfit"][0],
                                   "intercept": theirs["polyfit"][1]}])))
        prior = kpms_noise_prior(grid, fit["slope"], fit["intercept"])
        print("\nnoise prior s0 (px^2) at confidences", grid.tolist())
        print(table(pd.DataFrame({"conf": grid, "ethoflow kpms_noise_prior": prior,
                                  "jax-moseq estimate_error": theirs["estimate_error"],
                                  "rel. diff": np.abs(prior / np.array(theirs["estimate_error"]) - 1)})))
        print("\nkeypoint-MoSeq project config after update_config(**kpms_config_patch.yml):",
              json.dumps(theirs["config"]))
        print("ours:", json.dumps({"slope": fit["slope"], "intercept": fit["intercept"],
                                   "conf_threshold": fit["conf_threshold"]}))
    else:
        print(f"\n(keypoint-MoSeq side by side skipped: {args.kpms_python} not found)")
    if (cal / "demo_check.tsv").exists():
        print("\n## Demo: mean error against the true keypoints (px)\n")
        print(table(pd.read_csv(cal / "demo_check.tsv", sep="\t", comment="#")))
        print("\n## Demo: the annotated line against the oracle line (every frame's true error)\n")
        print(table(pd.read_csv(cal / "demo_fit.tsv", sep="\t", comment="#")))
    print(f"\nsessions sampled: {', '.join(sessions)}; points: {len(points)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
