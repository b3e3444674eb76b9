"""Compare the outputs of two runs, file by file (reproducibility checks).

Usage::

    python benchmarks/compare_runs.py RUN_A RUN_B [--folders results demo]

Every file under the given folders of both working directories is compared byte for byte;
DLC/pandas HDF5 files (PyTables stamps creation times into them) are compared as tables.
Prints the files only one run has, the files that differ, and a count line; exits 1 if
anything differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd


def files(root: Path, folders: list[str]) -> set[str]:
    return {str(p.relative_to(root)) for d in folders for p in (root / d).rglob("*") if p.is_file()}


def same_table(a: Path, b: Path) -> bool | None:
    """Whether two DLC HDF5 files hold equal tables; None if they are not DLC tables."""
    try:
        ta, tb = pd.read_hdf(a, "df_with_missing"), pd.read_hdf(b, "df_with_missing")
    except (KeyError, ValueError, TypeError, OSError):
        return None
    try:
        pd.testing.assert_frame_equal(ta, tb)
    except AssertionError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--folders", nargs="+", default=["results", "demo"])
    args = parser.parse_args()
    fa, fb = files(args.a, args.folders), files(args.b, args.folders)
    for name, only in ((args.a, fa - fb), (args.b, fb - fa)):
        for f in sorted(only):
            print(f"only in {name}: {f}")
    identical = tables = 0
    differ = []
    for f in sorted(fa & fb):
        if (args.a / f).read_bytes() == (args.b / f).read_bytes():
            identical += 1
        elif f.endswith(".h5") and same_table(args.a / f, args.b / f):
            tables += 1
        else:
            differ.append(f)
    for f in differ:
        print(f"differs: {f}")
    print(f"{len(fa & fb)} files in both: {identical} byte-identical, {tables} DLC tables equal "
          f"(their HDF5 bytes differ only by PyTables' time stamps), {len(differ)} differ; "
          f"{len(fa ^ fb)} in one run only")
    return 1 if differ or fa ^ fb else 0


if __name__ == "__main__":
    sys.exit(main())
