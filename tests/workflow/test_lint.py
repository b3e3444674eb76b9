"""The workflow passes Snakemake's linter and is formatted as snakefmt formats it."""

import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO


def test_snakemake_lint_is_clean():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "-s", str(REPO / "Snakefile")],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakefmt_is_clean():
    if shutil.which("snakefmt") is None:
        pytest.skip("snakefmt not installed (it comes with the test extra)")
    proc = subprocess.run(["snakefmt", "--check", "rules", "Snakefile"], capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
