"""TensorBoard's protobuf message classes, from tensorboardX's compiled protos, without its weight.

``import tensorboardX.proto.event_pb2`` first runs ``tensorboardX/__init__.py``, which imports its
writer and, through it, PyTorch when it is installed: about 2 s here, for a CLI whose whole job on
a small log takes milliseconds (PERF-NOTES: start-up is a visible part of a small job). Every
PyTorch user would pay it.

So the serialized ``FileDescriptorProto`` each generated ``*_pb2.py`` of tensorboardX carries is
read from its source (a bytes literal, found with :mod:`ast`; nothing is executed) and added to a
*private* descriptor pool, and protobuf builds the message classes from it. These are exactly
tensorboardX's compiled messages, and the private pool never clashes with a real
``import tensorboardX`` in the same process. If anything about that fails (a future tensorboardX
laid out differently), the classes come from the normal, slow import instead.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# tensorboardX/proto modules we need, dependencies first.
_PROTO_MODULES = (
    "resource_handle",
    "tensor_shape",
    "types",
    "tensor",
    "summary",
    "event",
    "api",
    "plugin_hparams",
)


@dataclass(frozen=True)
class Protos:
    """The message classes the TensorBoard reader decodes with."""

    Event: Any
    HParamsPluginData: Any
    source: str  # "descriptors" (private pool) or "import" (the slow fallback)


def _serialized_descriptor(pb2_source: str) -> bytes:
    """The ``FileDescriptorProto`` bytes a generated ``*_pb2.py`` registers (never executed)."""
    for node in ast.walk(ast.parse(pb2_source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "AddSerializedFile" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, bytes):
                return arg.value
        for kw in node.keywords:  # older protoc output: FileDescriptor(serialized_pb=b"...")
            value = getattr(kw.value, "value", None)
            if kw.arg == "serialized_pb" and isinstance(value, bytes):
                return value
    raise LookupError("no serialized descriptor found")


def _from_descriptors() -> Protos:
    from google.protobuf import descriptor_pool, message_factory, struct_pb2

    spec = importlib.util.find_spec("tensorboardX")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise LookupError("tensorboardX is not installed")
    proto_dir = Path(next(iter(spec.submodule_search_locations))) / "proto"
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(struct_pb2.DESCRIPTOR.serialized_pb)
    for module in _PROTO_MODULES:
        source = (proto_dir / f"{module}_pb2.py").read_text(encoding="utf-8")
        pool.AddSerializedFile(_serialized_descriptor(source))
    return Protos(
        Event=message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorboardX.Event")),
        HParamsPluginData=message_factory.GetMessageClass(
            pool.FindMessageTypeByName("tensorboardX.hparam.HParamsPluginData")
        ),
        source="descriptors",
    )


def _from_import() -> Protos:
    from tensorboardX.proto import event_pb2, plugin_hparams_pb2

    return Protos(event_pb2.Event, plugin_hparams_pb2.HParamsPluginData, "import")


@functools.cache
def protos() -> Protos:
    """The message classes (built once per process)."""
    try:
        return _from_descriptors()
    except Exception:  # any layout surprise: the regular import is slow but always right
        return _from_import()
