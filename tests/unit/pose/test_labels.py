import numpy as np
import pytest

from ethoflow.exceptions import LabelError
from ethoflow.io.dlc import pose_dataframe
from ethoflow.pose.dataset import split
from ethoflow.pose.labels import load_label_folders, load_labels, write_labels
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


def test_dataset_records_its_split_and_is_reproducible(tmp_path, rng):
    from ethoflow.pose.dataset import make_dataset, read_dataset

    xy = rng.uniform(0, 100, (10, 4, 2))
    xy[3, 2] = np.nan
    a = make_folder(tmp_path, "a", xy[:4])
    b = make_folder(tmp_path, "b", xy[4:])
    out1, out2 = tmp_path / "d1.json", tmp_path / "d2.json"
    make_dataset([b, a], BODYPARTS, tmp_path, out1, 0.8, seed=3, shuffle=2, iteration=1)
    make_dataset([a, b], BODYPARTS, tmp_path, out2, 0.8, seed=3, shuffle=2, iteration=1)
    assert out1.read_bytes() == out2.read_bytes()  # folder order does not matter
    dataset, labels = read_dataset(out1)
    assert dataset["params"] == {"iteration": 1, "shuffle": 2, "training_fraction": 0.8, "seed": 3}
    assert len(dataset["train"]) == 8 and len(dataset["test"]) == 2
    assert sorted(dataset["train"] + dataset["test"]) == list(range(10))
    np.testing.assert_allclose(labels.xy, xy, atol=1e-4)  # NaN stays NaN
    assert len(dataset["label_files"]) == 2
    make_dataset([a, b], BODYPARTS, tmp_path, out2, 0.8, seed=3, shuffle=3, iteration=1)
    assert read_dataset(out2)[0]["test"] != dataset["test"]


def test_machine_labels_merge_into_human_labels(tmp_path, rng):
    from ethoflow.io.dlc import read_pose_table, write_pose_table
    from ethoflow.pose.labels import merge_machine_labels

    human = rng.uniform(0, 100, (3, 4, 2))
    folder = make_folder(tmp_path, "v", human)
    index = ["labeled-data/v/img00001.png", "labeled-data/v/img00007.png"]  # one already labelled
    lik = np.array([[0.9, 0.9, 0.1, 0.9], [0.9, 0.9, 0.9, 0.9]])
    write_pose_table(pose_dataframe(np.full((2, 4, 2), 7.0), lik, BODYPARTS, "net", index),
                     folder / "machinelabels-iter0.h5")
    merge_machine_labels(folder, "me", pcutoff=0.5)
    merged = read_pose_table(folder / "CollectedData_me.h5")
    assert list(merged.index) == [f"labeled-data/v/img0000{i}.png" for i in (0, 1, 2, 7)]
    np.testing.assert_allclose(merged.loc["labeled-data/v/img00001.png"].to_numpy(), human[1].ravel())
    assert merged.loc["labeled-data/v/img00007.png"].to_numpy().tolist() == [7.0] * 8
    with pytest.raises(LabelError, match="no machinelabels"):
        merge_machine_labels(make_folder(tmp_path, "w", human), "me")
