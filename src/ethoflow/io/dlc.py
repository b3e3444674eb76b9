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

from ethoflow.exceptions import FileFormatError
from ethoflow.io.files import atomic_path

__all__ = ["H5_KEY", "LEVELS", "check_columns", "pose_arrays", "pose_dataframe", "read_pose_table",
           "write_pose_table"]

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
        Row index: frame numbers for pose tables (default ``0..n_rows-1``),
        image paths for labels.

    Returns
    -------
    pandas.DataFrame
        float64 columns ``MultiIndex.from_product([[scorer], bodyparts, coords])``
        with level names ``scorer, bodyparts, coords``.

    Raises
    ------
    ValueError
        If the shapes of ``xy``, ``likelihood`` and ``bodyparts`` disagree.
    """
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[2] != 2 or xy.shape[1] != len(bodyparts):
        raise ValueError(
            f"Expected 'xy' to have shape (n, {len(bodyparts)}, 2), but got {xy.shape}"
        )
    n, k, _ = xy.shape
    coords = ["x", "y"] if likelihood is None else ["x", "y", "likelihood"]
    if likelihood is None:
        data = xy
    else:
        lik = np.asarray(likelihood, dtype=np.float64)
        if lik.shape != (n, k):
            raise ValueError(f"Expected 'likelihood' to have shape {(n, k)}, but got {lik.shape}")
        data = np.concatenate([xy, lik[..., None]], axis=-1)
    columns = pd.MultiIndex.from_product([[scorer], list(bodyparts), coords], names=LEVELS)
    return pd.DataFrame(data.reshape(n, len(columns)), columns=columns, index=index)


def write_pose_table(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a pose or labels table, atomically, as DLC does.

    Parameters
    ----------
    df
        A table from :func:`pose_dataframe` (or read by :func:`read_pose_table`).
    path
        ``.csv``: DLC's CSV (three header rows scorer/bodyparts/coords, then one
        row per frame or image); ``.tsv``: the same, tab-separated. Anything
        else (``.h5``): HDF5, key
        ``df_with_missing``, PyTables ``table`` format.

    Raises
    ------
    FileFormatError
        If the columns are not DLC's ``scorer/bodyparts/coords`` levels.
    """
    path = Path(path)
    check_columns(df, path)
    with atomic_path(path) as tmp:
        if path.suffix.lower() in (".csv", ".tsv"):
            out = df.copy()
            out.index.name = None  # a named index would add a fourth header row
            out.to_csv(tmp, sep="\t" if path.suffix.lower() == ".tsv" else ",", lineterminator="\n")
        else:
            df.to_hdf(tmp, key=H5_KEY, format="table", mode="w")


def check_columns(df: pd.DataFrame, path: Path) -> None:
    """Raise :class:`~ethoflow.exceptions.FileFormatError` naming ``path`` unless ``df`` has single-animal DLC columns."""
    names = list(df.columns.names)
    if "individuals" in names or df.columns.nlevels == 4:
        raise FileFormatError(
            f"{path}: multi-animal DLC files (column levels {names}) are not supported yet; "
            f"expected the single-animal levels {LEVELS}"
        )
    if names != LEVELS:
        raise FileFormatError(f"{path}: expected column levels {LEVELS}, but got {names}")
    coords = set(df.columns.get_level_values("coords"))
    if not {"x", "y"} <= coords or not coords <= {"x", "y", "likelihood"}:
        raise FileFormatError(
            f"{path}: expected coords x, y[, likelihood], but got {sorted(map(str, coords))}"
        )
    if df.columns.duplicated().any():
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise FileFormatError(f"{path}: duplicated columns {dup}")


def read_pose_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a DLC pose or labels table from ``.h5`` or ``.csv``, checking its structure.

    Parameters
    ----------
    path
        A DLC ``.h5`` (key ``df_with_missing``) or ``.csv`` (three header rows).

    Returns
    -------
    pandas.DataFrame
        float64 values; columns ``(scorer, bodyparts, coords)``; the index as
        stored (frame numbers, or image paths for labels).

    Raises
    ------
    FileFormatError
        If the file is missing, unreadable, or not a single-animal DLC table
        (no ``df_with_missing`` key, other column levels, other coords,
        non-numeric values); the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: file not found")
    df: pd.DataFrame | pd.Series | object
    try:
        if path.suffix.lower() == ".csv":
            df = pd.read_csv(path, header=[0, 1, 2], index_col=0)
        else:
            df = pd.read_hdf(path, key=H5_KEY)
    except KeyError:
        raise FileFormatError(
            f"{path}: no '{H5_KEY}' table in this HDF5 file (is it a DLC file?)"
        ) from None
    except (OSError, ValueError, IndexError, TypeError, RuntimeError, pd.errors.ParserError) as err:
        raise FileFormatError(f"{path}: not a readable DLC table ({err})") from None
    if not isinstance(df, pd.DataFrame):
        kind = type(df).__name__
        raise FileFormatError(f"{path}: '{H5_KEY}' holds a {kind}, not a DataFrame")
    check_columns(df, path)
    try:
        return df.astype(np.float64)
    except (ValueError, TypeError) as err:
        raise FileFormatError(f"{path}: non-numeric coordinates ({err})") from None


def pose_arrays(
    df: pd.DataFrame, bodyparts: list[str] | None = None
) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """A DLC pose or labels table as arrays, selected by level name.

    Parameters
    ----------
    df
        Columns ``(scorer, bodyparts, coords)`` with coords x, y[, likelihood].
    bodyparts
        The bodyparts wanted, in this order; default: the table's, in its order.

    Returns
    -------
    bodyparts : list of str
    xy : numpy.ndarray
        ``(n_rows, n_bodyparts, 2)`` float64 pixel coordinates.
    likelihood : numpy.ndarray or None
        ``(n_rows, n_bodyparts)`` float64, or None for a labels table.

    Raises
    ------
    FileFormatError
        If a wanted bodypart is not in the table.
    """
    have = list(dict.fromkeys(df.columns.get_level_values("bodyparts")))
    parts = have if bodyparts is None else list(bodyparts)
    missing = [bp for bp in parts if bp not in have]
    if missing:
        raise FileFormatError(f"pose table lacks bodyparts {', '.join(missing)} (has {', '.join(have)})")

    def coord(name: str) -> np.ndarray:
        block = df.xs(name, level="coords", axis=1).droplevel("scorer", axis=1)
        return block[parts].to_numpy(np.float64)

    xy = np.stack([coord("x"), coord("y")], axis=-1)
    has_likelihood = "likelihood" in set(df.columns.get_level_values("coords"))
    return parts, xy, coord("likelihood") if has_likelihood else None
