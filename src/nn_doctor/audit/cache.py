"""Remember each run's diagnosis, keyed on its files' sizes and modification times.

Re-auditing a tree then reads only what changed. What a cached entry depends on:

- the **files**: every entry directly in the run folder (files by size and ``mtime_ns``, folders
  by ``mtime_ns``, so a new event file, a new ``checkpoint-N/`` or a removed log all count) plus
  every file the reader actually read elsewhere (Keras' ``train/``/``validation/`` halves, HF's
  latest checkpoint, config files). A change to any of them is a miss;
- the **stamp**: nn-doctor's version, a hash of its own source files (so a development checkout
  never serves results of older code), a hash of the *loaded* rules (built-in and the user's,
  after config overrides, ``--select``/``--ignore``), and every setting that changes a result
  (aliases, ``--set``/``--hparams`` facts, ``report_at``, ``--lang``, ``--input-format``).

The cache lives outside the audited tree (inputs are never modified, nothing is created next to
them): ``--cache-dir``, else ``$NN_DOCTOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/nn-doctor``, else
``~/.cache/nn-doctor``. It is one SQLite file, written only by the parent process; a cache that
cannot be opened or written degrades to no cache with a warning, never to a failed audit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nn_doctor.audit.worker import SourceResult
    from nn_doctor.engine.model import Rule
    from nn_doctor.readers import RunSource

DB_NAME = "audit-cache-v1.sqlite"
#: Entries not used for this long are dropped when a cache is closed.
MAX_AGE_S = 30 * 24 * 3600


def default_dir() -> Path:
    """Where the cache lives unless ``--cache-dir`` says otherwise."""
    env = os.environ.get("NN_DOCTOR_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "nn-doctor"


def _stamp_of(st: os.stat_result, is_dir: bool) -> list[Any]:
    return ["d", st.st_mtime_ns] if is_dir else [st.st_size, st.st_mtime_ns]


def probe(path: Path) -> dict[str, list[Any]]:
    """Stat stamps of a run: the file itself, or every entry directly in its folder."""
    absolute = os.path.abspath(path)
    try:
        if not os.path.isdir(absolute):
            return {absolute: _stamp_of(os.stat(absolute), False)}
        out: dict[str, list[Any]] = {absolute: _stamp_of(os.stat(absolute), True)}
        with os.scandir(absolute) as it:
            for entry in it:
                try:
                    is_dir = entry.is_dir()
                    out[entry.path] = _stamp_of(entry.stat(), is_dir)
                except OSError:
                    out[entry.path] = ["?"]
        return out
    except OSError:
        return {absolute: ["?"]}


def stat_stamps(files: Iterable[str]) -> dict[str, list[Any]]:
    """Stat stamps of individual files (a missing file gets a stamp that never matches)."""
    out: dict[str, list[Any]] = {}
    for f in files:
        absolute = os.path.abspath(f)
        try:
            out[absolute] = _stamp_of(os.stat(absolute), False)
        except OSError:
            out[absolute] = ["?"]
    return out


def _still_valid(source: RunSource, deps: dict[str, list[Any]]) -> bool:
    now = probe(source.path)
    if any(deps.get(k) != v or v == ["?"] for k, v in now.items()):
        return False  # an entry changed, appeared or cannot be read
    others = [k for k in deps if k not in now]
    return all(stat_stamps([k]).get(os.path.abspath(k)) == deps[k] for k in others)


def _package_hash() -> str:
    """The content of nn-doctor's own modules: a code change invalidates the cache.

    Content, not mtimes: a reinstall or a ``touch`` keeps the cache, an edit does not (a few
    milliseconds for the whole package).
    """
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        try:
            data = p.read_bytes()
        except OSError:
            continue
        h.update(f"{p.relative_to(root).as_posix()}:{len(data)}\n".encode())
        h.update(data)
    return h.hexdigest()


def rules_hash(rules: Sequence[Rule]) -> str:
    """A hash of the loaded rules (ids, thresholds, weights, texts): any change invalidates."""
    import dataclasses

    data = [dataclasses.asdict(r) for r in rules]
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def stamp(
    rules: Sequence[Rule], settings_facts: dict[str, Any], *, version: str | None = None
) -> str:
    """The cache stamp: entries made under another stamp are never served."""
    from nn_doctor import __version__

    payload = {
        "version": version or __version__,
        "code": _package_hash(),
        "rules": rules_hash(rules),
        "settings": settings_facts,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _key(source: RunSource) -> str:
    # The path as given is part of the key: cached rows carry it as their "path".
    return f"{source.reader}\0{os.path.abspath(source.path)}\0{source.path}"


class AuditCache:
    """The SQLite store: ``get`` before dispatching a run, ``put`` when its result comes back."""

    def __init__(self, folder: Path, stamp: str) -> None:
        self.folder = folder
        self.stamp = stamp
        self.hits = 0
        self.warning: str | None = None
        self._pending = 0
        self._db: sqlite3.Connection | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(folder / DB_NAME, timeout=30)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, stamp TEXT, "
                "deps TEXT, runs BLOB, used REAL)"
            )
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            self._disable(f"cache disabled ({folder}): {exc}")

    def _disable(self, why: str) -> None:
        self.warning = why
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None

    @property
    def enabled(self) -> bool:
        """Whether the cache could be opened."""
        return self._db is not None

    def knows_stamp(self) -> bool:
        """Whether any entry was made under this stamp (else every run is a miss)."""
        if self._db is None:
            return False
        try:
            row = self._db.execute(
                "SELECT 1 FROM runs WHERE stamp = ? LIMIT 1", (self.stamp,)
            ).fetchone()
        except sqlite3.Error:
            return False  # get() reports what is wrong
        return row is not None

    def get(self, source: RunSource) -> SourceResult | None:
        """The stored result of ``source`` if none of its files changed, else None."""
        from nn_doctor.audit.worker import SourceResult

        if self._db is None:
            return None
        try:
            row = self._db.execute(
                "SELECT deps, runs FROM runs WHERE key = ? AND stamp = ?",
                (_key(source), self.stamp),
            ).fetchone()
        except sqlite3.Error as exc:
            self._disable(f"cache disabled: {exc}")
            return None
        if row is None:
            return None
        deps = json.loads(row[0])
        if not _still_valid(source, deps):
            return None
        runs = json.loads(zlib.decompress(row[1]).decode("utf-8"))
        self.hits += 1
        return SourceResult(
            reader=source.reader, path=str(source.path), runs=runs, deps=deps, cached=True
        )

    def put(self, source: RunSource, result: SourceResult) -> None:
        """Store a fresh result (results with an internal error or a racing write are not)."""
        if self._db is None or result.deps is None or result.cached:
            return
        blob = zlib.compress(json.dumps(result.runs).encode("utf-8"), 1)
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?)",
                (_key(source), self.stamp, json.dumps(result.deps), blob, time.time()),
            )
            self._pending += 1
            if self._pending >= 500:
                self.flush()
        except sqlite3.Error as exc:
            self._disable(f"cache disabled: {exc}")

    def touch(self, sources: Iterator[RunSource] | Sequence[RunSource]) -> None:
        """Mark hits as used, so that pruning keeps what is still being audited."""
        if self._db is None:
            return
        now = time.time()
        try:
            self._db.executemany(
                "UPDATE runs SET used = ? WHERE key = ?", [(now, _key(s)) for s in sources]
            )
        except sqlite3.Error as exc:
            self._disable(f"cache disabled: {exc}")

    def flush(self) -> None:
        """Commit what was stored so far (also on Ctrl-C: a rerun resumes from there)."""
        if self._db is None:
            return
        try:
            self._db.commit()
            self._pending = 0
        except sqlite3.Error as exc:
            self._disable(f"cache disabled: {exc}")

    def close(self) -> None:
        """Commit, drop entries unused for a month, close."""
        if self._db is None:
            return
        try:
            self._db.execute("DELETE FROM runs WHERE used < ?", (time.time() - MAX_AGE_S,))
            self._db.commit()
            self._db.close()
        except sqlite3.Error:
            pass
        self._db = None
