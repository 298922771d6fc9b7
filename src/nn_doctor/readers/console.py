"""Plain console logs (stdout captures) when nothing structured is present (DECISIONS.md §10).

A few regexes, no per-framework parser: ``step 100 loss=0.5 lr=1e-3``, ``Epoch 3/200 | Loss:
0.52``, ``epoch 3 train_loss 0.4 val_loss 0.5``, printed HF dicts ``{'loss': 0.5, 'epoch':
0.1}``, Keras and Lightning progress lines. A step or epoch counter carries over to the lines
after it (Keras prints ``Epoch 3/10`` on its own line); when a counter value repeats, the last
value of a metric wins (progress bars redraw running means). Lines without a metric are
skipped, and metric lines after the last counter whose names never appeared before (a final
test report) are listed as ignored rather than glued onto the last epoch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import (
    claimed_files,
    empty_warning,
    peek,
    raw_run,
    read_text,
    records,
    token_value,
)
from nn_doctor.readers._console_re import pairs_of, split_lines

if TYPE_CHECKING:
    import pandas as pd

NAME = "console"

_SUFFIXES = {".log", ".txt", ".out", ".err", ".stdout"}
_EPOCH = re.compile(r"\bepoch\b\s*[:=#\[]?\s*(\d+)(?:\s*/\s*\d+)?", re.I)
_STEP = re.compile(
    r"\b(?:global[_ ]step|step|iteration|iter|batch)\b\s*[:=#\[]?\s*(\d+)(?:\s*/\s*(\d+))?"
    r"|\b(\d+)\s*/\s*(\d+)\s+batches\b",  # word_language_model: "| 200/ 2983 batches |"
    re.I,
)
_MIN_LINES = 3
_DICT_START = re.compile(r"\{\s*['\"]")
# Structured or prose files are never console captures, whatever their lines look like.
_STRUCTURED = {
    ".yaml",
    ".yml",
    ".json",
    ".jsonl",
    ".ndjson",
    ".md",
    ".rst",
    ".py",
    ".ipynb",
    ".html",
    ".xml",
    ".toml",
    ".cfg",
    ".ini",
    ".csv",
    ".tsv",
    ".tex",
}


@dataclass
class _Line:
    step: int | None
    epoch: int | None
    own_counter: bool
    pairs: list[tuple[str, str]]


# ``print(args)`` of an argparse result: ``Namespace(lr=0.001, batch_size=64, model='mlp')``
_NAMESPACE = re.compile(r"\bNamespace\((.*)\)\s*$")


def printed_args(line: str) -> dict[str, object] | None:
    """The literal keyword values of a printed ``argparse.Namespace``, or None for other lines.

    Research scripts print their parsed arguments at the top of the log: the run's config, as
    plain Python literals. Only literals are taken (``ast.literal_eval``, never evaluated
    code); a value that is not one (``device=device(type='cpu')``) is left out.
    """
    m = _NAMESPACE.search(line)
    if m is None:
        return None
    import ast

    try:
        call = ast.parse(f"f({m.group(1)})", mode="eval").body
    except (SyntaxError, ValueError):
        return None
    assert isinstance(call, ast.Call)
    out: dict[str, object] = {}
    for kw in call.keywords:
        if kw.arg is None:
            continue
        try:
            out[kw.arg] = ast.literal_eval(kw.value)
        except (ValueError, SyntaxError, TypeError):
            continue
    return out


_NAME_TOKEN = re.compile(r"^[A-Za-z_][\w.\-/]*$")


def _table_header(line: str) -> list[str] | None:
    """The header of a printed epoch table (fastai's ``epoch train_loss valid_loss accuracy
    time``): names only, led by ``epoch``, at least one of them a metric."""
    tokens = line.split()
    if len(tokens) < 3 or tokens[0].lower() != "epoch":
        return None
    if not all(_NAME_TOKEN.match(t) for t in tokens):
        return None
    from nn_doctor.readers._common import metricish

    return tokens if any(metricish(t) for t in tokens[1:]) else None


def _table_row(line: str, header: list[str] | None) -> _Line | None:
    """A row under a table header: as many cells, the first an epoch number; the numeric cells
    are the metrics (a ``00:10`` time is not)."""
    if header is None:
        return None
    cells = line.split()
    if len(cells) != len(header) or not cells[0].isdigit():
        return None
    # fastai computes the table's metrics on the validation set: beside a valid_loss, a metric
    # printed without a split (accuracy, error_rate) is a validation one
    lows = [h.lower() for h in header]
    held_out = "valid_loss" in lows or "val_loss" in lows
    names = [
        f"valid_{h}" if held_out and not h.lower().startswith(("train", "val")) else h
        for h in header[1:]
    ]
    pairs = [(h, c) for h, c in zip(names, cells[1:], strict=True) if token_value(c) is not None]
    return _Line(None, int(cells[0]), True, pairs)


def _scan(text: str) -> list[_Line]:
    """Metric lines with the counters in force where they were printed (not printed args).

    A step counter that starts again with each epoch (``Epoch [2/5], Step [100/600]``) is made
    global: when it falls back as the epoch moves on, the epoch's length (the printed total,
    else the last step seen) is added to every step after.
    """
    out: list[_Line] = []
    step: int | None = None
    epoch: int | None = None
    raw_last: int | None = None
    offset = 0
    header: list[str] | None = None
    for line in split_lines(text):
        if "Namespace(" in line and printed_args(line) is not None:
            continue
        row = _table_row(line, header)
        if row is not None:
            epoch = row.epoch
            out.append(row)
            continue
        header = _table_header(line) or header
        m_epoch, m_step = _EPOCH.search(line), _STEP.search(line)
        if m_epoch:
            epoch = int(m_epoch.group(1))
        if m_step:
            raw = int(m_step.group(1) or m_step.group(3))
            total = m_step.group(2) or m_step.group(4)
            if raw_last is not None and raw < raw_last and epoch is not None:
                offset += int(total) if total else raw_last
            raw_last = raw
            step = offset + raw
        pairs = pairs_of(line)
        if pairs:
            out.append(_Line(step, epoch, bool(m_epoch or m_step), pairs))
        elif m_epoch or m_step:
            out.append(_Line(step, epoch, True, []))
    return out


def _looks_like_log(text: str) -> bool:
    """At least a few metric lines under a counter that moves on, or a few printed dicts."""
    lines = _scan(text)
    counted = [
        (ln.step, ln.epoch) for ln in lines if ln.pairs and (ln.step, ln.epoch) != (None, None)
    ]
    if len(counted) >= _MIN_LINES and len(set(counted)) >= 2:
        return True
    dict_lines = sum(1 for ln in split_lines(text) if _DICT_START.search(ln) and pairs_of(ln))
    return dict_lines >= _MIN_LINES


def sniff(path: Path) -> bool:
    """A text file in which at least a few lines carry a metric and a step/epoch counter."""
    if path.suffix.lower() in _STRUCTURED:
        return False
    head = peek(path, 65536)
    return bool(head) and _looks_like_log(head)


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """Text logs (``*.log``, ``*.txt``, ``*.out``) in the folder that read as training logs."""
    return [
        folder / n
        for n in sorted(names)
        if Path(n).suffix.lower() in _SUFFIXES and (folder / n).is_file() and sniff(folder / n)
    ]


def _trailing_report(lines: list[_Line]) -> set[int]:
    """Indices of metric lines after the last counter whose names are all new (a test report)."""
    last = max((i for i, ln in enumerate(lines) if ln.own_counter), default=-1)
    known = {k for ln in lines[: last + 1] for k, _ in ln.pairs}
    if last < 0 or not known:
        return set()
    return {
        i
        for i in range(last + 1, len(lines))
        if lines[i].pairs
        and not lines[i].own_counter
        and not ({k for k, _ in lines[i].pairs} & known)
    }


def read(path: Path) -> list[RawRun]:
    """Read a console log (or every console log in a folder)."""
    if path.is_dir():
        files = claimed_files(path, folder_files)
        return [run for f in files for run in read(f)]
    text = read_text(path)
    config: dict[str, object] = {}
    if "Namespace(" in text:
        # the first printed Namespace: the arguments the script was started with
        config = next((a for a in map(printed_args, split_lines(text)) if a is not None), config)
    lines = _scan(text)
    warnings: list[str] = []
    ignored: list[str] = []
    has_step = any(ln.step is not None and ln.pairs for ln in lines)
    has_epoch = any(ln.epoch is not None and ln.pairs for ln in lines)
    axis = "epoch" if has_epoch and not has_step else "step"
    report = _trailing_report(lines)
    if report:
        names = sorted({k for i in report for k, _ in lines[i].pairs})
        ignored.append(
            f"lines after the last epoch/step with new names (a final report?): {', '.join(names)}"
        )
    steps: list[int] = []
    names_seen: dict[str, int] = {}
    codes: list[int] = []
    values: list[float] = []
    ordinal, before_counter, last_epoch_step = 0, 0, None
    for i, ln in enumerate(lines):
        if not ln.pairs or i in report:
            continue
        if has_step or has_epoch:
            x = ln.step if has_step else ln.epoch
            if x is None:
                before_counter += 1
                continue
        else:
            keys = [k.lower() for k, _ in ln.pairs if k.lower() != "epoch"]
            evaluation = all(k.startswith(("eval", "val", "test")) for k in keys)
            ordinal += 0 if evaluation and ordinal else 1
            x = ordinal
        pairs = list(ln.pairs)
        if has_step and ln.epoch is not None and (x, ln.epoch) != last_epoch_step:
            pairs.insert(0, ("epoch", str(ln.epoch)))  # the counter is a metric beside steps
            last_epoch_step = (x, ln.epoch)
        for key, raw in pairs:
            v = token_value(raw)
            if v is None:
                continue
            steps.append(x)
            codes.append(names_seen.setdefault(key, len(names_seen)))
            values.append(v)
    if before_counter:
        ignored.append(f"{before_counter} metric line(s) before the first step/epoch counter")
    if not (has_step or has_epoch) and steps:
        warnings.append(
            "no step or epoch counter in the text: steps are the order of the log lines"
        )
    recs = _last_wins(records(steps, codes, list(names_seen), values))
    if not len(recs):
        warnings.append(empty_warning(path, "no line with a metric"))
    sources = [f"{path.name} (printed arguments)"] if config else []
    return [
        raw_run(
            NAME,
            path,
            recs,
            warnings=warnings,
            ignored=ignored,
            axis=axis,
            config=config,
            config_sources=sources,
        )
    ]


def _last_wins(recs: pd.DataFrame) -> pd.DataFrame:
    """Keep the last value of a metric per counter value (progress bars redraw running means)."""
    if not len(recs):
        return recs
    keep = ~recs.duplicated(["step", "name"], keep="last").to_numpy()
    return recs[keep].reset_index(drop=True) if not keep.all() else recs
