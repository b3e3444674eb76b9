"""How long Snakemake takes to plan ethoflow over many sessions (`snakemake -n`), against
bare Snakemake planning the same DAG, and how many SLURM jobs the run would submit.

Usage::

    python benchmarks/planning.py [--sizes 100 500 1000 2000] [--repo PATH] [--no-bare]

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

``bare`` rows plan the same DAG shape with bare Snakemake (``benchmarks/_bare_workflow.py``:
the same rules, files, dependencies, groups and local rules; every job ``touch``), side by
side, on the same project. ``SLURM jobs`` is what ``--profile profiles/slurm`` would submit
for the whole run (a dry run with the profile: bundled jobs count once, local rules not at
all): the discovery jobs of the fresh plan plus everything planned after discovery.
``--repo`` plans another checkout (an older commit, say) on the same projects.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bare_workflow import SNAKEFILE as BARE  # noqa: E402
from _projects import labelled_folder, tiny_video  # noqa: E402
from _measure import run_measured  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def make_project(folder: Path, n: int) -> None:
    from ethoflow.sessions.discover import discover_session
    from ethoflow.sessions.sources import Session

    real = tiny_video(folder / "videos" / "real.mp4")
    rows = ["session\tvideo"]
    for i in range(n):
        link = folder / "videos" / f"s{i:05d}.mp4"
        link.symlink_to(real)
        rows.append(f"s{i:05d}\tvideos/s{i:05d}.mp4")
    (folder / "sessions.tsv").write_text("\n".join(rows) + "\n")
    labelled_folder(folder)
    # the labelled video on (off by default since this version): 7 jobs per session, as before
    config = {"demo": {"enabled": False}, "videos": {"sheet": "sessions.tsv"},
              "pose": {"video": {"enabled": True}}}
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


def repo_env(repo: Path) -> dict:
    """The environment that makes ``repo``'s own ethoflow importable (for --repo)."""
    return {**os.environ, "PYTHONPATH": str(repo / "src")}


def plan(folder: Path, snakefile: Path, *extra: str) -> dict:
    cmd = [sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "-s", str(snakefile),
           "-d", str(folder), "--cores", "2", *extra]
    return run_measured(cmd, cwd=str(folder), env=repo_env(snakefile.parent))


def local_rules(repo: Path) -> set[str]:
    """The rules a checkout's ``localrules:`` directives name (they run in the main process)."""
    names = {"all"}
    for path in [repo / "Snakefile", *sorted((repo / "rules").glob("*.smk"))]:
        for block in re.findall(r"localrules:[ \t]*\n((?:[ \t]+\w+,[ \t]*\n)+)", path.read_text()):
            names |= set(re.findall(r"\w+", block))
    return names


def slurm_jobs(folder: Path, repo: Path) -> dict[str, int]:
    """SLURM submissions of a dry run with the SLURM profile: group jobs (by group) and the
    jobs of rules (and checkpoints) that are neither grouped nor local."""
    cmd = [sys.executable, "-m", "snakemake", "-n", "-s", str(repo / "Snakefile"), "-d",
           str(folder), "--profile", str(repo / "profiles" / "slurm")]
    out = run_measured(cmd, cwd=str(folder), env=repo_env(repo))["stdout"]
    local = local_rules(repo)
    jobs: dict[str, int] = {}
    for line in out.splitlines():
        m = re.search(r"Group job (\S+) ", line) or re.match(r"^(?:rule|checkpoint) (\w+):", line)
        if m and m.group(1) not in local:
            jobs[m.group(1)] = jobs.get(m.group(1), 0) + 1
    return jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000, 2000])
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout to plan")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare-Snakemake rows")
    args = parser.parse_args()
    print("| sessions | state | workflow | jobs planned | wall (s) | peak memory (MB) | SLURM jobs |")
    print("|---:|---|---|---:|---:|---:|---:|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            make_project(folder, n)
            bare = folder / "bare" / "Snakefile"
            bare.parent.mkdir()
            bare.write_text(BARE)
            discovery_jobs = 0
            for state in ("fresh", "discovered"):
                if state == "discovered":
                    fake_discovery(folder, n)
                r = plan(folder, args.repo / "Snakefile")
                jobs = slurm_jobs(folder, args.repo)
                if state == "fresh":
                    discovery_jobs = sum(v for k, v in jobs.items() if k.startswith("discover"))
                    submitted = f"{discovery_jobs} (discovery)"
                else:
                    submitted = f"{discovery_jobs + sum(jobs.values())} in all"
                print(f"| {n} | {state} | ethoflow | {_total_jobs(r['stdout'])} | {r['wall_s']:.1f} | "
                      f"{r['peak_mb']:.0f} | {submitted} |", flush=True)
                if state == "discovered":
                    print(f"|  |  | (SLURM jobs by rule) | {jobs} |  |  |  |", flush=True)
                if not args.no_bare:
                    b = plan(folder, bare)
                    print(f"| {n} | {state} | bare Snakemake | {_total_jobs(b['stdout'])} | "
                          f"{b['wall_s']:.1f} | {b['peak_mb']:.0f} |  |", flush=True)
    return 0


def _total_jobs(output: str) -> str:
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "total" and parts[1].isdigit():
            return parts[1]
    return "?"


if __name__ == "__main__":
    sys.exit(main())
