"""The audit cache: a second audit reads nothing unchanged; a change is always seen."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.audit.helpers import EXPECTED, label, snapshot
from tests.conftest import diverging_loss

from nn_doctor.audit import audit
from nn_doctor.audit import cache as cache_mod


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count reader calls per path (the audit runs serially, in this process)."""
    import nn_doctor.readers as readers

    counts: Counter[str] = Counter()
    real_load = readers.load

    class Counting:
        def __init__(self, module: Any) -> None:
            self._module = module

        def __getattr__(self, name: str) -> Any:
            return getattr(self._module, name)

        def read(self, path: Path) -> Any:
            counts[str(path)] += 1
            return self._module.read(path)

    monkeypatch.setattr(readers, "load", lambda name: Counting(real_load(name)))
    return counts


def _audit(tree: Path, **kw: Any) -> Any:
    return audit(tree, executor="serial", **kw)


def test_second_audit_reads_nothing(tree: Path, reads: Counter[str]) -> None:
    first = _audit(tree)
    n_sources = first.sources
    assert sum(reads.values()) == n_sources and first.cache_hits == 0
    reads.clear()
    second = _audit(tree)
    assert sum(reads.values()) == 0
    assert second.cache_hits == n_sources and all(r.cached for r in second.rows)
    assert [r.as_dict() for r in second.rows] == [r.as_dict() for r in first.rows]
    assert sorted(label(r, tree) for r in second.runs) == sorted(EXPECTED)


def test_a_changed_file_is_read_again(tree: Path, reads: Counter[str]) -> None:
    _audit(tree)
    healthy = tree / "healthy" / "metrics.csv"
    lines = [f"{i},{v!r},{v!r}" for i, v in enumerate(diverging_loss())]
    healthy.write_text("step,train_loss,val_loss\n" + "\n".join(lines) + "\n")
    reads.clear()
    result = _audit(tree)
    assert list(reads) == [str(tree / "healthy")]  # only what changed
    row = next(r for r in result.rows if label({"run": r.run}, tree) == "healthy/metrics.csv")
    assert row.top_cause == "lr_too_high" and not row.cached


def test_same_size_new_mtime_and_new_files_are_misses(tree: Path, reads: Counter[str]) -> None:
    _audit(tree)
    log = tree / "keras" / "training.log"
    st = log.stat()
    os.utime(log, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    (tree / "exp" / "lightning_logs" / "version_1" / "config.yaml").write_text("lr: 0.1\n")
    reads.clear()
    _audit(tree)
    assert sorted(reads) == sorted(
        [str(tree / "keras"), str(tree / "exp" / "lightning_logs" / "version_1")]
    )


def test_no_cache_reads_everything(tree: Path, reads: Counter[str]) -> None:
    _audit(tree)
    reads.clear()
    result = _audit(tree, use_cache=False)
    assert sum(reads.values()) == result.sources and result.cache_hits == 0


def test_rules_or_version_change_invalidates(
    tree: Path, reads: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from nn_doctor.engine.load import load_rules

    rules = load_rules()
    _audit(tree, rules=rules)
    reads.clear()
    _audit(tree, rules=[r for r in rules if r.id != "lr_too_high"])
    assert sum(reads.values()) > 0  # other rules: nothing served from the cache
    _audit(tree, rules=rules)
    reads.clear()
    monkeypatch.setattr("nn_doctor.__version__", "999.0")
    assert _audit(tree, rules=rules).cache_hits == 0


def test_rules_hash_follows_thresholds() -> None:
    import dataclasses

    from nn_doctor.engine.load import load_rules

    rules = load_rules()
    item = dataclasses.replace(rules[0].evidence[0], params={"changed": 1})
    tweaked = [dataclasses.replace(rules[0], evidence=(item,)), *rules[1:]]
    assert cache_mod.rules_hash(rules) == cache_mod.rules_hash(load_rules())
    assert cache_mod.rules_hash(tweaked) != cache_mod.rules_hash(rules)


def test_cache_lives_outside_the_tree(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NN_DOCTOR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_mod.default_dir() == tmp_path / "xdg" / "nn-doctor"
    before = snapshot(tree)
    _audit(tree)
    _audit(tree)
    assert snapshot(tree) == before
    assert (tmp_path / "xdg" / "nn-doctor" / cache_mod.DB_NAME).is_file()
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_mod.default_dir() == tmp_path / "home" / ".cache" / "nn-doctor"


def test_unwritable_cache_degrades_to_no_cache(tree: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = _audit(tree, cache_dir=blocker / "cache")
    assert result.cache_warning and len(result.rows) == len(EXPECTED)


def test_cli_reports_cache_hits(cli, tree: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ("audit", str(tree), "--no-progress", "--cache-dir", str(tmp_path / "c2"))
    first = cli(*args)
    second = cli(*args)
    assert first[1] == second[1]  # the same table
    assert "from cache" not in first[2] and "6 source(s) from cache" in second[2]


def test_a_growing_file_in_a_sub_folder_is_seen(tmp_path: Path, reads: Counter[str]) -> None:
    """Keras' TensorBoard ``train/``+``validation/`` pair is one run: its halves count too."""
    from tensorboardX import SummaryWriter

    run = tmp_path / "keras_tb" / "run"
    for half in ("train", "validation"):
        writer = SummaryWriter(str(run / half))
        for i in range(40):
            writer.add_scalar("epoch_loss", 2 * 0.9**i + 0.1, i)
        writer.close()
    extra = tmp_path / "later"
    writer = SummaryWriter(str(extra))
    for i in range(40, 60):
        writer.add_scalar("epoch_loss", 50.0, i)  # the loss blows up after a resume
    writer.close()
    first = _audit(run.parent)
    assert [r.top_cause for r in first.rows] == [None]
    (train_log,) = (run / "train").iterdir()
    (more,) = extra.iterdir()
    with open(train_log, "ab") as fh:  # the writer appends to its file: no new folder entry
        fh.write(more.read_bytes())
    reads.clear()
    second = _audit(run.parent)
    assert list(reads) == [str(run)]
    assert [r.top_cause for r in second.rows] == ["lr_too_high"]
