"""Find the runs under the audited folders, and apply ``--include``/``--exclude``.

Detection is the readers' own (:func:`nn_doctor.readers.discover`): a folder holding a
recognized log is a run, sub-layouts belong to it, symlink loops are survived. This module adds
what only a batch needs: several roots (overlapping roots list a run once), a root that does not
exist is reported instead of stopping the others, and glob filters.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nn_doctor.readers import RunSource


@dataclass
class Discovery:
    """What the walk found: run sources in path order, and the roots that could not be walked."""

    sources: list[RunSource] = field(default_factory=list)
    root_errors: list[tuple[str, str, str | None]] = field(default_factory=list)  # path, msg, hint
    filtered_out: int = 0


def _candidates(rel: str) -> list[str]:
    """The strings a glob is tried against: the relative path, each tail of it, each component.

    Like ``.gitignore`` without the anchoring rules: ``lightning_logs/*`` matches
    ``exp/lightning_logs/version_0``, ``broken`` matches any run inside a folder named
    ``broken``, and ``*diverged*`` matches anywhere in the path (``*`` crosses ``/``).
    """
    parts = PurePosixPath(rel).parts
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    return [rel, *tails, *parts]


def matches(rel: str, patterns: Iterable[str]) -> bool:
    """Whether any glob in ``patterns`` matches the run at relative path ``rel``."""
    cands = _candidates(rel)
    return any(fnmatch.fnmatchcase(c, p.rstrip("/")) for p in patterns for c in cands)


def _relative(source: Path, root: Path) -> str:
    try:
        rel = source.relative_to(root).as_posix()
    except ValueError:
        rel = source.as_posix()
    return rel if rel != "." else source.name


def find_sources(
    roots: Sequence[Path],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    input_format: str | None = None,
) -> Discovery:
    """Every run source under ``roots``, each once, filtered by the globs."""
    from nn_doctor.errors import NnDoctorError
    from nn_doctor.readers import discover

    out = Discovery()
    seen: set[tuple[str, str]] = set()
    for root in roots:
        try:
            found = discover(root, input_format=input_format)
        except NnDoctorError as exc:
            out.root_errors.append((str(root), exc.message, exc.hint))
            continue
        for source in found:
            key = (source.reader, os.path.realpath(source.path))
            if key in seen:
                continue
            seen.add(key)
            rel = _relative(source.path, root)
            if (include and not matches(rel, include)) or (exclude and matches(rel, exclude)):
                out.filtered_out += 1
                continue
            out.sources.append(source)
    return out
