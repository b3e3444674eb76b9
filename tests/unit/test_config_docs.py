"""config/README.md describes every key of the config schema."""

from ethoflow.config import load_schema
from tests.conftest import REPO


def keys(prop: dict, prefix: str = ""):
    for key, sub in prop.get("properties", {}).items():
        if sub.get("type") == "object" and "properties" in sub:
            yield from keys(sub, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def test_every_schema_key_is_described():
    schema = load_schema(REPO / "config" / "schemas" / "config.schema.yaml")
    text = (REPO / "config" / "README.md").read_text()
    missing = [k for k in keys(schema) if f"`{k}`" not in text]
    assert not missing, f"config/README.md does not describe {missing}"
