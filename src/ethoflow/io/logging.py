"""Logging set-up for workflow scripts (the library itself never configures handlers)."""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["to_file"]


def to_file(path: str | os.PathLike, level: int = logging.INFO) -> None:
    """Send logging, warnings and stderr of this process to ``path`` (appended)."""
    fh = open(path, "a", buffering=1)
    sys.stderr = fh
    handler = logging.StreamHandler(fh)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)
