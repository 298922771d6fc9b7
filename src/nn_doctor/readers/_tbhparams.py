"""A TensorBoard run's config: the hparams plugin's session data and Lightning's ``hparams.yaml``.

``SummaryWriter.add_hparams`` and Lightning's logger write the hyper-parameters as an
``HParamsPluginData`` proto inside a summary's plugin metadata (tag ``_hparams_/session_start_
info``); Lightning also writes them, typed and nested, to ``hparams.yaml`` beside the events.
Both are read here and merged (the YAML wins). The YAML goes through :mod:`nn_doctor.readers.
hparams`, whose loader is a ``SafeLoader``: a config file never constructs Python objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Lightning's TensorBoardLogger logs ``hp_metric = -1`` with the hparams as a placeholder
# (``default_hp_metric=True``); it is not a measurement.
HP_METRIC = "hp_metric"
HP_METRIC_PLACEHOLDER = -1.0


def pb_value(v: Any) -> Any:
    """A ``google.protobuf.Value`` (hparams) as a plain Python value."""
    kind = v.WhichOneof("kind")
    if kind == "number_value":
        return v.number_value
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "list_value":
        return [pb_value(x) for x in v.list_value.values]
    if kind == "struct_value":
        return {k: pb_value(x) for k, x in v.struct_value.fields.items()}
    return None


def session_hparams(content: bytes, parse: Any) -> dict[str, Any] | None:
    """The hparams of a ``session_start_info`` plugin payload (``{}`` for other hparams data).

    ``parse`` is ``HParamsPluginData.FromString``. ``None`` means the payload is not a valid
    proto (counted by the caller as unreadable hparams data).
    """
    from google.protobuf.message import DecodeError

    try:
        data = parse(content)
    except DecodeError:
        return None
    if data.WhichOneof("data") != "session_start_info":
        return {}
    return {key: pb_value(value) for key, value in data.session_start_info.hparams.items()}


def merge_config(tb_hparams: dict[str, Any], yaml_config: dict[str, Any]) -> dict[str, Any]:
    """TensorBoard hparams overlaid by ``hparams.yaml`` (typed and nested, so it wins).

    Lightning logs nested hparams to TensorBoard flattened with ``/`` (``model/d_model``); such a
    key is dropped when the YAML holds the same path, so a value does not appear twice.
    """
    config = {k: v for k, v in tb_hparams.items() if not _yaml_has(yaml_config, k)}
    config.update(yaml_config)
    return config


def _yaml_has(tree: dict[str, Any], key: str) -> bool:
    node: Any = tree
    for part in key.split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def load_yaml_config(path: Path, warnings: list[str]) -> dict[str, Any]:
    """``hparams.yaml`` as a dict; a broken file is a warning (the events are still worth it)."""
    from nn_doctor.readers.hparams import load_config_file

    try:
        return load_config_file(path)
    except Exception as exc:  # any YAML/encoding problem: the events are still worth reading
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        warnings.append(f"{path.name}: not readable as YAML ({first}); config from it ignored")
        return {}
