"""DeepLabCut file formats: pose tables and labelled-frame files.

A DLC pose table is a pandas DataFrame whose columns are a MultiIndex with
levels ``scorer``, ``bodyparts`` and ``coords`` (``x``, ``y``, ``likelihood``),
one row per frame, stored in HDF5 under the key ``df_with_missing``. Labels
(``CollectedData_<scorer>.h5``/``.csv``) are the same without ``likelihood``,
indexed by the image path relative to the project
(``labeled-data/<video>/img00012.png``). Readers of these files include
DeepLabCut, keypoint-MoSeq, VAME, movement and SLEAP.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ethoflow.files import atomic_path

__all__ = ["pose_dataframe", "write_pose_table", "read_pose_table", "write_labels", "H5_KEY"]

H5_KEY = "df_with_missing"
LEVELS = ["scorer", "bodyparts", "coords"]


def pose_dataframe(
    xy: np.ndarray,
    likelihood: np.ndarray | None,
    bodyparts: list[str],
    scorer: str,
    index: list | pd.Index | None = None,
) -> pd.DataFrame:
    """Build a DLC pose (or, without likelihood, labels) table.

    Parameters
    ----------
    xy
        ``(n_rows, n_bodyparts, 2)`` pixel coordinates; NaN where missing.
    likelihood
        ``(n_rows, n_bodyparts)``, or None for a labels table (coords x, y only).
    bodyparts
        Names, in the order of ``xy``'s second axis.
    scorer
        The scorer (first column level).
    index
        Row index: frame numbers for pose tables, image paths for labels.
    """
    xy = np.asarray(xy, dtype=np.float64)
    n, k, _ = xy.shape
    if k != len(bodyparts):
        raise ValueError(f"Expected {len(bodyparts)} bodyparts in xy, but got shape {xy.shape}")
    coords = ["x", "y"] if likelihood is None else ["x", "y", "likelihood"]
    data = xy if likelihood is None else np.concatenate([xy, np.asarray(likelihood)[..., None]], -1)
    columns = pd.MultiIndex.from_product([[scorer], bodyparts, coords], names=LEVELS)
    return pd.DataFrame(data.reshape(n, -1), columns=columns, index=index)


def write_pose_table(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a pose/labels table: HDF5 (key ``df_with_missing``, table format) or DLC CSV."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix == ".csv":
            df.to_csv(tmp)
        else:
            df.to_hdf(tmp, key=H5_KEY, format="table", mode="w")


def read_pose_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a DLC pose or labels table from ``.h5`` or ``.csv``, checking its structure.

    Raises
    ------
    ValueError
        If the file is not a single-animal DLC table (wrong key, column levels
        or coords); the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    try:
        if path.suffix == ".csv":
            df = pd.read_csv(path, header=[0, 1, 2], index_col=0)
        else:
            df = pd.read_hdf(path, key=H5_KEY)
    except KeyError:
        raise ValueError(f"{path}: no '{H5_KEY}' table in this HDF5 file") from None
    except (OSError, ValueError, IndexError) as err:
        raise ValueError(f"{path}: not a readable DLC table ({err})") from None
    names = list(df.columns.names)
    if "individuals" in names or df.columns.nlevels == 4:
        raise ValueError(f"{path}: multi-animal DLC files (an 'individuals' level) are not supported yet")
    if df.columns.nlevels != 3:
        raise ValueError(f"{path}: expected 3 column levels {LEVELS}, but got {names}")
    df.columns = df.columns.set_names(LEVELS)
    coords = set(df.columns.get_level_values("coords"))
    if not {"x", "y"} <= coords or not coords <= {"x", "y", "likelihood"}:
        raise ValueError(f"{path}: expected coords x, y[, likelihood], but got {sorted(coords)}")
    return df.astype(np.float64)


def write_labels(df: pd.DataFrame, folder: str | os.PathLike, scorer: str) -> tuple[Path, Path]:
    """Write labels as ``CollectedData_<scorer>.h5`` and ``.csv`` in ``folder``."""
    folder = Path(folder)
    h5, csv = folder / f"CollectedData_{scorer}.h5", folder / f"CollectedData_{scorer}.csv"
    write_pose_table(df, csv)
    write_pose_table(df, h5)
    return h5, csv
