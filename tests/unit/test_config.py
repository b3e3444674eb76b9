import pytest
import yaml

from ethoflow.config import check_config
from ethoflow.exceptions import ConfigError
from tests.conftest import REPO

SCHEMA = REPO / "config" / "schemas" / "config.schema.yaml"


def test_default_config_is_valid():
    check_config(yaml.safe_load((REPO / "config" / "config.yaml").read_text()), SCHEMA)


@pytest.mark.parametrize(
    "config, match",
    [
        ({"face": {"sbn": 4}}, r"config key 'face': unknown key\(s\) 'sbn'"),
        ({"face": {"ncomps": "many"}}, r"config key 'face.ncomps': 'many' is not of type"),
        ({"discover": {"on_bad_video": "skip"}}, r"config key 'discover.on_bad_video': 'skip' is not one of"),
        ({"face": {"rois": [{"name": "eye", "x": [1]}]}}, r"config key 'face.rois\[0\]'"),
        ({"sed": 1}, r"unknown key\(s\) 'sed'"),
        ({"pose": {"bodyparts": ["a", "b"], "skeleton": [["a", "c"]]}}, r"'pose.skeleton\[0\]': c not in pose.bodyparts"),
        ({"pose": {"inference": {"shuffle": 2}}}, r"'pose.inference.shuffle': 2 is not one of pose.dataset.shuffles"),
        ({"pose": {"train": {"pretrained": "/no/such.pth"}}}, r"'pose.train.pretrained': no such file"),
        ({"pose": {"train": {"maxiter": 5}}}, r"'pose.train': unknown key\(s\) 'maxiter'"),
    ],
    ids=["typo", "type", "enum", "roi", "top-level", "skeleton", "shuffle", "pretrained", "pose-typo"],
)
def test_violations_name_the_key(config, match):
    with pytest.raises(ConfigError, match=match):
        check_config(config, SCHEMA)
