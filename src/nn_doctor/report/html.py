"""The HTML report: one self-contained file to attach to a bug report or a pull request.

Why uPlot, inlined. The page has to open anywhere, offline, years later: no CDN, no network,
no build step. Three ways were weighed:

* **Server-side SVG** (hand-written, no JS): the smallest and most robust page, but static;
  to read a value at a step you squint at the axis, and zooming into the 50 steps around an
  onset needs another render.
* **Plotly/Vega inlined**: interactive, but 1-3.5 MB of JavaScript per report.
* **uPlot** (MIT, Leon Sorokin, ``uplot`` on npm, maintained since 2019): a ~51 KB canvas
  chart library built for exactly this shape of data (long numeric time series), with a live
  cursor legend (the value of every curve at the hovered step), drag-to-zoom, log scales,
  ``null`` gaps for NaN, and ``uPlot.join`` to align curves logged at different cadences. It
  draws 100k points without effort, has no dependencies, and escapes legend labels itself
  (``textContent``). The file, its CSS and its licence are vendored under ``assets/`` from
  ``npm pack uplot@1.6.32`` and inlined into every page, so a typical report stays well under
  300 KB.

uPlot was chosen. Long curves are still downsampled (min and max per bucket,
:func:`nn_doctor.report.charts.downsample`) so the file stays small and spikes survive. A
Content-Security-Policy meta tag (``default-src 'none'``) makes the browser refuse any network
request the page might make, so "works offline" is enforced, not hoped for. The report text
(evidence, remedies, headers) is plain HTML and complete without JavaScript.

Everything that comes from a log (run names, metric names, config values, messages) is
HTML-escaped, and the embedded JSON has ``<``, ``>`` and ``&`` escaped as ``\\u003c`` etc., so a
metric named ``</script><script>alert(1)</script>`` is just text. A tiny script at the top of
the page records JavaScript errors and CSP violations on ``<html data-errors>`` and shows them
in a banner, so a broken chart is visible to a reader and checkable by a headless browser
(``benchmarks/html_check.py``).
"""

from __future__ import annotations

import json
import math
from html import escape
from importlib import resources
from typing import TYPE_CHECKING, Any

from nn_doctor import __version__
from nn_doctor.report import curves
from nn_doctor.report.reading import barely_moved, no_cause_message
from nn_doctor.report.text import CHECKLIST, missing_phrase

if TYPE_CHECKING:
    from nn_doctor.engine.diagnosis import Diagnosis
    from nn_doctor.frame import RunFrame

UPLOT_VERSION = "1.6.32"
#: Points kept per curve (about: min and max per bucket, plus the first NaN/inf of a bucket).
MAX_POINTS = 1500
#: Layers drawn for a per-layer family (``grad_norm/*``), spread from input to output.
MAX_LAYERS = 8

_TREND = {"falling": "↓", "flat": "→", "rising": "↑", None: "–"}


def _asset(name: str) -> str:
    return (
        resources.files("nn_doctor").joinpath("report", "assets", name).read_text(encoding="utf-8")
    )


