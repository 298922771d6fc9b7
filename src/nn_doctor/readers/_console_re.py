"""The regexes that pull ``name, value`` pairs out of one console line.

Kept apart from the reader so the patterns can be read (and tested) on their own. A number is
only taken when nothing glues it to a unit or a clock: ``45.0it/s``, ``3ms/step``, ``5s``,
``01:23`` and ``45%`` are progress, not metrics.
"""

from __future__ import annotations

import re

from nn_doctor.readers._common import metricish

_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)\b"
_END = r"(?![\w/%]|:\d|\.\d)"
_KEY = r"[A-Za-z_][\w./\-]*(?:\([A-Za-z0-9]+\))?"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x08")
_DICT = re.compile(r"\{[^{}]*\}")
_DICT_PAIR = re.compile(rf"""['"]([^'"]+)['"]\s*:\s*(?:tensor\()?({_NUM}){_END}""", re.I)
_ASSIGN = re.compile(rf"(?<![\w./\-])({_KEY})\s*[=:]\s*(?:tensor\()?({_NUM}){_END}", re.I)
_SPACED = re.compile(rf"(?<![\w./\-])({_KEY})\s+({_NUM}){_END}", re.I)
# "F1 Score : 0.56": a whole line naming one value, the name made of words (not "step 1 loss").
_WORD = r"[A-Za-z][\w()./\-]*"
_WHOLE = re.compile(rf"^\s*({_WORD}(?: {_WORD})*)\s*[:=]\s*({_NUM})\s*$", re.I)
# Counters and progress bookkeeping printed in key=value form; not training signals.
_NOT_METRICS = {
    "epoch",
    "epochs",
    "step",
    "global_step",
    "iter",
    "iteration",
    "batch",
    "v_num",
    "eta",
    "time",
    "data_time",
    "it",
    "total",
    "samples",
    "examples",
    "lr_scale",
    "rank",
}


def split_lines(text: str) -> list[str]:
    """Lines of a console capture: ``\\r`` redraws and ANSI colour codes split and removed."""
    return [ln for ln in re.split(r"[\r\n]+", _ANSI.sub("", text)) if ln.strip()]


def pairs_of(line: str) -> list[tuple[str, str]]:
    """``(name, number text)`` pairs in the order printed; [] when the line has no metric."""
    dicts = _DICT.findall(line)
    if dicts:
        found = [(k.strip(), v) for d in dicts for k, v in _DICT_PAIR.findall(d)]
        if found:
            return found
    whole = _WHOLE.match(line)
    if whole and whole.group(1).strip().lower() not in _NOT_METRICS:
        return [(whole.group(1).strip(), whole.group(2))]
    hits: list[tuple[int, str, str]] = []
    taken: list[tuple[int, int]] = []
    for m in _ASSIGN.finditer(line):
        hits.append((m.start(), m.group(1), m.group(2)))
        taken.append(m.span())
    for m in _SPACED.finditer(line):
        if metricish(m.group(1)) and not any(a <= m.start() < b for a, b in taken):
            hits.append((m.start(), m.group(1), m.group(2)))
    hits.sort()
    return [(k, v) for _, k, v in hits if k.lower() not in _NOT_METRICS]
