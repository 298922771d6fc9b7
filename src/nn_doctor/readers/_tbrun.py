"""From the event files of one run to one records table: restarts, duplicates, the axis.

Files are decoded one by one (:mod:`._tbfile`); this module applies the rules that need the
whole run: a later file that restarts the step counter wins (:func:`supersede_restarts`), Keras'
``evaluation_*_vs_iterations`` copies and Lightning's ``hp_metric`` placeholder are dropped, and
the step axis is chosen (:func:`axis`). Everything stays in numpy arrays of codes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.readers._tbdecode import Decoded, Decoder
from nn_doctor.readers._tbfile import COLUMN_FIELDS, Columns, FileResult
from nn_doctor.readers._tblayout import KERAS_HALVES, writer_id

if TYPE_CHECKING:
    import pandas as pd

# Keras (TF >= 2.3) also writes each validation metric as ``evaluation_<m>_vs_iterations`` with the
# optimizer iteration as step: the same numbers as ``validation/epoch_<m>`` on another axis.
_KERAS_EVAL_PREFIX = "evaluation_"
_KERAS_EVAL_SUFFIX = "_vs_iterations"


def supersede_restarts(results: list[FileResult], n_names: int, where: str) -> str | None:
    """Apply the restart rule across the event files of one folder; one warning line or None.

    A file restarts a tag when its first step for that tag is below the highest step the earlier
    files logged for it, or equal to it while written by another process (a resumed or re-run
    training that logs its first point at the same step, e.g. Ultralytics' per-epoch steps). The
    later write wins from that step on, per tag, as TensorBoard purges after a restart; earlier
    files' records of that tag at or after that step are dropped here. Equal steps from one
    process (HF's train and eval writers) are not restarts.
    """
    import numpy as np

    if sum(1 for r in results if len(r.cols)) < 2:
        return None  # one file with data cannot restart anything
    big = np.iinfo(np.int64).max
    high = np.full(n_names, np.iinfo(np.int64).min, dtype=np.int64)
    last_writer: list[str | None] = [None] * n_names
    restart_steps: list[int] = []
    dropped = 0
    with_data = 0
    for k, r in enumerate(results):
        cols = r.cols
        if not len(cols):
            continue
        with_data += 1
        writer = writer_id(r.path.name)
        codes, first_idx = np.unique(cols.codes, return_index=True)
        firsts = cols.steps[first_idx]
        seen = high[codes] > np.iinfo(np.int64).min
        back = seen & (firsts < high[codes])
        if writer is not None:
            other = np.array([last_writer[c] != writer for c in codes], dtype=bool)
            back |= seen & other & (firsts == high[codes])
        file_high = np.full(n_names, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(file_high, cols.codes, cols.steps)
        if back.any():
            cut = np.full(n_names, big, dtype=np.int64)
            cut[codes[back]] = firsts[back]
            restart_steps.append(int(firsts[back].min()))
            for earlier in results[:k]:
                keep = earlier.cols.steps < cut[earlier.cols.codes]
                dropped += int((~keep).sum())
                earlier.cols = earlier.cols.keep(keep)
            high[codes[back]] = file_high[codes[back]]
        high = np.maximum(high, file_high)
        for c in codes:
            last_writer[c] = writer
    if not restart_steps:
        return None
    return (
        f"{len(restart_steps)} of {with_data} event files{where} restart the step counter "
        f"(at step {min(restart_steps)}): read as restarts of one run; the later write wins "
        f"({dropped} earlier records superseded)"
    )


def describe_ignored(counts: Counter[str], markers: int) -> list[str]:
    """``"graph_def"``, ``"12 image summaries"`` … for ``RawRun.ignored``."""
    labels = {
        "graph_def": "graph_def",
        "meta_graph_def": "meta_graph_def",
        "tagged_run_metadata": "run metadata",
        "session_log": "session_log",
        "log_message": "log_message",
    }
    out = []
    for key, n in counts.items():
        if key in labels:
            out.append(labels[key] if n == 1 else f"{n} × {labels[key]}")
        else:
            out.append(f"{n} {key}" if n != 1 else f"1 {key.replace('summaries', 'summary')}")
    if markers:
        out.append(f"{markers} profile-empty marker file{'s' if markers != 1 else ''}")
    return out


def keras_eval_duplicates(tags: set[str]) -> set[str]:
    """Keras' ``evaluation_<m>_vs_iterations`` tags that repeat an ``epoch_<m>`` tag beside them."""
    dups = set()
    for tag in tags:
        prefix, _, bare = tag.rpartition("/")
        if bare.startswith(_KERAS_EVAL_PREFIX) and bare.endswith(_KERAS_EVAL_SUFFIX):
            metric = bare[len(_KERAS_EVAL_PREFIX) : -len(_KERAS_EVAL_SUFFIX)]
            if f"{prefix}/epoch_{metric}".lstrip("/") in tags:
                dups.add(tag)
    return dups


def axis(scalar_tags: set[str]) -> tuple[str, str | None]:
    """``"epoch"`` when every scalar tag is a Keras ``epoch_*`` tag (its step is the epoch)."""
    bare = {t.rsplit("/", 1)[-1] if t.split("/", 1)[0] in KERAS_HALVES else t for t in scalar_tags}
    epochy = {t for t in bare if t.startswith("epoch_")}
    if epochy and epochy == bare:
        return "epoch", None
    if epochy:
        others = sorted(bare - epochy)
        shown = ", ".join(others[:3]) + (", …" if len(others) > 3 else "")
        return "step", (
            f"epoch_* tags count epochs but {shown} count other steps; all are read on one "
            "step axis"
        )
    return "step", None


@dataclass
class RunParts:
    """Everything read from the files of one run, before it becomes a :class:`RawRun`."""

    decoder: Decoder
    chunks: list[Columns] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)
    hparams: dict[str, Any] = field(default_factory=dict)
    config_sources: list[str] = field(default_factory=list)
    scalar_tags: set[str] = field(default_factory=set)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    n_read: int = 0
    tf2_histograms: int = 0

    def absorb(self, result: FileResult) -> None:
        """Append one file's records (file order is write order) and what it said."""
        self.files.append(str(result.path))
        self.warnings.extend(result.warnings)
        if result.unreadable:
            self.unreadable.append((result.path, result.unreadable))
            return
        self.n_read += 1
        d = result.decoded
        self.ignored.update(d.ignored)
        self.tf2_histograms += d.tf2_histograms
        self.scalar_tags.update(result.prefix + t for t in d.scalar_tags)
        if d.hparams:
            self.hparams.update(d.hparams)
            self.config_sources.append(f"{result.path} (hparams plugin)")
        if len(result.cols):
            self.chunks.append(result.cols)

    def columns(self) -> Columns:
        import numpy as np

        if not self.chunks:
            return Columns.of(Decoded())
        if len(self.chunks) > 1:
            self.chunks = [
                Columns(
                    *(np.concatenate([getattr(c, f) for c in self.chunks]) for f in COLUMN_FIELDS)
                )
            ]
        return self.chunks[0]

    def drop_names(self, names: set[str], reason: str) -> None:
        """Remove every record of ``names`` and count them in ``ignored`` under ``reason``."""
        import numpy as np

        cols = self.columns()
        drop = np.isin(cols.codes, [self.decoder.code(n) for n in names])
        if drop.any():
            self.ignored[reason] += int(drop.sum())
            self.chunks = [cols.keep(~drop)]
        self.scalar_tags -= names

    def values_of(self, name: str) -> Any:
        cols = self.columns()
        return cols.values[cols.codes == self.decoder.code(name)]

    def records(self) -> pd.DataFrame:
        """One records table for the whole run (a categorical name column)."""
        from nn_doctor.readers._common import records

        c = self.columns()
        table = records(c.steps, c.codes, self.decoder.names, c.values, c.walls)
        table["name"] = table["name"].cat.remove_unused_categories()
        return table
