"""detectron2 output/metrics.json: JSON lines keyed by ``iteration`` (total_loss, loss_*, lr).

``JSONWriter`` appends one object per logging period (every 20 iterations by default) and one
per evaluation (``bbox/AP``, ``segm/AP50`` … at the evaluation iteration). A run killed
mid-write leaves a truncated last line: the log is read up to the last complete record, with a
warning. Timing keys (``time``, ``data_time``, ``eta_seconds``) are bookkeeping, not signals.
"""

from __future__ import annotations

import json
from pathlib import Path

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import empty_warning, first_line, load_configs, raw_run, read_text
from nn_doctor.readers._jsonrows import columns, parse_lines, suffix_match
from nn_doctor.readers._wide import to_long

NAME = "detectron2"

_METRICS = "metrics.json"
_DROP = suffix_match(("_time", "eta_seconds"), names=("time",))
# detectron2 dumps the resolved config beside the metrics when asked (cfg.dump()).
_CONFIGS = ("config.yaml",)


def sniff(path: Path) -> bool:
    """A JSON-lines file whose first record has detectron2's ``iteration`` key."""
    if path.suffix.lower() not in {".json", ".jsonl"}:
        return False
    line = first_line(path)
    if not line.lstrip().startswith("{") or '"iteration"' not in line:
        return False
    try:
        rec = json.loads(line)
    except ValueError:
        return False
    return isinstance(rec, dict) and "iteration" in rec


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """``metrics.json`` written by detectron2's JSONWriter."""
    if _METRICS not in names:
        return []
    path = folder / _METRICS
    return [path] if sniff(path) else []


def read(path: Path) -> list[RawRun]:
    """Read metrics.json (given directly or as its folder) as one run; the axis is iterations."""
    metrics = path / _METRICS if path.is_dir() else path
    rows = parse_lines(read_text(metrics))
    cols, warnings, ignored = columns(rows, drop=_DROP)
    long = to_long(cols, len(rows.rows), step_names=("iteration",), epoch_names=())
    config, sources, config_warnings = load_configs([metrics.parent / c for c in _CONFIGS])
    all_warnings = [*config_warnings, *rows.warnings, *warnings, *long.warnings]
    if not len(long.records):
        all_warnings.append(empty_warning(metrics, "no complete record"))
    return [
        raw_run(
            NAME,
            metrics,
            long.records,
            files=[metrics, *map(Path, sources)],
            config=config,
            config_sources=sources,
            warnings=all_warnings,
            ignored=[*ignored, *long.ignored],
            axis=long.axis,
        )
    ]
