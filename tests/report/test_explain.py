"""``nn-doctor rules explain``: the rule's docs in every section, in Markdown and in Chinese."""

from __future__ import annotations

import re

from tests.conftest import run_cli

SECTIONS = (
    "What it is",
    "Why it matters",
    "What it looks like in a log",
    "Evidence nn-doctor looks for",
    "How to tell it from look-alikes",
    "What to try, cheapest first",
    "References",
)


def test_explain_shows_every_section_in_the_terminal() -> None:
    res = run_cli("rules", "explain", "lr_too_high")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "Learning rate too high (lr_too_high)" in out
    for head in SECTIONS:
        assert head in out, head
    assert "Lower the learning rate 10x" in out  # a remedy
    assert "exploding_gradients" in out  # a look-alike
    assert re.search(r"https://\S+", out)  # reference URLs are visible, not hidden in links
    assert "\x1b[" not in out  # NO_COLOR and a pipe: plain
    assert all(line == line.rstrip() for line in out.splitlines())


def test_explain_markdown_is_markdown() -> None:
    res = run_cli("rules", "explain", "lr_too_high", "--format", "markdown")
    assert res.returncode == 0
    md = res.stdout
    assert md.startswith("# Learning rate too high (`lr_too_high`)")
    for head in SECTIONS:
        assert f"## {head}" in md, head
    assert re.search(r"^1\. \*\*Lower the learning rate", md, re.M)
    assert re.search(r"<https://[^>]+>", md)


def test_explain_in_chinese() -> None:
    res = run_cli("rules", "explain", "lr_too_high", "--lang", "zh")
    assert res.returncode == 0
    out = res.stdout
    assert "学习率过高" in out
    assert "是什么" in out and "可以尝试" in out and "参考资料" in out
    assert "把学习率降低 10 倍" in out
    assert "lr_too_high" in out  # ids never change


def test_explain_unknown_rule_is_exit_2() -> None:
    res = run_cli("rules", "explain", "no_such_rule")
    assert res.returncode == 2
    assert "unknown rule" in res.stderr
