"""DLC pose and label tables: build, write, read back, and reject what is not one."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ethoflow.io.dlc import H5_KEY, pose_dataframe, read_pose_table, write_pose_table
from ethoflow.pose.labels import write_labels
from tests.conftest import SHARED_DATA

OPENFIELD_LABELS = SHARED_DATA / "dlc-openfield" / "labeled-data" / "m4s1"
BODYPARTS = ["snout", "leftear", "tailbase"]


@pytest.fixture
def pose(rng) -> pd.DataFrame:
    """A 10-frame, 3-bodypart pose table with likelihoods and one missing point."""
    xy = rng.uniform(0, 100, (10, 3, 2))
    xy[3, 1] = np.nan
    return pose_dataframe(xy, rng.uniform(0, 1, (10, 3)), BODYPARTS, "net")


@pytest.fixture
def labels(rng) -> pd.DataFrame:
    """A 4-image labels table indexed by image path."""
    index = [f"labeled-data/vid/img{i:05d}.png" for i in (3, 10, 40, 77)]
    xy = rng.uniform(0, 100, (4, 3, 2))
    xy[2, 0] = np.nan
    return pose_dataframe(xy, None, BODYPARTS, "me", index)


def test_pose_dataframe_columns(pose, labels):
    assert list(pose.columns.names) == ["scorer", "bodyparts", "coords"]
    assert list(pose.columns.get_level_values("coords")[:3]) == ["x", "y", "likelihood"]
    assert pose.shape == (10, 9)
    assert (pose.dtypes == np.float64).all()
    assert set(labels.columns.get_level_values("coords")) == {"x", "y"}
    assert labels.shape == (4, 6)


@pytest.mark.parametrize(
    "xy_shape, lik_shape, match",
    [((10, 2, 2), None, "xy"), ((10, 3), None, "xy"), ((10, 3, 2), (9, 3), "likelihood")],
    ids=["wrong-bodyparts", "no-coords-axis", "wrong-likelihood"],
)
def test_pose_dataframe_shape_errors(xy_shape, lik_shape, match):
    lik = None if lik_shape is None else np.ones(lik_shape)
    with pytest.raises(ValueError, match=match):
        pose_dataframe(np.zeros(xy_shape), lik, BODYPARTS, "net")


@pytest.mark.parametrize("suffix", [".h5", ".csv"])
def test_pose_round_trip(tmp_path, pose, suffix):
    path = tmp_path / f"pose{suffix}"
    write_pose_table(pose, path)
    back = read_pose_table(path)
    pd.testing.assert_frame_equal(back, pose, check_index_type=False)
    assert not list(tmp_path.glob(".*"))  # no temporary left behind


def test_csv_has_dlc_header_rows(tmp_path, pose):
    path = tmp_path / "pose.csv"
    write_pose_table(pose, path)
    lines = path.read_text().splitlines()
    assert lines[0].startswith("scorer,net")
    assert lines[1].startswith("bodyparts,snout")
    assert lines[2].startswith("coords,x,y,likelihood")
    assert lines[3].startswith("0,")


def test_h5_is_table_format_under_dlc_key(tmp_path, pose):
    path = tmp_path / "pose.h5"
    write_pose_table(pose, path)
    with pd.HDFStore(path, "r") as store:
        assert store.keys() == [f"/{H5_KEY}"]
        assert store.get_storer(H5_KEY).is_table


def test_write_labels(tmp_path, labels):
    h5, csv = write_labels(labels, tmp_path / "labeled-data" / "vid", "me")
    assert h5.name == "CollectedData_me.h5" and csv.name == "CollectedData_me.csv"
    for path in (h5, csv):
        back = read_pose_table(path)
        pd.testing.assert_frame_equal(back, labels, check_index_type=False)
        assert list(back.index) == list(labels.index)


def test_write_labels_rejects_likelihood_and_frame_index(tmp_path, pose, labels):
    with pytest.raises(ValueError, match="likelihood"):
        write_labels(pose, tmp_path, "net")
    with pytest.raises(ValueError, match="image paths"):
        write_labels(labels.reset_index(drop=True), tmp_path, "me")


def test_read_missing_file(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        read_pose_table(tmp_path / "nope.h5")


def test_read_wrong_key(tmp_path, pose):
    path = tmp_path / "other.h5"
    pose.to_hdf(path, key="something", format="table")
    with pytest.raises(ValueError, match="df_with_missing"):
        read_pose_table(path)


def test_read_not_hdf5(tmp_path):
    path = tmp_path / "junk.h5"
    path.write_text("not hdf5")
    with pytest.raises(ValueError, match="junk.h5"):
        read_pose_table(path)


def test_read_wrong_level_names(tmp_path, pose):
    path = tmp_path / "renamed.h5"
    bad = pose.copy()
    bad.columns = bad.columns.set_names(["a", "b", "c"])
    bad.to_hdf(path, key=H5_KEY, format="table")
    with pytest.raises(ValueError, match=r"renamed.h5: expected column levels"):
        read_pose_table(path)


@pytest.mark.parametrize("suffix", [".h5", ".csv"])
def test_read_multi_animal_is_refused(tmp_path, suffix):
    columns = pd.MultiIndex.from_product(
        [["net"], ["mouse1", "mouse2"], BODYPARTS, ["x", "y", "likelihood"]],
        names=["scorer", "individuals", "bodyparts", "coords"],
    )
    df = pd.DataFrame(np.ones((5, len(columns))), columns=columns)
    path = tmp_path / f"ma{suffix}"
    if suffix == ".csv":
        df.to_csv(path)
    else:
        df.to_hdf(path, key=H5_KEY, format="table")
    with pytest.raises(ValueError, match="multi-animal .* not supported yet"):
        read_pose_table(path)


def test_read_wrong_coords(tmp_path):
    columns = pd.MultiIndex.from_product(
        [["net"], BODYPARTS, ["x", "z"]], names=["scorer", "bodyparts", "coords"]
    )
    path = tmp_path / "xz.h5"
    pd.DataFrame(np.ones((2, 6)), columns=columns).to_hdf(path, key=H5_KEY, format="table")
    with pytest.raises(ValueError, match="coords"):
        read_pose_table(path)


@pytest.fixture
def openfield_labels() -> Path:
    """DLC's open-field demo labels (116 images, 4 bodyparts, scorer Pranav); skip if absent."""
    if not OPENFIELD_LABELS.exists():
        pytest.skip(f"{OPENFIELD_LABELS} not available")
    return OPENFIELD_LABELS


def test_real_dlc_labels_read_and_round_trip(tmp_path, openfield_labels):
    h5 = read_pose_table(openfield_labels / "CollectedData_Pranav.h5")
    csv = read_pose_table(openfield_labels / "CollectedData_Pranav.csv")
    assert h5.shape == (116, 8)
    assert list(h5.columns.get_level_values("bodyparts").unique()) == [
        "snout",
        "leftear",
        "rightear",
        "tailbase",
    ]
    assert h5.index[0] == "labeled-data/m4s1/img0000.png"
    pd.testing.assert_frame_equal(
        csv, h5, check_index_type=False, check_exact=False, rtol=0, atol=1e-9
    )

    h5_out, csv_out = write_labels(h5, tmp_path / "m4s1", "Pranav")
    pd.testing.assert_frame_equal(read_pose_table(h5_out), h5)
    pd.testing.assert_frame_equal(read_pose_table(csv_out), h5, check_index_type=False)
    # our CSV has the same header rows as DLC's
    theirs = (openfield_labels / "CollectedData_Pranav.csv").read_text().splitlines()[:3]
    ours = csv_out.read_text().splitlines()[:3]
    assert ours == theirs
