"""A real MariaDB server on this machine, for the DataJoint tests.

Needs Debian's ``mariadb-server`` (``.ci/run`` installs it). The server gets its own data
folder, listens on 127.0.0.1 at a free port, and has one user with a random password (given to
DataJoint as ``DJ_PASS`` would be, never written to a config). Root may start it (``--user=root``).

Run ``python tests/mariadb_server.py start|stop DIR`` to use it by hand (start prints the
port, user and password).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

USER = "ethoflow"


@dataclass(frozen=True)
class Server:
    """A running server: where it listens, and its user."""

    folder: Path
    host: str
    port: int
    user: str
    password: str

    def env(self) -> dict[str, str]:
        """DataJoint's environment variables for this server."""
        return {"DJ_HOST": self.host, "DJ_PORT": str(self.port), "DJ_USER": self.user,
                "DJ_PASS": self.password}


def available() -> str | None:
    """Why a server cannot be started here, or None if it can be tried."""
    missing = [b for b in ("mariadbd", "mariadb-install-db", "mariadb") if not shutil.which(b)]
    if missing:
        return f"MariaDB not installed (missing {', '.join(missing)}; apt-get install mariadb-server)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _client(folder: Path, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mariadb", "--no-defaults", f"--socket={folder}/sock", "-u", "root",
                           "-e", sql], capture_output=True, text=True)


def start(folder: Path | None = None, timeout: float = 60.0) -> Server:
    """Initialise a data folder, start ``mariadbd`` and create the test user."""
    # a short path: the server's Unix socket must fit in 108 bytes
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="ethoflow-mdb-"))
    folder.mkdir(parents=True, exist_ok=True)
    user = ["--user=root"] if os.geteuid() == 0 else []
    init = subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--datadir={folder}/data", *user,
         "--auth-root-authentication-method=socket", "--skip-test-db"],
        capture_output=True, text=True)
    if init.returncode:
        raise RuntimeError(f"mariadb-install-db failed:\n{init.stdout[-2000:]}{init.stderr[-2000:]}")
    port = _free_port()
    with open(folder / "server.out", "w") as out:
        subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={folder}/data", *user, f"--port={port}",
             "--bind-address=127.0.0.1", f"--socket={folder}/sock", f"--pid-file={folder}/pid",
             f"--log-error={folder}/error.log", "--skip-name-resolve",
             "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    password = secrets.token_urlsafe(16)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        made = _client(folder, f"CREATE USER IF NOT EXISTS '{USER}'@'127.0.0.1' "
                               f"IDENTIFIED BY '{password}'; "
                               f"GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'127.0.0.1';")
        if made.returncode == 0:
            return Server(folder, "127.0.0.1", port, USER, password)
        time.sleep(0.3)
    error = (folder / "error.log").read_text()[-3000:] if (folder / "error.log").exists() else ""
    stop(folder)
    raise RuntimeError(f"MariaDB did not start within {timeout} s:\n{error}")


def stop(folder: Path) -> None:
    """Stop the server by its PID file and remove its data folder."""
    folder = Path(folder)
    try:
        pid = int((folder / "pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        pid = None
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.1)
        except ProcessLookupError:
            pass
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    action, where = sys.argv[1], Path(sys.argv[2])
    if action == "start":
        print(start(where))
    else:
        stop(where)
