"""What one cluster job's re-parse of the workflow costs at 1,000 sessions.

Usage::

    python benchmarks/job_parse.py [--sessions 1000] [--repo PATH]

Every SLURM job starts ``python -m snakemake --target-jobs <its job> --mode remote ...``,
which parses the whole workflow again before running its one job. This builds a project of
N sessions (symlinks to one tiny video) given either by a sample sheet or by a recursive
``**`` glob, with one labelled folder, runs the main process once (a dry run: it plans the
run and, from this version on, saves the plan for the jobs), and then runs one job's
re-parse as the SLURM executor would (``--mode remote``, the job's ``--target-jobs`` and
``--allowed-rules``, as a dry run so that only the parse and the job's DAG are timed).

Printed per source: wall time of the job's re-parse, and the file-system calls it made
(``strace -f -c`` over the file-related system calls: stat/open/access/readlink/getdents
families), in total and those that touched the project folder (videos, ``labeled-data/``).
``--repo`` measures another checkout (e.g. an older commit) with the same projects.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _projects import labelled_folder, tiny_video  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FILE_CALLS = "%file,getdents64"


def make_project(folder: Path, n: int, source: str) -> None:
    real = tiny_video(folder / "real.mp4")
    rows = ["session\tvideo"]
    for i in range(n):
        # nested like a lab's data: one folder per animal
        link = folder / "data" / f"m{i // 10:03d}" / f"s{i:05d}.mp4"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(real)
        rows.append(f"s{i:05d}\t{link.relative_to(folder)}")
    (folder / "sessions.tsv").write_text("\n".join(rows) + "\n")
    labelled_folder(folder)
    videos = ({"sheet": "sessions.tsv"} if source == "sheet"
              else {"patterns": ["data/**/*.mp4"], "naming": "stem"})
    config = {"demo": {"enabled": False}, "videos": videos}
    (folder / "config").mkdir()
    (folder / "config" / "config.yaml").write_text(yaml.safe_dump(config))


def snakemake(repo: Path, folder: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(repo / "Snakefile"),
            "--directory", str(folder), *args]


def job_reparse(repo: Path, folder: Path) -> dict:
    """One discover_video job's re-parse (a dry run in remote mode), under strace."""
    cmd = snakemake(repo, folder, "--target-jobs", "discover_video:session=s00001",
                    "--allowed-rules", "discover_video", "--cores", "1", "--attempt", "1",
                    "--force-use-threads", "--nolock", "--ignore-incomplete",
                    "--max-inventory-time", "0", "--mode", "remote", "--dry-run", "--quiet")
    env = {**os.environ, "PYTHONPATH": str(repo / "src")}
    tic = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=folder, env=env)
    wall = time.perf_counter() - tic
    if proc.returncode:
        raise RuntimeError(proc.stdout[-3000:] + proc.stderr[-3000:])
    trace = folder / "strace.txt"
    subprocess.run(["strace", "-f", "-qq", "-e", f"trace={FILE_CALLS}", "-o", str(trace), *cmd],
                   capture_output=True, text=True, cwd=folder, check=True, env=env)
    lines = trace.read_text().splitlines()
    calls = [ln for ln in lines if re.search(r"\b[a-z0-9_]+\(", ln)]
    project = [ln for ln in calls if str(folder) in ln or re.search(r'"(data|pose-project|sessions\.tsv)', ln)]
    return {"wall_s": wall, "file_calls": len(calls), "project_calls": len(project)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--repo", type=Path, default=REPO)
    args = parser.parse_args()
    if not shutil.which("strace"):
        print("strace not found (apt-get install strace)", file=sys.stderr)
        return 1
    print("| source | sessions | job re-parse wall (s) | file-system calls | of them in the project |")
    print("|---|---:|---:|---:|---:|")
    for source in ("sheet", "glob"):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            make_project(folder, args.sessions, source)
            main_proc = subprocess.run(snakemake(args.repo, folder, "-n", "--quiet", "--cores", "1"),
                                       capture_output=True, text=True, cwd=folder,
                                       env={**os.environ, "PYTHONPATH": str(args.repo / "src")})
            if main_proc.returncode:
                raise RuntimeError(main_proc.stdout[-3000:] + main_proc.stderr[-3000:])
            r = job_reparse(args.repo, folder)
            print(f"| {source} | {args.sessions} | {r['wall_s']:.2f} | {r['file_calls']} | "
                  f"{r['project_calls']} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
