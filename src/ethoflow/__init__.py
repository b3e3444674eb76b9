"""ethoflow: behaviour videos to pose, embeddings, motifs and face-motion SVDs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ethoflow")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
