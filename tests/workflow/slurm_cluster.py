"""A real single-node SLURM cluster on this machine, for the SLURM profile's tests.

Needs Debian's ``slurmd slurmctld slurm-client munge`` (``.ci/run`` installs them) and
root (the config must be at ``/etc/slurm/slurm.conf``: the executor plugin's job step
strips ``SLURM_*`` variables, so ``SLURM_CONF`` alone is not enough). The daemons bind to
127.0.0.1 only. Two partitions: ``ethocpu`` (default) and ``ethogpu``, and one fake GPU
(``gres gpu:1`` backed by ``/dev/null``) so GPU requests are accepted and recorded.

Run ``python tests/workflow/slurm_cluster.py start|stop DIR`` to use it by hand.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

CONF_DIR = Path("/etc/slurm")
CPU_PARTITION, GPU_PARTITION = "ethocpu", "ethogpu"

SLURM_CONF = """\
# written by ethoflow's tests (tests/workflow/slurm_cluster.py)
ClusterName=ethoflow-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={d}/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
MinJobAge=300
ReturnToService=2
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmdParameters=config_overrides
GresTypes=gpu
NodeName=localhost NodeAddr=127.0.0.1 CPUs=8 RealMemory=64000 Gres=gpu:1 State=UNKNOWN
PartitionName={cpu} Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName={gpu} Nodes=localhost MaxTime=INFINITE State=UP
"""

GRES_CONF = "Name=gpu File=/dev/null Count=1\n"
CONF_FILES = ("slurm.conf", "gres.conf")


def available() -> str | None:
    """Why a cluster cannot be started here, or None if it can be tried."""
    missing = [b for b in ("munged", "slurmctld", "slurmd", "sbatch", "sinfo") if not shutil.which(b)]
    if missing:
        return f"SLURM/munge not installed (missing {', '.join(missing)})"
    if os.geteuid() != 0:
        return "starting SLURM needs root"
    return None


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def start(workdir: Path, timeout: float = 30.0) -> None:
    """Write the config, start munged, slurmctld and slurmd; wait until the node is idle."""
    workdir = Path(workdir)
    for sub in ("state", "spool", "munge"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    CONF_DIR.mkdir(parents=True, exist_ok=True)
    for name in CONF_FILES:  # keep what was there, to put back on stop()
        if (CONF_DIR / name).exists() and not (workdir / f"{name}.orig").exists():
            shutil.copy2(CONF_DIR / name, workdir / f"{name}.orig")
    (CONF_DIR / "slurm.conf").write_text(
        SLURM_CONF.format(d=workdir, cpu=CPU_PARTITION, gpu=GPU_PARTITION)
    )
    (CONF_DIR / "gres.conf").write_text(GRES_CONF)
    key = Path("/etc/munge/munge.key")
    if not key.exists():
        subprocess.run(["mungekey", "--create", "--force"], check=True, capture_output=True)
    Path("/run/munge").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["munged", "--force", f"--pid-file={workdir}/munge/munged.pid",
         f"--socket={Path('/run/munge/munge.socket.2')}", f"--log-file={workdir}/munge/munged.log"],
        check=True, capture_output=True,
    )
    subprocess.run(["slurmctld"], check=True, capture_output=True)
    subprocess.run(["slurmd"], check=True, capture_output=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip() and "idle" in out.stdout:
            return
        time.sleep(0.3)
    logs = "".join(
        f"\n--- {p.name}\n{p.read_text()[-2000:]}" for p in workdir.glob("*.log") if p.exists()
    )
    stop(workdir)
    raise RuntimeError(f"SLURM node did not become idle within {timeout} s{logs}")


def stop(workdir: Path) -> None:
    """Stop the daemons by their PID files (no init reaps them here), and put back the
    SLURM config that was there before: a config naming a controller that is down makes
    every later `scontrol` (which the executor plugin calls on import) hang ~10 s."""
    workdir = Path(workdir)
    subprocess.run(["scancel", "--user=root"], capture_output=True)
    for pidfile in (workdir / "slurmd.pid", workdir / "slurmctld.pid", workdir / "munge/munged.pid"):
        pid = _pid(pidfile)
        if pid is None:
            continue
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
    subprocess.run(["pkill", "-f", "slurmstepd"], capture_output=True)
    for name in CONF_FILES:
        orig = workdir / f"{name}.orig"
        if orig.exists():
            shutil.copy2(orig, CONF_DIR / name)
        else:
            (CONF_DIR / name).unlink(missing_ok=True)


if __name__ == "__main__":
    action, folder = sys.argv[1], Path(sys.argv[2])
    start(folder) if action == "start" else stop(folder)
