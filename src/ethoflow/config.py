"""Checking the workflow config against its JSON schema, with messages that name the key."""

from __future__ import annotations

import os
from collections.abc import Mapping

import jsonschema
import yaml

__all__ = ["ConfigError", "check_config"]


class ConfigError(ValueError):
    """The config does not match its schema."""


def _key(path) -> str:
    parts = []
    for p in path:
        parts.append(f"[{p}]" if isinstance(p, int) else f".{p}")
    return "".join(parts).lstrip(".") or "(top level)"


def check_config(config: Mapping, schema_path: str | os.PathLike) -> None:
    """Raise :class:`ConfigError` listing every schema violation by its key.

    Example message: ``config key 'face': unknown key 'sbn' (allowed: chunk_size,
    enabled, ...)`` or ``config key 'face.ncomps': 'many' is not of type 'integer'``.
    """
    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
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
        problems = _check_pose(config.get("pose", {})) + _check_embed(config)
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))


def _check_pose(pose: Mapping) -> list[str]:
    """Cross-key checks the schema cannot express: named bodyparts exist, the inference
    shuffle is trained, pretrained weights exist."""
    problems = []
    parts = pose.get("bodyparts")
    if parts:
        for key in ("skeleton", "flip_pairs"):
            for i, pair in enumerate(pose.get(key, [])):
                unknown = [p for p in pair if p not in parts]
                if unknown:
                    problems.append(f"config key 'pose.{key}[{i}]': {', '.join(unknown)} not in pose.bodyparts")
    shuffles = pose.get("dataset", {}).get("shuffles", [1])
    shuffle = pose.get("inference", {}).get("shuffle", 1)
    if shuffle not in shuffles:
        problems.append(f"config key 'pose.inference.shuffle': {shuffle} is not one of pose.dataset.shuffles {shuffles}")
    pretrained = pose.get("train", {}).get("pretrained", "")
    if pretrained and not os.path.isfile(pretrained):
        problems.append(f"config key 'pose.train.pretrained': no such file {pretrained}")
    if pretrained and pose.get("train", {}).get("backbone", "small") == "small":
        problems.append("config key 'pose.train.pretrained': the small backbone has no pretrained weights; "
                        "set pose.train.backbone: efficientnet_lite0")
    return problems


def _check_embed(config: Mapping) -> list[str]:
    """The embedding's reference bodyparts are pose bodyparts."""
    parts = config.get("pose", {}).get("bodyparts")
    align = config.get("embed", {}).get("align", [])
    unknown = [p for p in align if parts and p not in parts]
    if unknown:
        return [f"config key 'embed.align': {', '.join(unknown)} not in pose.bodyparts ({', '.join(parts)})"]
    if len(align) == 2 and align[0] == align[1]:
        return [f"config key 'embed.align': origin and heading are both '{align[0]}'"]
    return []
