"""Wall time and peak memory of a command, measured from outside (used by the benchmarks)."""

from __future__ import annotations

import subprocess
import threading
import time

import psutil

__all__ = ["run_measured", "best_of"]


def run_measured(cmd: list[str], cwd: str | None = None, env: dict | None = None) -> dict:
    """Run ``cmd``; return wall seconds, peak RSS (MB) of its process tree, and its stdout.

    The tree's resident memory is sampled every 20 ms.
    """
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env=env)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        parent = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed:\n{(out + err)[-3000:]}")
    return {"wall_s": wall, "peak_mb": peak / 2**20, "stdout": out + err}


def best_of(repeats: int, cmd: list[str], cwd: str | None = None) -> dict:
    """The fastest of ``repeats`` runs (timings on a shared VM are noisy), with the highest peak."""
    runs = [run_measured(cmd, cwd) for _ in range(max(1, repeats))]
    best = min(runs, key=lambda r: r["wall_s"])
    return {**best, "peak_mb": max(r["peak_mb"] for r in runs)}
