"""Writing outputs safely, with provenance.

Every output is written under a temporary name in its own folder and renamed
into place only when complete, so an interrupted job never leaves a file that
looks finished.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ethoflow import __version__

__all__ = ["atomic_path", "provenance", "write_h5_attrs", "write_json", "write_table"]


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    The temporary name keeps the suffix, so writers that look at it still work.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def provenance(params: dict | None = None) -> dict:
    """The provenance block stored with outputs: ethoflow version and parameters."""
    return {"ethoflow_version": __version__, "params": params or {}}


def write_h5_attrs(node, attrs: Mapping) -> None:
    """Set the ethoflow version and ``attrs`` as HDF5 attributes of ``node`` (an h5py file,
    group or dataset); values other than numbers and strings are stored as sorted JSON."""
    node.attrs["ethoflow_version"] = __version__
    for key, value in attrs.items():
        node.attrs[key] = value if isinstance(value, (int, float, str)) else json.dumps(value, sort_keys=True)


def write_json(data: dict, path: str | os.PathLike) -> None:
    """Write ``data`` as indented, key-sorted JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_table(df: pd.DataFrame, path: str | os.PathLike, comment: dict | None = None) -> None:
    """Write a table atomically (comma-separated for ``.csv``, else tab-separated), with
    optional ``# key: value`` header lines."""
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.writelines(f"# {key}: {json.dumps(value, sort_keys=True)}\n" for key, value in (comment or {}).items())
        df.to_csv(fh, sep="," if str(path).endswith(".csv") else "\t", index=False,
                  lineterminator="\n")
