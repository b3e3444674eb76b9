import numpy as np
import pytest
import torch

from ethoflow.exceptions import LabelError
from ethoflow.pose.dataset import make_dataset
from ethoflow.pose.evaluation import evaluate
from ethoflow.pose.metrics import error_table
from ethoflow.pose.network import PoseNet
from ethoflow.pose.training import TrainParams
from tests.unit.pose.test_labels import BODYPARTS, make_folder


def test_error_table_means_and_pcutoff():
    err = np.array([[1.0, 3.0], [np.nan, 5.0], [2.0, 4.0]])
    lik = np.array([[0.9, 0.1], [0.9, 0.9], [0.2, 0.9]])
    table = error_table(err, lik, np.array([0, 1]), np.array([2]), ["a", "b"], pcutoff=0.5)
    row = table.set_index("bodypart")
    assert row.loc["all", "train_error_px"] == pytest.approx(3.0)  # (1 + 3 + 5) / 3, NaN left out
    assert row.loc["all", "train_error_pcutoff_px"] == pytest.approx(3.0)  # (1 + 5) / 2
    assert row.loc["all", "test_error_px"] == pytest.approx(3.0)
    assert row.loc["all", "test_error_pcutoff_px"] == pytest.approx(4.0)
    assert row.loc["a", "train_n"] == 1 and row.loc["b", "train_n_pcutoff"] == 1


def test_evaluate_writes_the_error_table(tmp_path, rng):
    cv2 = pytest.importorskip("cv2")
    xy = rng.uniform(4, 28, (6, 4, 2))
    folder = make_folder(tmp_path, "v", xy, images=False)
    for i in range(6):
        cv2.imwrite(str(folder / f"img{i:05d}.png"), np.full((32, 32, 3), 80, np.uint8))
    make_dataset([folder], BODYPARTS, tmp_path, tmp_path / "d.json", 0.5, seed=0)
    torch.save({"model": PoseNet(4, 4).state_dict(), "bodyparts": BODYPARTS, "width": 4,
                "params": {**TrainParams().__dict__, "maxiters": 7}}, tmp_path / "m.pt")
    result = evaluate(tmp_path / "m.pt", tmp_path / "d.json", tmp_path, tmp_path / "e.csv", 0.6, "cpu")
    text = (tmp_path / "e.csv").read_text()
    assert '"training_iterations": 7' in text and "train_error_px" in text
    assert len(result["table"]) == 5 and np.isfinite(result["table"].train_error_px[0])
    (folder / "img00002.png").unlink()
    with pytest.raises(LabelError, match="img00002.png: labelled image missing"):
        evaluate(tmp_path / "m.pt", tmp_path / "d.json", tmp_path, tmp_path / "e.csv", 0.6, "cpu")
