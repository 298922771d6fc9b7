"""Logs and configs are data: nothing in ``src/`` may load them in a way that runs code.

The source is parsed (not grepped, so comments and docstrings that mention pickle do not
count) and every call is checked:

* ``yaml.load``/``load_all`` only with a ``Loader=`` that is PyYAML's ``SafeLoader``/
  ``CSafeLoader`` or a class defined in ``src/`` that derives from one of them;
* never ``yaml.unsafe_load``, ``full_load``, ``FullLoader``, ``UnsafeLoader``, ``yaml.Loader``;
* no ``pickle``/``cPickle``/``dill``/``cloudpickle``/``shelve``/``marshal``/``joblib`` import,
  no ``torch.load``, no ``pandas.read_pickle``, no ``numpy.load(..., allow_pickle=True)``, no
  ``eval``/``exec``.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
SAFE_LOADERS = {"SafeLoader", "CSafeLoader"}
UNSAFE_NAMES = {"unsafe_load", "unsafe_load_all", "full_load", "full_load_all"}
UNSAFE_LOADERS = {"Loader", "FullLoader", "UnsafeLoader", "CLoader", "CFullLoader", "CUnsafeLoader"}
PICKLING = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "shelve", "marshal", "joblib"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _safe_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """Classes in src that derive (directly or through each other) from a safe loader."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {_dotted(b).rsplit(".", 1)[-1] for b in node.bases}
    safe = set(SAFE_LOADERS)
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            if name not in safe and parents & safe:
                safe.add(name)
                changed = True
    return safe


def problems(trees: dict[Path, ast.Module]) -> list[str]:
    safe = _safe_classes(trees)
    found = []
    for path, tree in trees.items():
        where = path.relative_to(SRC)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for mod in mods:
                    if mod.split(".")[0] in PICKLING:
                        found.append(f"{where}:{node.lineno}: imports {mod}")
            if isinstance(node, ast.Attribute) and node.attr in UNSAFE_NAMES:
                found.append(f"{where}:{node.lineno}: {_dotted(node)}")
            if isinstance(node, ast.Attribute) and _dotted(node) in {
                f"yaml.{n}" for n in UNSAFE_LOADERS
            }:
                found.append(f"{where}:{node.lineno}: {_dotted(node)}")
            if not isinstance(node, ast.Call):
                continue
            name = _dotted(node.func)
            keywords = {k.arg: k.value for k in node.keywords}
            if name in ("eval", "exec"):
                found.append(f"{where}:{node.lineno}: {name}()")
            if name.endswith(("torch.load", "read_pickle")) or name in ("load_pickle",):
                found.append(f"{where}:{node.lineno}: {name}()")
            if name.endswith(("np.load", "numpy.load")):
                flag = keywords.get("allow_pickle")
                if isinstance(flag, ast.Constant) and flag.value:
                    found.append(f"{where}:{node.lineno}: {name}(allow_pickle=True)")
            if name in ("yaml.load", "yaml.load_all"):
                loader = keywords.get("Loader") or (node.args[1] if len(node.args) > 1 else None)
                loader_name = _dotted(loader).rsplit(".", 1)[-1] if loader is not None else ""
                if loader_name not in safe:
                    found.append(f"{where}:{node.lineno}: {name}(Loader={loader_name or 'None'})")
    return found


def parse(paths: list[Path]) -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8"), filename=str(p)) for p in paths}


def test_no_unsafe_loading_in_src() -> None:
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 50  # the whole package, not an empty glob
    assert problems(parse(files)) == []


def test_the_scan_catches_what_it_claims() -> None:
    bad = SRC / "_probe_for_the_scan.py"  # a path inside SRC, parsed from text only
    text = (
        "import pickle\nimport yaml\nfrom joblib import load\n"
        "class Mine(yaml.SafeLoader): pass\n"
        "class Risky(yaml.FullLoader): pass\n"
        "yaml.load(f)\nyaml.load(f, Loader=yaml.FullLoader)\nyaml.load(f, Loader=Mine)\n"
        "yaml.load(f, Loader=Risky)\nyaml.unsafe_load(f)\nyaml.safe_load(f)\n"
        "np.load(f, allow_pickle=True)\nnp.load(f)\ntorch.load(f)\npd.read_pickle(f)\neval(s)\n"
        "# pickle.loads in a comment is fine\n"
    )
    found = problems({bad: ast.parse(text)})
    lines = sorted(int(f.split(":")[1]) for f in found)
    # pickle, joblib, FullLoader base, load without Loader, FullLoader, Risky, unsafe_load,
    # allow_pickle, torch.load, read_pickle, eval
    assert lines == [1, 3, 5, 6, 7, 7, 9, 10, 12, 14, 15, 16]
