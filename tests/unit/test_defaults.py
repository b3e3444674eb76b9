"""Defaults are written once, in the config schema: the stage dataclasses agree with it."""

import dataclasses

import pytest

from ethoflow.behaviour.vae import EmbedParams
from ethoflow.config import load_schema, schema_defaults
from ethoflow.demo.simulate import DemoSpec
from ethoflow.face.params import FaceParams
from ethoflow.pose.training import TrainParams
from tests.conftest import REPO

DEFAULTS = schema_defaults(load_schema(REPO / "config" / "schemas" / "config.schema.yaml"))

# (dataclass, its config section, fields that are not config keys, config keys it does not take)
CASES = [
    (TrainParams, ("pose", "train"), {"seed", "flip_pairs"}, set()),
    (FaceParams, ("face",), {"rois"}, {"enabled", "rois", "facemap_proc"}),
    (EmbedParams, ("embed", "model"), {"seed"}, set()),
    (DemoSpec, ("demo",), {"seed", "scorer"}, {"enabled", "outdir", "n_sessions"}),
]


@pytest.mark.parametrize("cls, section, extra_fields, extra_keys", CASES,
                         ids=[c[0].__name__ for c in CASES])
def test_dataclass_defaults_are_the_schema_defaults(cls, section, extra_fields, extra_keys):
    defaults = DEFAULTS
    for key in section:
        defaults = defaults[key]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    assert set(fields) - extra_fields == set(defaults) - extra_keys
    for name, value in defaults.items():
        if name in extra_keys:
            continue
        assert fields[name].default == value, f"{cls.__name__}.{name}: {fields[name].default!r} vs the schema's {value!r}"
