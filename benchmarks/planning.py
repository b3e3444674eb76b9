"""How long Snakemake takes to plan ethoflow over many sessions (`snakemake -n`).

Usage::

    python benchmarks/planning.py [--sizes 100 500 1000 2000]

For each N, a folder gets N sessions (symlinks to one tiny video) in a sample sheet, and
`snakemake -n` is timed twice:

- ``fresh``: nothing has run; the plan is every session's discovery plus the table
  (later stages wait on the discovery checkpoint).
- ``discovered``: discovery records and the sessions table exist; the plan is the whole
  pipeline after the checkpoint: per session face SVD, pose inference, filtering, plots,
  labelled video, embedding, motifs and their plots; once the pose network (one labelled
  folder), the VAE and the motif model; the summary.

Wall time and peak memory of the snakemake process are printed as a table. Target:
under 30 s for 1,000 sessions. The workflow's parse-time code must not open any video.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_measured  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def make_project(folder: Path, n: int) -> None:
    import cv2
    import numpy as np

    from ethoflow.sessions.discover import discover_session
    from ethoflow.sessions.sources import Session

    (folder / "videos").mkdir(parents=True)
    real = folder / "videos" / "real.mp4"
    writer = cv2.VideoWriter(str(real), cv2.VideoWriter_fourcc(*"mp4v"), 30, (64, 48))
    rng = np.random.default_rng(0)
    for _ in range(20):
        writer.write(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    writer.release()
    rows = ["session\tvideo"]
    for i in range(n):
        link = folder / "videos" / f"s{i:05d}.mp4"
        link.symlink_to(real)
        rows.append(f"s{i:05d}\tvideos/s{i:05d}.mp4")
    (folder / "sessions.tsv").write_text("\n".join(rows) + "\n")
    # one labelled folder puts the pose, embedding and motif stages in the plan (nothing reads
    # the file while planning)
    labelled = folder / "pose-project" / "labeled-data" / "s00000"
    labelled.mkdir(parents=True)
    (labelled / "CollectedData_bench.csv").write_text("")
    config = {"demo": {"enabled": False}, "videos": {"sheet": "sessions.tsv"}}
    (folder / "config").mkdir()
    (folder / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    # one real record, to copy for every session in the "discovered" state
    template = discover_session(Session("s00000", str(real)), folder / "template.json")
    (folder / "template.json").unlink()
    (folder / "_template").write_text(json.dumps(template))


def fake_discovery(folder: Path, n: int) -> None:
    from ethoflow.sessions.discover import sessions_table

    template = json.loads((folder / "_template").read_text())
    out = folder / "results" / "discover"
    out.mkdir(parents=True)
    records = []
    for i in range(n):
        rec = dict(template, session=f"s{i:05d}")
        rec["video"] = dict(template["video"], path=f"videos/s{i:05d}.mp4")
        path = out / f"s{i:05d}.json"
        path.write_text(json.dumps(rec))
        records.append(path)
    sessions_table(records, out / "sessions.tsv")


def plan(folder: Path) -> dict:
    cmd = [sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "-s",
           str(REPO / "Snakefile"), "-d", str(folder), "--cores", "2"]
    return run_measured(cmd, cwd=str(folder))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000, 2000])
    args = parser.parse_args()
    print("| sessions | state | jobs planned | wall (s) | peak memory (MB) |")
    print("|---:|---|---:|---:|---:|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            make_project(folder, n)
            for state in ("fresh", "discovered"):
                if state == "discovered":
                    fake_discovery(folder, n)
                r = plan(folder)
                jobs = _total_jobs(r["stdout"])
                print(f"| {n} | {state} | {jobs} | {r['wall_s']:.1f} | {r['peak_mb']:.0f} |",
                      flush=True)
    return 0


def _total_jobs(output: str) -> str:
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "total" and parts[1].isdigit():
            return parts[1]
    return "?"


if __name__ == "__main__":
    sys.exit(main())
