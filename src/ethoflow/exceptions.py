"""Every error ethoflow raises on purpose: bad input named by its file, key or session.

All are ``ValueError`` subclasses (bad input, not bad code), under one base class so that a
caller can catch whatever ethoflow says is wrong with the data or the config.
"""

from __future__ import annotations

import os

__all__ = [
    "ConfigError",
    "EthoflowError",
    "FileFormatError",
    "LabelError",
    "SessionError",
    "VideoError",
]


class EthoflowError(ValueError):
    """Base class: input that ethoflow cannot use, with a message that says what and where."""


class ConfigError(EthoflowError):
    """The config does not match its schema, or its keys contradict each other."""


class SessionError(EthoflowError):
    """The session list cannot be built (a clash, a bad name, a missing file), or a session's
    discovery record does not fit the job asking for it (excluded, another video)."""


class LabelError(EthoflowError):
    """Labels that cannot be used: wrong bodyparts, missing images, nothing labelled, a
    project folder not in DeepLabCut's layout."""


class FileFormatError(EthoflowError):
    """A file that is not what it should be: not a DLC table, not an ethoflow embedding,
    segmentation or face file, or one with the wrong structure."""


class VideoError(EthoflowError):
    """A video that cannot be used: missing, empty, unreadable, corrupt or truncated.

    Parameters
    ----------
    path
        The offending file.
    problem
        What is wrong with it, in words.
    """

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