def _e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def _json_for_script(obj: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (no ``</script>``)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _num(v: float) -> float | int:
    """A compact JSON number: integers stay integers, floats keep 6 significant digits."""
    if float(v).is_integer() and abs(v) < 2**53:
        return int(v)
    return float(f"{v:.6g}")


def _fmt(v: Any) -> str:
    from nn_doctor.report.charts import fmt_value

    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    return fmt_value(float(v))


class _Plots:
    """Collects the curves and plot specs of one page (curve data stored once per run)."""

    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []
        self.plots: list[dict[str, Any]] = []

    def add_run(self, frame: RunFrame | None, axis: str) -> int:
        self.runs.append({"axis": axis, "curves": {}, "_frame": frame})
        return len(self.runs) - 1

    def _curve(self, run: int, name: str) -> dict[str, Any]:
        import numpy as np

        from nn_doctor.report.charts import downsample

        store = self.runs[run]["curves"]
        if name not in store:
            x, y = curves.arrays(self.runs[run]["_frame"], name)
            dx, dy = downsample(x, y, MAX_POINTS)
            finite = np.isfinite(dy)
            store[name] = {
                "x": [_num(v) for v in dx],
                "y": [_num(v) if ok else None for v, ok in zip(dy, finite, strict=True)],
                "bad": [_num(v) for v in dx[~finite]],
                "n": len(x),
                "n_bad": int((~np.isfinite(y)).sum()),
                "_min": float(y[np.isfinite(y)].min()) if np.isfinite(y).any() else None,
                "_max": float(y[np.isfinite(y)].max()) if np.isfinite(y).any() else None,
            }
        return store[name]  # type: ignore[no-any-return]

    def _y_at(self, run: int, name: str, step: Any) -> float | None:
        """The logged value of ``name`` nearest to ``step`` (to place an evidence mark)."""
        if not isinstance(step, (int, float)):
            return None
        s = self.runs[run]["_frame"].series(name)
        if not len(s):
            return None
        import numpy as np

        idx = s.index.to_numpy(dtype=float)
        i = int(np.clip(np.searchsorted(idx, float(step)), 0, len(idx) - 1))
        if i > 0 and abs(idx[i - 1] - step) <= abs(idx[i] - step):
            i -= 1
        v = float(s.iloc[i])
        return _num(v) if math.isfinite(v) else None

    def add(
        self,
        run: int,
        names: list[str],
        title: str,
        onset: Any = None,
        onset_label: str = "",
        marks: list[dict[str, Any]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        data = [self._curve(run, n) for n in names]
        lows = [d["_min"] for d in data if d["_min"] is not None]
        highs = [d["_max"] for d in data if d["_max"] is not None]
        log = bool(lows) and min(lows) > 0 and max(highs) / min(lows) >= 100.0
        placed = []
        for m in marks or []:
            if m["signal"] in names:
                y = self._y_at(run, m["signal"], m["step"])
                if y is not None and (not log or y > 0):
                    placed.append({**m, "y": y})
        spec = {
            "run": run,
            "series": names,
            "title": title,
            "log": log,
            "onset": _num(onset) if isinstance(onset, (int, float)) else None,
            "onset_label": onset_label,
            "marks": placed,
        }
        self.plots.append(spec)
        return len(self.plots) - 1, spec

    def payload(self) -> dict[str, Any]:
        runs = [
            {
                "axis": r["axis"],
                "curves": {
                    k: {kk: vv for kk, vv in v.items() if not kk.startswith("_")}
                    for k, v in r["curves"].items()
                },
            }
            for r in self.runs
        ]
        return {"runs": runs, "plots": self.plots}


def _group(names: list[str]) -> list[list[str]]:
    """Curves that share a plot: the two losses together, a layer family together."""
    groups: list[list[str]] = []
    by_key: dict[str, list[str]] = {}
    for n in names:
        key = (
            "loss"
            if n in ("train_loss", "val_loss")
            else (n.split("/")[0] + "/*" if "/" in n else n)
        )
        if key not in by_key:
            by_key[key] = []
            groups.append(by_key[key])
        by_key[key].append(n)
    return groups


def _plot_title(names: list[str]) -> str:
    if names == ["train_loss", "val_loss"]:
        return "training and validation loss"
    if len(names) > 1 and "/" in names[0]:
        return f"{names[0].split('/')[0]} per layer ({len(names)} shown)"
    return curves.label(names[0]) if len(names) == 1 else ", ".join(names)


def _figure(idx: int, spec: dict[str, Any], run: dict[str, Any], plots: _Plots) -> str:
    notes = []
    if spec["log"]:
        notes.append("log scale")
    bad = sum(plots.runs[spec["run"]]["curves"][n]["n_bad"] for n in spec["series"])
    if bad:
        notes.append(f'<span class="nf">× {bad} NaN/inf</span>')
    if spec["onset"] is not None:
        who = f" of {_e(spec['onset_label'])}" if spec["onset_label"] else ""
        notes.append(f'<span class="onset">▲ onset{who}: step {_e(spec["onset"])}</span>')
    caption = f"<b>{_e(spec['title'])}</b>"
    names = ", ".join(f"<code>{_e(n)}</code>" for n in spec["series"])
    caption += f" · {names}"
    if notes:
        caption += " · " + " · ".join(notes)
    return (
        f'<figure class="chart"><figcaption>{caption}</figcaption>'
        f'<div class="plot" data-plot="{idx}" role="img" aria-label="{_e(spec["title"])}"></div>'
        "</figure>"
    )


def _where(e: dict[str, Any]) -> str:
    parts = []
    if e.get("signal"):
        parts.append(f"<code>{_e(e['signal'])}</code>")
    if e.get("step") is not None:
        parts.append(f"step {_e(e['step'])}")
    if isinstance(e.get("value"), (int, float)):
        parts.append(f"value {_e(_fmt(e['value']))}")
    return f' <span class="where">{" · ".join(parts)}</span>' if parts else ""


def _finding(
    rank: int,
    f: dict[str, Any],
    ri: int,
    run: dict[str, Any],
    frame: RunFrame | None,
    plots: _Plots,
) -> str:
    sev = f["severity"] if f["severity"] in ("error", "warning", "info") else "info"
    score = max(0.0, min(1.0, float(f["score"])))
    onset = f["onset_step"]
    out = [f'<article class="finding sev-{sev}" id="r{ri}-{_e(f["id"])}">', "<header>"]
    out.append(f'<span class="rank">{rank}</span>')
    out.append(f"<h3>{_e(f['title'])} <code>{_e(f['id'])}</code></h3>")
    out.append(f'<span class="badge {sev}">{_e(f["severity"])}</span>')
    out.append(
        f'<span class="score" title="score {score:.2f}"><span class="bar">'
        f'<span class="fill" style="width:{score * 100:.0f}%"></span></span> {score:.2f}</span>'
    )
    if onset is not None:
        out.append(f'<span class="onset">▲ onset: step {_e(onset)}</span>')
    out.append(f'<span class="cat">{_e(f["category"])}</span>')
    out.append("</header>")
    if f.get("summary"):
        out.append(f'<p class="summary">{_e(f["summary"])}</p>')
    names = curves.finding_signals(frame, f, layers=MAX_LAYERS, limit=4 * MAX_LAYERS)
    if names:
        marks = [
            {"signal": s, "step": e["step"], "label": ("✓ " if ok else "✗ ") + str(e["id"])}
            for ok, group in ((True, f["evidence"]), (False, f["counter_evidence"]))
            for e in group
            if e.get("step") is not None
            for s in curves.resolve(frame, e.get("signal"), layers=MAX_LAYERS)
        ]
        figs = []
        for group in _group(names):
            idx, spec = plots.add(ri, group, _plot_title(group), onset, f["id"], marks)
            figs.append(_figure(idx, spec, run, plots))
        out.append('<div class="charts">' + "".join(figs) + "</div>")
    if f["evidence"]:
        out.append("<h4>Evidence</h4><ul class='marks'>")
        out += [
            f'<li class="ok"><span class="m">✓</span> {_e(e["says"])}{_where(e)}</li>'
            for e in f["evidence"]
        ]
        out.append("</ul>")
    if f["counter_evidence"]:
        out.append("<h4>Counter-evidence</h4><ul class='marks'>")
        out += [
            f'<li class="against"><span class="m">✗</span> {_e(e["says"])}{_where(e)}</li>'
            for e in f["counter_evidence"]
        ]
        out.append("</ul>")
    if f["missing_signals"]:
        out.append("<h4>Signals that would settle it</h4><ul class='marks'>")
        out += [
            f'<li class="missing"><span class="m">?</span> <code>{_e(m["signal"])}</code> '
            f"{missing_phrase(m['signal'], run)}: {_e(m['hint'])}</li>"
            for m in f["missing_signals"]
        ]
        out.append("</ul>")
    if f["differential"]:
        out.append("<h4>How to tell it from look-alikes</h4>")
        out.append(
            "<table class='diff'><thead><tr><th>look-alike</th><th>shares</th><th>tell apart by</th><th>note</th></tr></thead><tbody>"
        )
        for d in f["differential"]:
            out.append(
                f"<tr><td><code>{_e(d.get('cause'))}</code></td><td>{_e(d.get('shared', ''))}</td>"
                f"<td><code>{_e(d.get('tell_apart_by', ''))}</code></td><td>{_e(d.get('note', ''))}</td></tr>"
            )
        out.append("</tbody></table>")
    if f["remedies"]:
        out.append("<h4>Try, cheapest first</h4><ol class='remedies'>")
        for r in f["remedies"]:
            why = f'<span class="why">{_e(r["why"])}</span>' if r.get("why") else ""
            out.append(f"<li><span class='do'>{_e(r['do'])}</span>{why}</li>")
        out.append("</ol>")
    out.append(f'<p class="more">More: <code>nn-doctor rules explain {_e(f["id"])}</code></p>')
    out.append("</article>")
    return "\n".join(out)


def _steps(run: dict[str, Any]) -> str:
    st = run["steps"]
    unit = "epochs" if st.get("axis") == "epoch" else "steps"
    if st.get("first") is None:
        return f"no {unit} logged"
    text = f"{unit} {st['first']}..{st['last']} · {st['count']} logged"
    if st.get("cadence"):
        text += f" · every {st['cadence']:g}"
    return text


def _run_section(ri: int, run: dict[str, Any], frame: RunFrame | None, plots: _Plots) -> str:
    axis = "epoch" if run["steps"].get("axis") == "epoch" else "step"
    plots.add_run(frame, axis)
    out = [
        f'<section class="run" id="run-{ri}">',
        f"<h2>{_e(run['run'])}</h2>",
        "<dl class='facts'>",
    ]
    if run["path"] != run["run"]:
        out.append(f"<dt>path</dt><dd><code>{_e(run['path'])}</code></dd>")
    out.append(f"<dt>format</dt><dd>{_e(run['format'] or '?')}</dd>")
    out.append(f"<dt>steps</dt><dd>{_e(_steps(run))}</dd>")
    sig = ", ".join(f"<code>{_e(s)}</code>" for s in run["signals"][:40])
    if len(run["signals"]) > 40:
        sig += f" … and {len(run['signals']) - 40} more"
    out.append(f"<dt>signals</dt><dd>{sig or '-'}</dd>")
    if run["config"]:
        facts = ", ".join(f"<code>{_e(k)}={_e(v)}</code>" for k, v in run["config"].items())
        out.append(f"<dt>config</dt><dd>{facts}</dd>")
    r = run["reading"]
    out.append(
        f"<dt>reading</dt><dd class='reading'>"
        f"<span class='trend {_e(r.get('train'))}'>train {_TREND.get(r.get('train'), '–')}</span> "
        f"<span class='trend {_e(r.get('val'))}'>val {_TREND.get(r.get('val'), '–')}</span> "
        f"<b>{_e(r.get('text', ''))}</b></dd>"
    )
    out.append("</dl>")
    out += [f"<p class='warn'>warning: {_e(w)}</p>" for w in run.get("warnings", [])]
    top = run["findings"][0] if run["findings"] else None
    key = curves.key_signals(frame)
    if key:
        figs = []
        for group in _group(key):
            idx, spec = plots.add(
                ri,
                group,
                _plot_title(group),
                top["onset_step"] if top else None,
                top["id"] if top else "",
            )
            figs.append(_figure(idx, spec, run, plots))
        out.append('<div class="charts overview">' + "".join(figs) + "</div>")
    if not run["findings"]:
        out.append(
            f"<div class='{'stalled' if barely_moved(run['reading']) else 'healthy'}'>"
            f"<p><b>{_e(no_cause_message(run['reading']))}</b></p>"
            "<p>Worth checking anyway:</p><ul>"
        )
        out += [f"<li>{_e(c)}</li>" for c in CHECKLIST]
        out.append("</ul></div>")
    for i, f in enumerate(run["findings"], 1):
        out.append(_finding(i, f, ri, run, frame, plots))
    if run["inconclusive"]:
        out.append("<h4>Could not check (signals missing)</h4><ul class='inconclusive'>")
        for item in run["inconclusive"]:
            need = ", ".join(f"<code>{_e(s)}</code>" for s in item["missing_signals"]) or "?"
            out.append(f"<li><code>{_e(item['id'])}</code>: needs {need}</li>")
        out.append("</ul>")
    out += [f"<p class='note'>note: {_e(n)}</p>" for n in run.get("notes", [])]
    out.append("</section>")
    return "\n".join(out)


def _summary(runs: list[dict[str, Any]]) -> str:
    rows = []
    for ri, run in enumerate(runs):
        if run.get("error"):
            rows.append(
                f"<tr><td><a href='#unreadable'>{_e(run['run'])}</a></td><td colspan='4' class='err'>"
                f"could not be diagnosed: {_e(run['error']['message'])}</td></tr>"
            )
            continue
        f = run["findings"][0] if run["findings"] else None
        cause = (
            f"<a href='#r{ri}-{_e(f['id'])}'><code>{_e(f['id'])}</code></a> {_e(f['title'])}"
            + (
                f" <span class='more-n'>+{len(run['findings']) - 1} more</span>"
                if len(run["findings"]) > 1
                else ""
            )
            if f
            else "none stands out"
        )
        sev = (
            f"<span class='badge {_e(f['severity'])}'>{_e(f['severity'])}</span> {float(f['score']):.2f}"
            if f
            else ""
        )
        onset = _e(f["onset_step"]) if f and f["onset_step"] is not None else "–"
        rows.append(
            f"<tr><td><a href='#run-{ri}'>{_e(run['run'])}</a></td><td>{_e(run['reading'].get('text', ''))}</td>"
            f"<td>{cause}</td><td>{sev}</td><td>{onset}</td></tr>"
        )
    return (
        "<table class='summary'><thead><tr><th>run</th><th>reading</th><th>top cause</th>"
        "<th>severity · score</th><th>onset</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def render_html(diagnoses: list[Diagnosis], errors: list[dict[str, Any]] | None = None) -> str:
    """One self-contained HTML page for these diagnoses (and the paths that could not be read)."""
    runs = [d.to_dict() for d in diagnoses] + list(errors or [])
    frames = curves.frames_for(runs, diagnoses)
    plots = _Plots()
    sections = []
    broken = []
    for ri, (run, frame) in enumerate(zip(runs, frames, strict=True)):
        if run.get("error"):
            plots.add_run(None, "step")
            hint = (
                f"<br><span class='hint'>hint: {_e(run['error']['hint'])}</span>"
                if run["error"].get("hint")
                else ""
            )
            broken.append(
                f"<li><code>{_e(run['run'])}</code>: {_e(run['error']['message'])}{hint}</li>"
            )
            continue
        sections.append(_run_section(ri, run, frame, plots))
    n_find = sum(len(r["findings"]) for r in runs)
    title = runs[0]["run"] if len(runs) == 1 else f"{len(runs)} runs"
    body = [
        "<header class='top'><h1>nn-doctor diagnosis</h1>",
        f"<p class='meta'>{len(runs)} run(s) · {n_find} finding(s) · nn-doctor {_e(__version__)}</p></header>",
        "<div id='nnd-errors' class='errors' hidden></div>",
        "<noscript><p class='warn'>The charts need JavaScript; everything else on this page is complete without it.</p></noscript>",
        _summary(runs),
        *sections,
    ]
    if broken:
        body.append(
            "<section class='unreadable' id='unreadable'><h2>Runs that could not be diagnosed</h2><ul>"
        )
        body += broken
        body.append("</ul></section>")
    body.append(
        f"<footer>Generated by nn-doctor {_e(__version__)}. Charts drawn with uPlot {UPLOT_VERSION} "
        "(MIT licence, © Leon Sorokin), inlined: this page makes no network requests. "
        "Drag across a chart to zoom, double-click to reset.</footer>"
    )
    license_text = _asset("uPlot.LICENSE").replace("*/", "* /")
    return _PAGE.format(
        title=_e(f"nn-doctor · {title}"),
        boot=_BOOT_JS,
        uplot_css=_asset("uPlot.min.css"),
        css=_CSS,
        body="\n".join(body),
        data=_json_for_script(plots.payload()),
        license=license_text,
        uplot_js=_asset("uPlot.iife.min.js"),
        app=_APP_JS,
    )


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="generator" content="nn-doctor">
<title>{title}</title>
<script>{boot}</script>
<style>{uplot_css}</style>
<style>{css}</style>
</head>
<body>
{body}
<script id="nnd-data" type="application/json">{data}</script>
<script>/*! uPlot {uplot_version_comment}
{license}*/
{uplot_js}</script>
<script>{app}</script>
</body>
</html>
""".replace("{uplot_version_comment}", UPLOT_VERSION)

# Runs first: records errors and CSP violations where a reader and a headless browser see them.
_BOOT_JS = """
(function () {
  var errs = [];
  function note(msg) {
    errs.push(String(msg));
    document.documentElement.setAttribute("data-errors", String(errs.length));
    var box = document.getElementById("nnd-errors");
    if (box) { box.hidden = false; box.textContent = "Some charts could not be drawn: " + errs.join(" | "); }
  }
  window.__nndErrors = errs;
  window.addEventListener("error", function (e) { note(e.message || "error"); });
  window.addEventListener("unhandledrejection", function (e) { note("unhandled: " + e.reason); });
  document.addEventListener("securitypolicyviolation", function (e) {
    note("blocked by the page's offline policy: " + e.violatedDirective + " " + e.blockedURI);
  });
  var orig = console.error;
  console.error = function () {
    note(Array.prototype.join.call(arguments, " "));
    return orig.apply(console, arguments);
  };
})();
"""

_APP_JS = """
(function () {
  var data = JSON.parse(document.getElementById("nnd-data").textContent);
  var palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
  function fmt(v) {
    if (v == null || !isFinite(v)) return "–";
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
    return String(+v.toPrecision(4));
  }
  function overlay(spec) {
    return { hooks: { draw: [function (u) {
      var ctx = u.ctx, b = u.bbox, px = devicePixelRatio || 1;
      ctx.save();
      ctx.beginPath(); ctx.rect(b.left, b.top, b.width, b.height); ctx.clip();
      if (spec.onset != null) {
        var x = u.valToPos(spec.onset, "x", true);
        ctx.strokeStyle = "#c0392b"; ctx.lineWidth = 1.5 * px; ctx.setLineDash([6 * px, 4 * px]);
        ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke();
        ctx.setLineDash([]); ctx.fillStyle = "#c0392b"; ctx.font = (11 * px) + "px sans-serif";
        ctx.fillText("▲ onset " + spec.onset, x + 4 * px, b.top + 12 * px);
      }
      // NaN/inf: shade from each non-finite step to the curve's next logged step.
      ctx.fillStyle = "rgba(192, 57, 43, 0.13)";
      var firstBad = null;
      spec.series.forEach(function (name) {
        var c = data.runs[spec.run].curves[name], j = 0;
        c.bad.forEach(function (s) {
          while (j < c.x.length && c.x[j] < s) j++;
          var nxt = j + 1 < c.x.length ? c.x[j + 1] : s + (j > 0 ? s - c.x[j - 1] : 1);
          var x0 = u.valToPos(s, "x", true), x1 = u.valToPos(nxt, "x", true);
          ctx.fillRect(x0, b.top, Math.max(x1 - x0, 2 * px), b.height);
          if (firstBad == null || s < firstBad) firstBad = s;
        });
      });
      if (firstBad != null) {
        var bx = u.valToPos(firstBad, "x", true), right = bx > b.left + b.width / 2;
        ctx.fillStyle = "#c0392b"; ctx.font = "bold " + (11 * px) + "px sans-serif";
        ctx.textAlign = right ? "right" : "left";
        ctx.fillText("× NaN/inf", bx + (right ? -4 : 4) * px, b.top + b.height - 6 * px);
        ctx.textAlign = "left";
      }
      // A finite point between two gaps draws no line: show it as a dot.
      spec.series.forEach(function (name, si) {
        var c = data.runs[spec.run].curves[name], y = c.y;
        ctx.fillStyle = palette[si % palette.length];
        for (var i = 0; i < y.length; i++) {
          if (y[i] == null || (i > 0 && y[i - 1] != null) || (i + 1 < y.length && y[i + 1] != null)) continue;
          ctx.beginPath();
          ctx.arc(u.valToPos(c.x[i], "x", true), u.valToPos(y[i], "y", true), 3 * px, 0, 2 * Math.PI);
          ctx.fill();
        }
      });
      spec.marks.forEach(function (m) {
        var mx = u.valToPos(m.step, "x", true), my = u.valToPos(m.y, "y", true);
        ctx.beginPath(); ctx.arc(mx, my, 4.5 * px, 0, 2 * Math.PI);
        ctx.lineWidth = 2 * px; ctx.strokeStyle = m.label.charAt(0) === "✓" ? "#1e8449" : "#b9770e";
        ctx.fillStyle = "#fff"; ctx.fill(); ctx.stroke();
      });
      ctx.restore();
    }] } };
  }
  var made = [];
  document.querySelectorAll("[data-plot]").forEach(function (el) {
    var spec = data.plots[+el.getAttribute("data-plot")];
    var run = data.runs[spec.run];
    var tables = spec.series.map(function (n) { return [run.curves[n].x, run.curves[n].y]; });
    var aligned = tables.length === 1 ? tables[0] : uPlot.join(tables);
    var series = [{ label: run.axis, value: function (u, v) { return v == null ? "–" : String(v); } }];
    spec.series.forEach(function (n, i) {
      series.push({ label: n, stroke: palette[i % palette.length], width: 1.5,
                    value: function (u, v) { return fmt(v); } });
    });
    var opts = {
      width: Math.max(280, el.clientWidth || 600), height: 220,
      scales: { x: { time: false }, y: { distr: spec.log ? 3 : 1 } },
      axes: [
        { label: run.axis, labelSize: 18 },
        { values: function (u, vals) { return vals.map(fmt); },
          size: function (u, vals) {
            var w = 0;
            (vals || []).forEach(function (v) { w = Math.max(w, String(v).length); });
            return Math.max(40, 7 * w + 22);
          } }
      ],
      series: series,
      cursor: { drag: { x: true, y: false } },
      plugins: [overlay(spec)]
    };
    made.push([new uPlot(opts, aligned, el), el]);
  });
  document.documentElement.setAttribute("data-plots", String(made.length));
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      made.forEach(function (p) { p[0].setSize({ width: Math.max(280, p[1].clientWidth), height: 220 }); });
    }, 100);
  });
})();
"""

_CSS = """
:root { --fg: #1d2125; --muted: #5f6b76; --line: #d8dee4; --bg: #fff; --soft: #f6f8fa;
        --error: #c0392b; --warning: #b9770e; --info: #1f77b4; --ok: #1e8449; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0 auto; padding: 1.5rem; max-width: 1200px; }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft);
       padding: 0 0.25em; border-radius: 3px; overflow-wrap: anywhere; }
