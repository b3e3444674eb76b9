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
        ({"pose": {"train": {"backbone": "resnet_50", "pretrained": "/no/such.pth"}}},
         r"'pose.train.pretrained': no such file"),
        ({"pose": {"train": {"pretrained": "imagenet"}}}, r"'pose.train.pretrained': the small backbone has no"),
        ({"pose": {"train": {"backbone": "resnet_50", "pretrained": "imagenet"}}},
         r"'pose.train.pretrained': imagenet: no installed package ships ImageNet weights for resnet_50"),
        ({"pose": {"train": {"maxiter": 5}}}, r"'pose.train': unknown key\(s\) 'maxiter'"),
    ],
    ids=["typo", "type", "enum", "roi", "top-level", "skeleton", "shuffle", "pretrained", "small-pretrained",
         "imagenet-resnet", "pose-typo"],
)
def test_violations_name_the_key(config, match):
    with pytest.raises(ConfigError, match=match):
        check_config(config, SCHEMA)


def test_defaults_are_filled_in_before_the_checks_across_keys():
    """A config that names only its bodyparts still gets the embedding's default reference
    points, which it lacks: caught, with the key (however the workflow was started)."""
    with pytest.raises(ConfigError, match=r"'embed.align': bodycentre, neck not in pose.bodyparts"):
        check_config({"pose": {"bodyparts": ["snout", "tailbase"]}}, SCHEMA)
    check_config({"pose": {"bodyparts": ["snout", "tailbase"]}, "embed": {"enabled": False}}, SCHEMA)


def test_config_slice_keeps_the_config_shape():
    from ethoflow.config import config_slice

    config = {"seed": 1, "pose": {"frames": {"n": 2}, "train": {"lr": 0.1}}}
    piece = config_slice(config, ["pose.frames", "seed"])
    assert piece == {"pose": {"frames": {"n": 2}}, "seed": 1}
    piece["pose"]["frames"]["n"] = 3
    assert config["pose"]["frames"]["n"] == 2  # a copy


def test_the_last_runs_config(tmp_path):
    from ethoflow.config import fill_defaults, last_run_note, load_schema, save_run_config

    config = fill_defaults({}, load_schema(SCHEMA))
    path = tmp_path / "results" / "config.yaml"
    assert last_run_note(config, path) is None
    save_run_config(config, path)
    assert last_run_note(config, path) is None
    changed = {**config, "face": {**config["face"], "ncomps": 3}}
    assert "differs at face.ncomps" in last_run_note(changed, path)
    with pytest.raises(ConfigError, match="made with another config.*face.ncomps"):
        last_run_note(changed, path, report=True)
