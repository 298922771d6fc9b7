"""Malformed inputs through the CLI: empty logs, wrong names, unrelated folders, symlink loops,
multi-GB files, hostile YAML. Each ends in a read with warnings (exit 0/1) or a one-line error
with exit code 2; never a traceback (exit 3), never a hang (a subprocess timeout guards it).

Most cases run ``inspect`` in-process (the same readers, error handler and exit codes as
``diagnose``, without loading the rules: ~40 ms a call here against ~350 ms); each test also
runs ``diagnose`` on some of its inputs, so the rules see malformed runs too.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from tests.robustness.fuzz import tried
from tests.robustness.seeds import EVENT_NAME, SEEDS, events_bytes, write_seed

from nn_doctor.cli import main

#: What every malformed input may end in: findings or not (0/1), or "could not run" (2).
CLEAN_EXITS = {0, 1, 2}


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the CLI in-process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return code, out.getvalue(), err.getvalue()


def assert_clean(code: int, err: str) -> None:
    assert code in CLEAN_EXITS, err
    assert "Traceback" not in err and "internal error" not in err, err


def cli_subprocess(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "nn_doctor", *args],
        capture_output=True,
        text=True,
        timeout=timeout,  # the hang guard
        env=env,
    )


# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        EVENT_NAME,
        "metrics.csv",
        "scalars.csv",
        "metrics.jsonl",
        "trainer_state.json",
        "history.json",
        "training.log",
        "results.csv",
        "train.log",
        "metrics.json",
        "run-x-tag-loss.csv",
    ],
)
def test_empty_and_junk_files_under_log_names(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    for content in (b"", b"\n", b"\x00" * 64, b"\xff\xfe\xfd", "μ,損\n".encode()):
        tried("inputs: empty and junk files under log names")
        path.write_bytes(content)
        for target in (path, tmp_path):
            code, _, err = cli("inspect", str(target))
            assert_clean(code, err)
    code, _, err = cli("diagnose", str(tmp_path))
    assert_clean(code, err)


def test_header_only_and_mixed_type_csv(tmp_path: Path) -> None:
    cases = {
        "header.csv": "step,loss,val_loss\n",
        "mixed.csv": "step,loss\n0,1.0\n1,oops\n2,tensor(0.5)\n3,0.25\n4,\n5,NaN\n6,1e400\n",
        "huge.csv": "step,loss\n0,1e308\n1,-1e308\n2,5e-324\n3,1e-320\n4,-0.0\n",
        "unicode.csv": "step,损失,ü/acc\n0,1,0.5\n1,0.5,0.6\n",
    }
    for name, text in cases.items():
        tried("inputs: header-only, mixed, huge, unicode CSV")
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        code, out, err = cli("diagnose", str(path), "--format", "json")
        assert_clean(code, err)
        if name != "header.csv":
            assert out.lstrip().startswith("{"), (name, code, out[:300], err[:300])
            assert json.loads(out)["runs"], name


def test_wrong_extensions(tmp_path: Path) -> None:
    seed = write_seed("csv", tmp_path / "csv")
    events = events_bytes()
    cases = {
        "metrics.csv": events,  # an event file renamed
        EVENT_NAME: seed.path.read_bytes(),  # a CSV named like an event file
        "history.json": b'{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.4}\n',  # JSON lines
        "metrics.jsonl": b"step,loss\n1,0.5\n",  # CSV
        "training.log": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),  # an image
        "trainer_state.json": b"[1, 2, 3]",  # JSON, wrong shape
    }
    for name, data in cases.items():
        tried("inputs: wrong extensions")
        folder = tmp_path / name.replace(".", "_")
        folder.mkdir()
        (folder / name).write_bytes(data)
        code, _, err = cli("inspect", str(folder / name))
        assert_clean(code, err)
        code, _, err = cli("diagnose", str(folder))
        assert_clean(code, err)


def test_folder_of_unrelated_files(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / "model.py").write_text("import torch\n")
    (tmp_path / "weights.bin").write_bytes(os.urandom(2048))
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    (tmp_path / "data.csv").write_text("id,name,city\n1,a,b\n2,c,d\n")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "deeper" / "notes.txt").write_text("nothing to see\n")
    tried("inputs: folder of unrelated files")
    code, _, err = cli("diagnose", str(tmp_path))
    assert code == 2 and "no training log found" in err
    assert_clean(code, err)


def test_symlink_loops(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    seed = write_seed("csv", root / "exp1")
    (root / "loop").symlink_to(root, target_is_directory=True)  # runs/loop -> runs
    (root / "exp1" / "up").symlink_to(root, target_is_directory=True)  # exp1/up -> runs
    (root / "a").mkdir()
    (root / "a" / "b").symlink_to(root / "a", target_is_directory=True)  # a/b -> a
    self_link = tmp_path / "self.csv"
    self_link.symlink_to(self_link)  # a link to itself
    tried("inputs: symlink loops")
    proc = cli_subprocess("diagnose", str(root), "--format", "json")
    assert proc.returncode in CLEAN_EXITS and "Traceback" not in proc.stderr
    runs = json.loads(proc.stdout)["runs"]
    assert [r["run"] for r in runs] == [str(seed.path)]  # found once, the loops ignored
    code, _, err = cli("inspect", str(self_link))
    assert code == 2
    assert_clean(code, err)


def test_named_pipe_is_not_read(tmp_path: Path) -> None:
    """A FIFO named like a log would block a reader forever: it is never opened."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    write_seed("csv", tmp_path)
    os.mkfifo(tmp_path / "metrics.csv")
    tried("inputs: named pipe")
    proc = cli_subprocess("diagnose", str(tmp_path), timeout=120)
    assert proc.returncode in CLEAN_EXITS and "Traceback" not in proc.stderr
    proc = cli_subprocess("diagnose", str(tmp_path / "metrics.csv"), timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def sparse(path: Path, head: bytes, size: int = 3 * 1024**3) -> Path:
    """A file of ``size`` bytes that takes no disk space beyond its head (``truncate -s``).

    The head is repeated past the 16 KiB sniffers peek at, so the file looks like the real
    multi-GB log it stands for rather than a binary blob.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = head.splitlines(keepends=True)
    body = head
    while len(body) < 96 * 1024 and len(lines) > 1:  # the console sniffer peeks at 64 KiB
        body += b"".join(lines[1:])
    path.write_bytes(body)
    os.truncate(path, size)
    return path


@pytest.mark.parametrize(
    ("fmt", "name", "head"),
    [
        ("tensorboard", EVENT_NAME, None),
        ("csv", "scalars.csv", b"step,loss\n0,1.0\n1,0.5\n"),
        ("jsonl", "metrics.jsonl", b'{"step": 0, "loss": 1.0}\n{"step": 1, "loss": 0.5}\n'),
        ("keras-csv", "training.log", b"epoch,loss\n0,1.0\n1,0.5\n"),
        ("console", "train.log", b"step 1 loss=0.5\nstep 2 loss=0.4\n"),
    ],
)
def test_multi_gigabyte_file_is_refused_with_a_clear_message(
    tmp_path: Path, fmt: str, name: str, head: bytes | None
) -> None:
    path = sparse(tmp_path / "run" / name, head if head is not None else events_bytes(2))
    tried("inputs: 3 GB sparse files")
    for args in (("inspect", str(path)), ("inspect", str(path.parent)), ("diagnose", str(path))):
        code, _, err = cli(*args)
        assert code == 2, (args, err)
        assert "size limit" in err and "NN_DOCTOR_MAX_FILE_SIZE" in err, err
        assert_clean(code, err)
    code, _, err = cli("inspect", str(path), "--input-format", fmt)
    assert code == 2 and "size limit" in err


def test_size_limit_override(tmp_path: Path) -> None:
    seed = write_seed("csv", tmp_path)
    size = seed.path.stat().st_size
    code, _, err = cli("inspect", str(seed.path), env={"NN_DOCTOR_MAX_FILE_SIZE": str(size - 1)})
    assert code == 2 and "size limit" in err
    for limit in (str(size), "1K", "2M", "0", "none"):
        code, _, err = cli("inspect", str(seed.path), env={"NN_DOCTOR_MAX_FILE_SIZE": limit})
        assert code == 0, (limit, err)
    code, _, err = cli("inspect", str(seed.path), env={"NN_DOCTOR_MAX_FILE_SIZE": "lots"})
    assert code == 2 and "NN_DOCTOR_MAX_FILE_SIZE" in err
    assert_clean(code, err)


def test_hostile_yaml_is_never_executed_and_never_expanded(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    seed = write_seed("lightning", tmp_path / "logs")
    hparams = seed.path / "hparams.yaml"
    hparams.write_text(
        f'cmd: !!python/object/apply:os.system ["touch {marker}"]\n'
        "obj: !!python/object:collections.OrderedDict {a: 1}\n"
        "lr: 0.01\n"
    )
    code, _, err = cli("diagnose", str(seed.path), "--format", "json")
    assert_clean(code, err)
    assert not marker.exists()
    # a "billion laughs" document: aliases that would expand to 10**9 strings
    laughs = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for k, (prev, cur) in enumerate(zip("abcdefgh", "bcdefghi", strict=True)):
        laughs.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 10)}]")
        del k
    hparams.write_text("\n".join(laughs) + "\nlr: 0.01\n")
    proc = cli_subprocess("diagnose", str(seed.path), "--format", "json", timeout=120)
    assert proc.returncode in CLEAN_EXITS and "Traceback" not in proc.stderr
    assert len(proc.stdout) < 10_000_000


@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_every_seed_reads_cleanly_through_the_cli(tmp_path: Path, fmt: str) -> None:
    """The seeds the fuzzers start from are themselves read without a warning or an error."""
    seed = write_seed(fmt, tmp_path)
    code, out, err = cli("diagnose", str(seed.path), "--input-format", fmt, "--format", "json")
    assert code in (0, 1), err
    (run,) = json.loads(out)["runs"]
    assert not run.get("error")
