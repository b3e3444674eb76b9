"""The package's layout promises: light ``__init__`` files, and PyTorch imported only by the
modules that run a network (a CPU-only env runs every other rule)."""

import pkgutil
import subprocess
import sys

import ethoflow

TORCH_MODULES = {"ethoflow.device", "ethoflow.pose.network", "ethoflow.pose.training",
                 "ethoflow.pose.inference", "ethoflow.pose.evaluation", "ethoflow.behaviour.vae"}
MODULES = sorted(m.name for m in pkgutil.walk_packages(ethoflow.__path__, "ethoflow."))


def test_only_the_network_modules_import_torch():
    """All other modules together, in a fresh interpreter: torch stays out of sys.modules."""
    code = ("import importlib, sys\n"
            "for name in sys.argv[1:]:\n"
            "    importlib.import_module(name)\n"
            "    if 'torch' in sys.modules:\n"
            "        print(name)\n"
            "        break\n")
    rest = sorted(set(MODULES) - TORCH_MODULES)
    out = subprocess.run([sys.executable, "-c", code, *rest], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert not out, f"{out} imports torch (directly or through what it imports)"
    assert TORCH_MODULES <= set(MODULES)
