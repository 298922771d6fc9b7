"""Read config / hyper-parameter files safely: YAML (never constructing objects) and JSON.

Lightning's ``hparams.yaml`` is sometimes full of ``!!python/object`` tags (a pickled model
config written by ``save_hyperparameters``). ``yaml.safe_load`` refuses those files outright;
we read what a safe loader can by turning every unknown tag into plain data (its mapping,
sequence or scalar) without ever importing or constructing the tagged Python object.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml


class _TolerantSafeLoader(yaml.SafeLoader):
    """SafeLoader that reads unknown tags (``!!python/object:...``) as plain data."""


def _construct_unknown(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_TolerantSafeLoader.add_multi_constructor("", _construct_unknown)  # type: ignore[no-untyped-call]


def load_yaml(path: Path) -> Any:
    """Parse a YAML file with a safe loader that tolerates (and never runs) Python tags."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        return yaml.load(fh, Loader=_TolerantSafeLoader)


def _nan_constant(name: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]


def load_json(path: Path) -> Any:
    """Parse JSON that may hold bare ``NaN``/``Infinity`` tokens (Python's json accepts them)."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        return json.load(fh, parse_constant=_nan_constant)


def load_config_file(path: Path) -> dict[str, Any]:
    """Load a YAML or JSON config file into a dict ({} when it holds no mapping)."""
    data = load_json(path) if path.suffix.lower() == ".json" else load_yaml(path)
    return data if isinstance(data, dict) else {}
