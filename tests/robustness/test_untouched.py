"""Reading never changes the inputs: same bytes, same listing, nothing created beside them.

A tree holding every format (clean and damaged copies) is hashed and listed (names, sizes,
modification times, modes) before and after ``diagnose``, ``inspect`` and ``audit`` run on it;
the audit cache is sent to a temporary folder outside the tree by the conftest.
"""

from __future__ import annotations

import hashlib
import io
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from tests.robustness.seeds import SEEDS, write_seed

from nn_doctor.cli import main


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root``: kind, size, mtime, mode and content hash (files)."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            st = p.lstat()
            digest = ""
            if p.is_file() and not p.is_symlink():
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
            out[str(p.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return out


def build_tree(root: Path) -> None:
    for fmt in sorted(SEEDS):
        write_seed(fmt, root / "clean" / fmt)
        damaged = write_seed(fmt, root / "damaged" / fmt)
        for f in damaged.files:
            data = f.read_bytes()
            f.write_bytes(data[: len(data) * 2 // 3])  # a crash mid-write
    (root / "clean" / "csv" / "loop").symlink_to(root / "clean", target_is_directory=True)
    os.utime(root, (1_600_000_000, 1_600_000_000))


def _has_command(name: str) -> bool:
    """Whether ``nn-doctor NAME --help`` works (``audit`` is being written in parallel)."""
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        try:
            main([name, "--help"])
        except SystemExit as exc:
            return not exc.code
    return True


def commands() -> list[list[str]]:
    cmds = [["diagnose"], ["diagnose", "--format", "json"], ["inspect"]]
    if _has_command("audit"):
        cmds.append(["audit"])
    return cmds


@pytest.mark.parametrize("cmd", commands(), ids=lambda c: " ".join(c))
def test_commands_leave_inputs_untouched(tmp_path: Path, cmd: list[str]) -> None:
    root = tmp_path / "tree"
    build_tree(root)
    before = snapshot(root)
    cwd = os.getcwd()
    os.chdir(root)  # a tool that writes "next to" its inputs would write here too
    try:
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
            try:
                main([*cmd, str(root)])
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        os.chdir(cwd)
    assert code in (0, 1, 2), err.getvalue()
    assert snapshot(root) == before


def test_the_tree_is_worth_checking(tmp_path: Path) -> None:
    """The snapshot sees content changes and new files (so the test above can fail)."""
    root = tmp_path / "tree"
    build_tree(root)
    before = snapshot(root)
    target = next(root.rglob("scalars.csv"))
    target.write_bytes(target.read_bytes() + b"\n")
    assert snapshot(root) != before
    before = snapshot(root)
    (target.parent / ".nn-doctor-cache").write_text("x")
    assert snapshot(root) != before
