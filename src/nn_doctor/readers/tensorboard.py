"""TensorBoard event files (PyTorch, tensorboardX, TF1, TF2/Keras): scalars, histograms, hparams.

What is read from ``events.out.tfevents.*`` files:

* scalars: ``simple_value`` (PyTorch's ``SummaryWriter``, tensorboardX, TF1, Keras) and TF2 tensor
  scalars (a one-element float tensor, plugin ``scalars``);
* histograms (``HistogramProto`` and TF2 ``[k, 3]`` tensors), reduced per step to
  ``<tag>:mean|std|min|max|norm|count|zero_frac`` records (:func:`histogram_stats`);
* hparams plugin data (``_hparams_/session_start_info``) and Lightning's ``hparams.yaml`` → config.

Everything else (images, audio, text, graphs, run metadata, profiler markers) is counted in
``RawRun.ignored``. Layout rules (DECISIONS.md §1) are in :mod:`._tblayout`: all event files
directly in a folder are one run, read in file-name order (a file that restarts the step counter
wins from its restart step); Keras' ``train/`` + ``validation/`` halves are one run whose tags get
a ``train/`` or ``validation/`` prefix; ``add_hparams`` session folders belong to their run.

The work is split by job, one module each:

==================  ==========================================================================
``_tblayout``       which files make up a run (names and listings only)
``_tfrecord``       record framing and CRCs, struct loop (the reference)
``_tfrecord_np``    the same framing vectorized with numpy, for files of many small records
``_tbdecode``       the general decoder (``Event.FromString`` per record)
``_tbfast``         the vectorized decoder of the common scalar layout (general for the rest)
``_tbhisto``        histogram reductions
``_tbhparams``      hparams plugin data and ``hparams.yaml``
``_tbfile``         one file: read, frame, decode, warnings
``_tbrun``          one run: restarts, duplicates, the axis, the records table
==================  ==========================================================================

Protobuf, numpy and pandas are imported inside functions: importing this module stays cheap for
``--help`` and ``formats``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nn_doctor.errors import InputError
from nn_doctor.readers import _tfrecord
from nn_doctor.readers._tbhisto import HISTOGRAM_STATS, histogram_stats, zero_fraction
from nn_doctor.readers._tblayout import (
    HPARAMS_SESSION_GLOB,
    KERAS_HALVES,
    folder_files,
    is_event_file_name,
    keras_half_files,
    writer_id,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from nn_doctor.frame import RawRun
    from nn_doctor.readers._tbdecode import Decoder
    from nn_doctor.readers._tbfile import FileResult
    from nn_doctor.readers._tbrun import RunParts

NAME = "tensorboard"

OWNED_SUBDIRS: tuple[str, ...] = (*KERAS_HALVES, HPARAMS_SESSION_GLOB)


__all__ = [
    "HISTOGRAM_STATS",
    "HPARAMS_SESSION_GLOB",
    "KERAS_HALVES",
    "NAME",
    "OWNED_SUBDIRS",
    "assemble_run",
    "folder_files",
    "histogram_stats",
    "is_event_file_name",
    "keras_half_files",
    "read",
    "sniff",
    "writer_id",
    "zero_fraction",
]


def sniff(path: Path) -> bool:
    """A file named like an event file whose first record header checks out (never raises)."""
    try:
        if not is_event_file_name(path.name) or not path.is_file():
            return False
        with open(path, "rb") as fh:
            head = fh.read(_tfrecord.HEADER_SIZE)
        return _tfrecord.head_is_record(head)
    except (OSError, ValueError):
        return False


def _read_run(
    path: Path,
    read_one: Callable[[Path, str, Decoder], FileResult] | None = None,
    decoder: Decoder | None = None,
) -> RawRun:
    from nn_doctor.readers._common import raw_run
    from nn_doctor.readers._tbdecode import Decoder
    from nn_doctor.readers._tbfile import NO_HEADER, read_file
    from nn_doctor.readers._tbhparams import (
        HP_METRIC,
        HP_METRIC_PLACEHOLDER,
        load_yaml_config,
        merge_config,
    )
    from nn_doctor.readers._tblayout import layout
    from nn_doctor.readers._tbrun import (
        RunParts,
        axis,
        describe_ignored,
        keras_eval_duplicates,
        supersede_restarts,
    )

    files = layout(path)
    if not files.groups and not files.sessions:
        raise InputError(
            f"no TensorBoard event files in {path}",
            hint="point at a folder holding events.out.tfevents.* files, or at one such file",
        )
    read_one = read_one or read_file
    parts = RunParts(decoder or Decoder())
    for prefix, group_files in files.groups:
        results = [read_one(f, prefix, parts.decoder) for f in group_files]
        where = f" in {prefix}" if prefix else ""
        line = supersede_restarts(results, len(parts.decoder.names), where)
        for r in results:
            parts.absorb(r)
        if line:
            parts.warnings.append(line)
    for f in files.sessions:
        parts.absorb(read_one(f, "", parts.decoder))
    _name_sub_writer_tags(parts)

    if parts.unreadable and parts.n_read == 0:
        bad, why = parts.unreadable[0]
        if why == NO_HEADER:
            raise InputError(
                f"not a readable TensorBoard event file: {bad} (no valid record header at byte 0: "
                "another format, or a corrupt first record)",
                hint="if it is another format, pass --input-format NAME",
            )
        raise InputError(why, hint=_hint_for(why))
    for bad, why in parts.unreadable:
        parts.warnings.append(f"{bad.name}: {why}; skipped")

    if (
        parts.hparams
        and HP_METRIC in parts.scalar_tags
        and bool((parts.values_of(HP_METRIC) == HP_METRIC_PLACEHOLDER).all())
    ):
        parts.drop_names({HP_METRIC}, "hp_metric placeholder (-1, logged with the hparams)")
    dups = keras_eval_duplicates(parts.scalar_tags)
    if dups:
        parts.drop_names(
            dups,
            "Keras evaluation_*_vs_iterations values (the validation metrics again, on the "
            "iteration axis)",
        )
    run_axis, axis_warning = axis(parts.scalar_tags)
    if axis_warning:
        parts.warnings.append(axis_warning)
    if parts.tf2_histograms:
        parts.warnings.append(
            f"{parts.tf2_histograms} TF2 histogram(s): mean/std/norm estimated from bucket "
            "centres (TF2 does not store the sums)"
        )

    yaml_config = {}
    if files.hparams_yaml is not None:
        yaml_config = load_yaml_config(files.hparams_yaml, parts.warnings)
        if yaml_config:
            parts.config_sources.append(str(files.hparams_yaml))

    return raw_run(
        NAME,
        path,
        parts.records(),
        files=parts.files,
        config=merge_config(parts.hparams, yaml_config),
        config_sources=parts.config_sources,
        warnings=parts.warnings,
        ignored=describe_ignored(parts.ignored, files.profile_markers),
        axis=run_axis,
    )


def _name_sub_writer_tags(parts: RunParts) -> None:
    """Give the tags read from sub-writer folders their names (``Loss`` in ``Loss_train/`` is
    ``Loss/train``), in the decoder's name table and the run's scalar tags alike."""
    from nn_doctor.readers._tblayout import SUB_WRITER, sub_writer_name

    def settle(name: str) -> str:
        if not name.startswith(SUB_WRITER):
            return name
        folder, _, tag = name[len(SUB_WRITER) :].partition(SUB_WRITER)
        return sub_writer_name(folder, tag)

    names = parts.decoder.names
    if any(n.startswith(SUB_WRITER) for n in names):
        names[:] = [settle(n) for n in names]
        parts.scalar_tags = {settle(t) for t in parts.scalar_tags}


def _hint_for(why: str) -> str | None:
    from nn_doctor.readers._common import size_limit_hint

    return size_limit_hint() if "size limit" in why else "check the path and its permissions"


def assemble_run(
    path: Path, read_one: Callable[[Path, str, Decoder], FileResult], decoder: Decoder
) -> RawRun:
    """The run at ``path`` from files that ``read_one`` hands over already decoded by ``decoder``.

    ``nn-doctor watch`` reads event files incrementally and keeps each file's records; this applies
    the run-level rules (restarts, duplicates, hparams, the axis) to them exactly as :func:`read`
    does, without reading the files again. ``read_one(file, prefix, decoder)`` must return a fresh
    :class:`~._tbfile.FileResult` per call (the restart rule trims its ``cols``).
    """
    return _read_run(path, read_one=read_one, decoder=decoder)


def read(path: Path) -> list[RawRun]:
    """Read one event file, or a run folder (its event files, Keras halves, hparams sessions)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such file or folder: {path}")
    return [_read_run(path)]
