"""The HTML report: well-formed, offline, escaped, and carrying the plotted data."""

from __future__ import annotations

import html
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

from nn_doctor.api import diagnose
from nn_doctor.report.document import error_run
from nn_doctor.report.html import MAX_POINTS, render_html

VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "wbr", "source"}
EVIL = "<script>alert(1)</script>"


class _Checker(HTMLParser):
    """Tag balance plus every script/link/img/iframe attribute, for the assertions below."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _parse(page: str) -> _Checker:
    checker = _Checker()
    checker.feed(page)
    checker.close()
    return checker


def _data(page: str) -> dict:  # type: ignore[type-arg]
    m = re.search(r'<script id="nnd-data" type="application/json">(.*?)</script>', page, re.S)
    assert m, "no embedded data"
    return json.loads(m.group(1))  # type: ignore[no-any-return]


def test_page_is_well_formed_and_self_contained(diverged) -> None:  # type: ignore[no-untyped-def]
    page = render_html([diverged])
    assert page.startswith("<!doctype html>")
    parsed = _parse(page)
    assert parsed.problems == [] and parsed.stack == []
    for tag, attrs in parsed.tags:
        for attr in ("src", "href"):
            value = (attrs.get(attr) or "").strip().lower()
            if tag in ("script", "link", "img", "iframe", "source", "embed", "object"):
                assert not value, f"<{tag} {attr}={value}> would load something"
            assert not value.startswith(("http://", "https://", "//")), (tag, value)
    assert [t for t, _ in parsed.tags].count("script") == 4  # boot, data, uPlot, app
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")
    assert "uPlot" in parsed.scripts[2]
    assert len(page) < 300_000


def test_page_shows_header_reading_findings_and_remedies(diverged) -> None:  # type: ignore[no-untyped-def]
    page = render_html([diverged])
    run = diverged.to_dict()
    top = run["findings"][0]
    assert run["reading"]["text"].split(":")[0] in page
    assert f"<code>{top['id']}</code>" in page
    assert f"▲ onset: step {top['onset_step']}" in page
    assert "Evidence" in page and "Try, cheapest first" in page
    assert "How to tell it from look-alikes" in page
    for remedy in top["remedies"]:
        assert html.escape(remedy["do"]) in page


def test_page_embeds_the_plotted_curves_with_onset_and_nan(diverged) -> None:  # type: ignore[no-untyped-def]
    page = render_html([diverged])
    data = _data(page)
    curves = data["runs"][0]["curves"]
    loss = diverged.frame.series("train_loss")
    assert set(curves) >= {"train_loss", "val_loss", "grad_norm", "lr"}
    tl = curves["train_loss"]
    assert len(tl["x"]) == len(tl["y"]) == len(loss)  # 300 points: nothing dropped
    assert tl["y"][0] == float(f"{loss.iloc[0]:.6g}")
    assert tl["n_bad"] == 20 and tl["bad"][0] == 280 and tl["y"][280] is None
    top = diverged.findings[0]
    specs = [p for p in data["plots"] if p["onset"] == top.onset_step]
    assert specs and any("train_loss" in p["series"] for p in specs)
    assert any(p["log"] for p in specs if "train_loss" in p["series"])  # spans decades
    # every plot slot in the page has a spec, every spec has data
    slots = [int(i) for i in re.findall(r'data-plot="(\d+)"', page)]
    assert sorted(slots) == list(range(len(data["plots"])))
    for p in data["plots"]:
        assert all(s in data["runs"][p["run"]]["curves"] for s in p["series"])


def test_malicious_metric_name_is_escaped_everywhere(write_csv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.report.conftest import diverged_columns

    cols = diverged_columns()
    cols[EVIL] = [0.5 + 0.001 * i for i in range(300)]
    (d,) = diagnose(write_csv(cols, name="evil.csv"))
    assert EVIL in d.frame.signals
    # make the hostile name a plotted evidence curve, so it reaches the chart data too
    d.findings[0].evidence.append(
        {"id": "x", "signal": EVIL, "says": f"look at {EVIL}", "step": 3, "value": 1.0}
    )
    page = render_html([d], [error_run(EVIL, f"bad {EVIL}", EVIL)])
    assert EVIL not in page
    assert "alert(1)" in page  # it is shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    parsed = _parse(page)
    assert [t for t, _ in parsed.tags].count("script") == 4
    data = _data(page)
    assert EVIL in data["runs"][0]["curves"]  # round-trips through the escaped JSON
    assert "\\u003cscript\\u003e" in page


def test_unreadable_runs_are_listed_with_their_error(diverged) -> None:  # type: ignore[no-untyped-def]
    page = render_html(
        [diverged], [error_run("runs/missing.csv", "no such file or folder", "check the path")]
    )
    assert "Runs that could not be diagnosed" in page
    assert "runs/missing.csv" in page and "no such file or folder" in page
    assert "check the path" in page
    assert _parse(page).problems == []


def test_healthy_run_says_so_and_still_plots(write_csv) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import healthy_loss

    (d,) = diagnose(write_csv({"loss": healthy_loss()}, name="ok.csv"))
    page = render_html([d])
    assert "No cause stands out" in page
    assert _data(page)["plots"]


def test_a_run_that_never_learned_is_not_called_healthy(write_csv) -> None:  # type: ignore[no-untyped-def]
    # a loss that stays within 1 % of its start: no rule may fire, but "healthy" would be wrong
    import random

    rng = random.Random(0)
    flat = [2.0 + 0.01 * rng.gauss(0, 1) for _ in range(200)]
    (d,) = diagnose(write_csv({"loss": flat}, name="flat.csv"))
    page = render_html([d])
    assert not d.findings
    assert "class='stalled'" in page and "did not learn" in page
    assert "looks healthy" not in page
    (ok,) = diagnose(write_csv({"loss": [2.0 * 0.97**i + 0.1 for i in range(200)]}, name="ok.csv"))
    assert "class='healthy'" in render_html([ok])


def test_long_runs_are_downsampled_and_keep_their_spikes(write_csv) -> None:  # type: ignore[no-untyped-def]
    n = 60_000
    loss = [2.0 * math.exp(-i / 8000) + 0.1 + 0.001 * (i % 7) for i in range(n)]
    loss[33_333] = 50.0
    grad = [1.0 + 0.01 * (i % 5) for i in range(n)]
    (d,) = diagnose(write_csv({"loss": loss, "grad_norm": grad}, name="long.csv"))
    page = render_html([d])
    assert len(page) < 300_000, len(page)
    tl = _data(page)["runs"][0]["curves"]["train_loss"]
    assert len(tl["x"]) <= MAX_POINTS and tl["n"] == n
    assert max(v for v in tl["y"] if v is not None) == 50.0
    assert 33_333 in tl["x"]
