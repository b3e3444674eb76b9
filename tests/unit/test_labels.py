import numpy as np
import pytest

from ethoflow.dlc import pose_dataframe, write_labels
from ethoflow.labels import LabelError, load_label_folders, load_labels, split
from tests.conftest import SHARED_DATA

BODYPARTS = ["snout", "leftear", "rightear", "tailbase"]


def make_folder(project, name, xy, bodyparts=BODYPARTS, images=True):
    folder = project / "labeled-data" / name
    folder.mkdir(parents=True)
    index = [f"labeled-data/{name}/img{i:05d}.png" for i in range(len(xy))]
    if images:
        for i in index:
            (project / i).write_bytes(b"png")
    write_labels(pose_dataframe(xy, None, bodyparts, "me", index), folder, "me")
    return folder


def test_loads_and_keeps_missing_points_missing(tmp_path, rng):
    xy = rng.uniform(0, 100, (5, 4, 2))
    xy[2, 1] = np.nan
    labels = load_labels(make_folder(tmp_path, "v1", xy), BODYPARTS, tmp_path)
    assert labels.images[0] == "labeled-data/v1/img00000.png"
    np.testing.assert_array_equal(labels.xy, xy)
    assert np.isnan(labels.xy[2, 1]).all()


@pytest.mark.parametrize(
    "case, match",
    [
        ("unknown", r"has nose, which are not in the config's bodyparts"),
        ("missing-image", r"labelled image\(s\) not found"),
        ("all-nan", "every coordinate is missing"),
        ("empty-folder", "no CollectedData"),
    ],
    ids=["unknown-bodypart", "missing-image", "all-nan", "empty-folder"],
)
def test_bad_labels_name_the_file(tmp_path, rng, case, match):
    xy = rng.uniform(0, 100, (3, 4, 2))
    if case == "unknown":
        folder = make_folder(tmp_path, "v", xy, ["nose", "leftear", "rightear", "tailbase"])
    elif case == "missing-image":
        folder = make_folder(tmp_path, "v", xy, images=False)
    elif case == "all-nan":
        folder = make_folder(tmp_path, "v", np.full_like(xy, np.nan))
    else:
        folder = tmp_path / "labeled-data" / "v"
        folder.mkdir(parents=True)
    with pytest.raises(LabelError, match=match) as err:
        load_labels(folder, BODYPARTS, tmp_path)
    assert str(folder) in str(err.value)


def test_merge_and_split(tmp_path, rng):
    a = make_folder(tmp_path, "a", rng.uniform(0, 100, (4, 4, 2)))
    b = make_folder(tmp_path, "b", rng.uniform(0, 100, (6, 4, 2)))
    labels = load_label_folders([a, b], BODYPARTS, tmp_path)
    assert len(labels.images) == 10 and labels.images[4].startswith("labeled-data/b/")
    train, test = split(10, 0.8, seed=0)
    assert len(train) == 8 and len(test) == 2 and not set(train) & set(test)
    np.testing.assert_array_equal(train, split(10, 0.8, seed=0)[0])
    assert not np.array_equal(test, split(10, 0.8, seed=0, shuffle=2)[1])


def test_real_dlc_openfield_labels():
    project = SHARED_DATA / "dlc-openfield"
    if not project.exists():
        pytest.skip("shared data not available")
    labels = load_labels(project / "labeled-data" / "m4s1", BODYPARTS, project)
    assert labels.xy.shape == (116, 4, 2) and not np.isnan(labels.xy).any()
    train, test = split(116, 0.95, seed=0)
    assert (len(train), len(test)) == (110, 6)
