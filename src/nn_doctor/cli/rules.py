"""``nn-doctor rules list | explain | validate | test | checks``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from nn_doctor.cli import options

app = typer.Typer(
    help="List, explain, validate and test the diagnosis rules.", no_args_is_help=True
)


@app.command("list")
def list_rules(rules: options.RulesOption = None, lang: options.LangOption = None) -> int:
    """List every rule: id, category, severity, maturity, title."""
    from nn_doctor.engine.load import load_rules

    for r in load_rules(rules or []):
        title = r.localized(lang)["title"]
        print(f"{r.id:<28} {r.category:<15} {r.severity:<8} {r.maturity:<7} {title}")
    return 0


@app.command("explain")
def explain(
    rule_id: Annotated[Optional[str], typer.Argument(help="Rule id (omit with --all).")] = None,  # noqa: UP045
    all_: Annotated[bool, typer.Option("--all", help="Explain every rule.")] = False,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="text or markdown.")
    ] = "text",
    rules: options.RulesOption = None,
    lang: options.LangOption = None,
) -> int:
    """Show a rule's docs: what, why, what it looks like, look-alikes, what to try, references."""
    from nn_doctor.engine.load import load_rules
    from nn_doctor.errors import NnDoctorError
    from nn_doctor.report.explain import explain_markdown

    loaded = {r.id: r for r in load_rules(rules or [])}
    if all_:
        chosen = list(loaded.values())
    elif rule_id in loaded:
        chosen = [loaded[rule_id]]
    else:
        raise NnDoctorError(
            f"unknown rule '{rule_id}'", hint="`nn-doctor rules list` shows the ids"
        )
    if output_format not in ("text", "markdown"):
        raise NnDoctorError(f"--format must be text or markdown, not '{output_format}'")
    text = "\n\n".join(explain_markdown(r, lang) for r in chosen)
    if output_format == "markdown":
        print(text, end="")
    else:
        from nn_doctor.report.explain import render_terminal

        print(render_terminal(text), end="")
    return 0


@app.command("validate")
def validate(
    folder: Annotated[
        Path | None, typer.Argument(help="Rules folder (default: the built-in rules).")
    ] = None,
) -> int:
    """Schema-check rule files; exit 1 (with the file and field path) on the first invalid one."""
    from nn_doctor.engine.load import load_rules
    from nn_doctor.errors import RuleError

    try:
        loaded = load_rules([folder] if folder else [], include_builtin=folder is None)
    except RuleError as exc:
        print(exc.message)
        return 1
    print(f"{len(loaded)} rule(s) valid")
    return 0


@app.command("test")
def run_cases(
    folder: Annotated[
        Path | None, typer.Argument(help="Rules folder (default: the built-in rules).")
    ] = None,
) -> int:
    """Run every ``*.cases.yaml`` against its rule; exit 1 if any case fails."""
    from nn_doctor.engine.cases import case_files, run_case_file
    from nn_doctor.engine.load import builtin_rules_dir, load_rules

    root = folder or builtin_rules_dir()
    rules_by_id = {r.id: r for r in load_rules([folder] if folder else [], include_builtin=True)}
    failed = passed = 0
    for path in case_files(root):
        for res in run_case_file(path, rules_by_id):
            if res.passed:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {res.rule}::{res.name}: {res.message}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


@app.command("checks")
def checks() -> int:
    """List the registered statistics rules can use, with their parameters."""
    from nn_doctor.checks import registry

    for name, spec in sorted(registry().items()):
        params = ", ".join(
            f"{p}={spec.defaults[p]!r}" if p in spec.defaults else p for p in spec.params
        )
        print(f"{name:<24} [{spec.kind}] {spec.doc}")
        if params:
            print(f"{'':<24} params: {params}")
    return 0
