"""Terminal and plain reports: charts and onset shown; no escape codes without colour."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import run_cli

from nn_doctor.report.curves import frames_for
from nn_doctor.report.rich_report import render_rich, score_bar
from nn_doctor.report.text import render_markdown, render_text

ANSI = re.compile(r"\x1b\[")


def test_text_report_without_a_tty_has_no_ansi_and_shows_the_curves(diverged_csv: Path) -> None:
    res = run_cli("diagnose", str(diverged_csv))  # auto, stdout is a pipe, NO_COLOR=1
    assert res.returncode == 1, res.stderr
    assert not ANSI.search(res.stdout)
    assert "curves (steps 0..299" in res.stdout
    assert "train_loss" in res.stdout and "×" in res.stdout  # the NaN tail is marked
    assert "▲ onset of" in res.stdout
    assert not ANSI.search(res.stderr)


def test_explicit_rich_format_honours_no_color(diverged_csv: Path) -> None:
    res = run_cli("diagnose", str(diverged_csv), "--format", "rich")
    assert res.returncode == 1
    assert not ANSI.search(res.stdout)
    assert "╭" in res.stdout  # still the rich layout, just without colour
    assert "onset: step" in res.stdout


def test_rich_report_has_score_bar_onset_evidence_and_charts(diverged) -> None:  # type: ignore[no-untyped-def]
    run = diverged.to_dict()
    top = run["findings"][0]
    out = render_rich([run], [diverged.frame], width=110, color=True)
    assert ANSI.search(out)  # colour when asked for
    plain = ANSI.sub("", re.sub(r"\x1b\[[0-9;]*m", "", out))
    assert score_bar(top["score"]) in plain
    assert f"{top['score']:.2f}" in plain
    assert f"onset: step {top['onset_step']}" in plain
    assert f"▲{top['onset_step']}" in plain  # the onset under the braille charts
    assert "training loss" in plain and "gradient norm" in plain and "learning rate" in plain
    flat = " ".join(plain.replace("│", " ").split())  # undo the panel's wrapping
    for e in top["evidence"]:
        assert "✓ " + " ".join(e["says"].split()) in flat
        assert f"[{e['signal']} · step {e['step']}" in flat
    assert "Try, cheapest first:" in plain
    assert f"nn-doctor rules explain {top['id']}" in plain
    assert any(0x2800 < ord(c) <= 0x28FF for c in plain)  # braille dots were drawn


def test_rich_report_without_colour_has_no_escape_codes(diverged) -> None:  # type: ignore[no-untyped-def]
    out = render_rich([diverged.to_dict()], [diverged.frame], width=100, color=False)
    assert not ANSI.search(out)
    assert "error" in out and "█" in out


def test_rich_report_prints_log_text_literally(diverged) -> None:  # type: ignore[no-untyped-def]
    run = diverged.to_dict()
    run["signals"] = [*run["signals"], "[bold red]evil[/]"]
    run["run"] = "[link=x]name[/link]"
    out = render_rich([run], [diverged.frame], width=120, color=False)
    assert "[bold red]evil[/]" in out
    assert "[link=x]name[/link]" in out


def test_score_bar_resolution() -> None:
    assert score_bar(0.0, 10) == "░" * 10
    assert score_bar(1.0, 10) == "█" * 10
    assert score_bar(0.55, 10) == "█████▌░░░░"
    assert len(score_bar(0.33, 12)) == 12


def test_text_report_without_frames_is_unchanged_and_with_frames_adds_curves(diverged) -> None:  # type: ignore[no-untyped-def]
    run = diverged.to_dict()
    bare = render_text([run])
    full = render_text([run], [diverged.frame])
    assert "curves (" not in bare
    assert "curves (" in full
    assert set(bare.splitlines()) <= set(full.splitlines())


def test_markdown_has_findings_table_and_sparklines(diverged) -> None:  # type: ignore[no-untyped-def]
    runs = [diverged.to_dict()]
    md = render_markdown(runs, frames_for(runs, [diverged]))
    assert "| # | cause | severity | score | onset |" in md
    top = runs[0]["findings"][0]
    assert f"| 1 | `{top['id']}` {top['title']} | {top['severity']} | {top['score']:.2f} |" in md
    assert "```text\ncurves (" in md
    assert f"### {top['title']} (`{top['id']}`)" in md
    assert "Try, cheapest first:" in md


def test_markdown_via_cli_and_output_suffixes(diverged_csv: Path, tmp_path: Path) -> None:
    res = run_cli("diagnose", str(diverged_csv), "--format", "markdown")
    assert res.stdout.startswith("# nn-doctor diagnosis")
    assert "| # | cause |" in res.stdout
    for name, start in (("r.html", "<!doctype html>"), ("r.md", "# nn-doctor"), ("r.json", "{")):
        out = tmp_path / name
        res = run_cli("diagnose", str(diverged_csv), "--output", str(out))
        assert res.returncode == 1, res.stderr
        assert res.stdout == ""
        assert out.read_text(encoding="utf-8").startswith(start), name
