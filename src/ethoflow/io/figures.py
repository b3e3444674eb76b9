"""Saving figures: matplotlib without a display, written atomically with provenance.

Each stage draws its own figures (``face.plots``, ``pose.plots``, ``behaviour.plots``);
this module holds what they share.
"""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ethoflow import __version__  # noqa: E402
from ethoflow.io.files import atomic_path  # noqa: E402

__all__ = ["plt", "save_figure"]


def save_figure(fig, png: str | os.PathLike, description: str, dpi: int = 80) -> None:
    """Save ``fig`` atomically with provenance in the PNG metadata, and close it.

    Parameters
    ----------
    fig
        A matplotlib figure.
    png
        The file to write.
    description
        What the figure shows and from which file; stored as the PNG's ``Description``
        (with ``Software: ethoflow <version>``).
    dpi
        Resolution.
    """
    with atomic_path(png) as tmp:
        fig.savefig(tmp, dpi=dpi, metadata={"Software": f"ethoflow {__version__}",
                                            "Description": description})
    plt.close(fig)
