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
4. With ``--round-trip`` (the demo, where Debian's chromium is installed): the annotation page
   driven in headless Chromium by a perfect annotator, who clicks each sampled bodypart's true
   location (on the crop, or on the whole frame where it lies outside the crop); the
   downloaded ``error_annotations.csv`` read back and fitted, against the points of the
   ``truth`` source (the same triples, exact truth). Screenshots go to ``--shots``.
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
    parser.add_argument("--round-trip", action="store_true", help="drive the annotation page (demo)")
    parser.add_argument("--shots", type=Path, default=Path("calibration-shots"))
    args = parser.parse_args()
    cal = args.run / "results/calibration"
    if not (cal / "calibration.yaml").exists():
        print(f"skipped: {cal}/calibration.yaml not found (run the workflow first)")
        return 0
    fit = yaml.safe_load((cal / "calibration.yaml").read_text())
    points = pd.read_csv(cal / "points.csv", comment="#", dtype={"key": str, "bodypart": str})
    print("## The fit (calibration.yaml)\n")
    print(table(pd.DataFrame([{k: fit[k] for k in ("slope", "intercept", "conf_threshold", "threshold_source",
                                                  "n_points", "r2")} | {"sources": json.dumps(fit["sources"])}])))
    samples = pd.read_csv(cal / "samples.tsv", sep="\t", comment="#", dtype={"key": str})
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
    if args.round_trip:
        round_trip(args.run, points, fit, args.shots)
    return 0


def round_trip(run: Path, points: pd.DataFrame, fit: dict, shots: Path) -> None:
    """Click every sample's true location on the page, download, read back and fit."""
    import time

    from selenium import webdriver
    from selenium.webdriver.common.action_chains import ActionChains

    from ethoflow.calibration.annotations import read_annotations
    from ethoflow.calibration.fit import fit_error_model

    cal = run / "results/calibration"
    index = pd.read_csv(cal / "samples/index.tsv", sep="\t", comment="#", dtype={"key": str, "bodypart": str})
    truth = {}
    for s in sorted(set(index["key"])):
        parts, xy, _ = pose_arrays(read_pose_table(run / f"demo/truth/{s}_pose.h5"))
        truth[s] = (parts, xy)
    shots.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1300,820",
                 f"--user-data-dir={shots / 'profile'}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(shots)})
    driver = webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(shots)})
    csv = shots / "error_annotations.csv"
    csv.unlink(missing_ok=True)
    tic = time.perf_counter()
    try:
        driver.get((cal / "annotate.html").resolve().as_uri())
        crop, frame = driver.find_element("id", "crop"), driver.find_element("id", "frame")
        for i, r in enumerate(index.itertuples(index=False)):
            parts, xy = truth[r.key]
            x, y = xy[r.video_frame_index, parts.index(r.bodypart)]
            zoom = 3  # the page's starting zoom: the crop's 160 px fill the 480-px canvas
            cx, cy = (x - r.crop_x0 + 0.5) * zoom, (y - r.crop_y0 + 0.5) * zoom
            if 0 <= cx < crop.size["width"] - 2 and 0 <= cy < crop.size["height"] - 2:
                ActionChains(driver).move_to_element_with_offset(
                    crop, cx - crop.size["width"] / 2 + 1, cy - crop.size["height"] / 2 + 1).click().perform()
            else:
                fx, fy = (x + 0.5) * r.frame_scale, (y + 0.5) * r.frame_scale
                ActionChains(driver).move_to_element_with_offset(
                    frame, fx - frame.size["width"] / 2 + 1, fy - frame.size["height"] / 2 + 1).click().perform()
            if i == 0:
                driver.save_screenshot(str(shots / "page-first-sample.png"))
            driver.find_element("id", "next").click()
        driver.save_screenshot(str(shots / "page-done.png"))
        driver.find_element("id", "download").click()
        deadline = time.monotonic() + 10
        while not csv.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        driver.quit()
    clicking_s = time.perf_counter() - tic
    poses = {}
    for s in truth:
        parts, xy, lik = pose_arrays(read_pose_table(run / f"results/pose/{s}.h5"))
        poses[s] = (parts, xy, lik)
    clicked, hidden = read_annotations(csv, poses)
    exact = points[points["source"] == "truth"]
    merged = clicked.merge(exact, on=["key", "coordinate_index", "bodypart"], suffixes=("", "_truth"))
    a = fit_error_model(clicked, fit["conf_pseudocount"], min_points=3)
    b = fit_error_model(exact, fit["conf_pseudocount"], min_points=3)
    print(f"\n## Round trip: {len(clicked)} clicks on the page ({clicking_s:.0f} s), {hidden} not visible\n")
    print(f"click vs true location: max {np.abs(merged['x'] - merged['x_truth']).max():.2f} px in x, "
          f"{np.abs(merged['y'] - merged['y_truth']).max():.2f} px in y")
    print(table(pd.DataFrame([
        {"points": "clicked on the page", "n": a.line.n, "slope": a.line.slope, "intercept": a.line.intercept},
        {"points": "truth source (exact)", "n": b.line.n, "slope": b.line.slope, "intercept": b.line.intercept}])))


if __name__ == "__main__":
    sys.exit(main())
