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


# A split word printed before a bare metric name ("Train Loss: 0.5 | Val Loss: 0.6", "valid
# loss 5.58"), or heading the whole line ("Test set: Average loss: 0.03"): it names the split.
_SPLIT_WORD = r"(train(?:ing)?|trn|val(?:id(?:ation)?)?|eval(?:uation)?|test|dev)"
_WORD_BEFORE = re.compile(rf"(?:^|[\s|,;\[(]){_SPLIT_WORD}\s+$", re.I)
_LINE_SPLIT = re.compile(rf"^\W*{_SPLIT_WORD}(?:\s+(?:set|data|split))?\s*[:|\-]", re.I)
_HAS_SPLIT = re.compile(rf"^{_SPLIT_WORD}(?:[\s_/.\-]|$)", re.I)


def _with_split(line: str, hits: list[tuple[int, str, str]]) -> list[tuple[str, str]]:
    """Name each hit's split when the line prints it apart from the name (see _SPLIT_WORD)."""
    heading = _LINE_SPLIT.match(line)
    out: list[tuple[str, str]] = []
    for start, key, value in hits:
        if not _HAS_SPLIT.match(key):
            before = _WORD_BEFORE.search(line[:start])
            if before is not None:
                key = f"{before.group(1)} {key}"
            elif heading is not None and key.lower() not in _NOT_METRICS:
                key = f"{heading.group(1)} {key}"
        out.append((key, value))
    return out


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
    return _with_split(line, [h for h in hits if h[1].lower() not in _NOT_METRICS])