h1 { margin: 0; font-size: 1.6rem; } h2 { font-size: 1.25rem; overflow-wrap: anywhere; margin-top: 0; }
h3 { font-size: 1.1rem; margin: 0; } h4 { margin: 1rem 0 0.3rem; font-size: 0.95rem; color: var(--muted); }
.top { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; border-bottom: 2px solid var(--line);
       padding-bottom: 0.5rem; margin-bottom: 1rem; }
.meta, .where, .why, .cat, footer, .more { color: var(--muted); }
.errors { background: #fdecea; border: 1px solid var(--error); padding: 0.5rem 1rem; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
th, td { border-bottom: 1px solid var(--line); padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
th { background: var(--soft); }
table.diff code { white-space: nowrap; overflow-wrap: normal; }
.run { border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin: 1.25rem 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0 0 1rem; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
.trend { font-weight: 600; margin-right: 0.5rem; } .trend.rising { color: var(--error); }
.trend.falling { color: var(--ok); } .trend.flat { color: var(--warning); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 0.75rem 1.25rem; margin: 0.75rem 0; }
.chart { margin: 0; min-width: 0; } .chart figcaption { font-size: 0.85rem; color: var(--muted); margin-bottom: 0.2rem; }
.chart figcaption b { color: var(--fg); } .plot { width: 100%; min-height: 230px; }
.nf { color: var(--error); font-weight: 600; } .onset { color: var(--error); font-weight: 600; }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--info); border-radius: 6px;
           padding: 0.75rem 1rem; margin: 1rem 0; background: #fff; }
.finding.sev-error { border-left-color: var(--error); } .finding.sev-warning { border-left-color: var(--warning); }
.finding > header { display: flex; align-items: center; gap: 0.75rem; flex-wrap: wrap; }
.rank { font-weight: 700; font-size: 1.1rem; color: var(--muted); }
.badge { display: inline-block; color: #fff; border-radius: 4px; padding: 0 0.45em; font-size: 0.8rem;
         font-weight: 700; text-transform: uppercase; letter-spacing: 0.03em; background: var(--info); }
.badge.error { background: var(--error); } .badge.warning { background: var(--warning); }
.score { display: inline-flex; align-items: center; gap: 0.35rem; font-variant-numeric: tabular-nums; }
.bar { display: inline-block; width: 110px; height: 10px; background: var(--line); border-radius: 5px; overflow: hidden; }
.fill { display: block; height: 100%; background: var(--info); }
.sev-error .fill { background: var(--error); } .sev-warning .fill { background: var(--warning); }
.summary p, p.summary { margin: 0.5rem 0; font-style: italic; }
ul.marks { list-style: none; padding-left: 0.25rem; margin: 0.25rem 0; }
ul.marks li { margin: 0.2rem 0; padding-left: 1.4em; text-indent: -1.4em; }
.m { display: inline-block; width: 1.2em; text-indent: 0; font-weight: 700; }
.ok .m { color: var(--ok); } .against .m { color: var(--warning); } .missing .m { color: var(--info); }
.where { font-size: 0.85rem; margin-left: 0.4rem; }
ol.remedies li { margin: 0.3rem 0; } .why { display: block; font-size: 0.9rem; }
.healthy { border-left: 6px solid var(--ok); background: #eef8f1; padding: 0.5rem 1rem; border-radius: 6px; }
.stalled { border-left: 6px solid var(--warning); background: #fdf5e6; padding: 0.5rem 1rem; border-radius: 6px; }
.warn, .note { margin: 0.3rem 0; } .warn { color: var(--warning); }
.unreadable { border: 1px solid var(--error); border-radius: 8px; padding: 1rem 1.25rem; }
.err { color: var(--error); } .hint { color: var(--muted); } .more-n { color: var(--muted); font-size: 0.85rem; }
footer { border-top: 1px solid var(--line); margin-top: 2rem; padding-top: 0.5rem; font-size: 0.85rem; }
@media print { .charts { grid-template-columns: 1fr 1fr; } body { max-width: none; } }
"""
