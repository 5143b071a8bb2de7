"""The report page (`newscrawl report`): one self-contained HTML file, charts as inline SVG.

Per source: new articles per day over the window, the field shares of the judged runs with the
drifts marked, the outcome and duration of the latest runs, the shares against the baseline, and
the latest articles. Nothing is fetched from elsewhere (a Content-Security-Policy of `default-src
'none'` says so to the browser as well), and every text that reaches the page is escaped: titles,
authors and source names come from crawled pages and catalogue files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from crawler.health.drift import drift_text
from crawler.health.fields import FIELDS, with_shares
from crawler.health.svg import STATUS_COLOURS, Bar, bar_chart, share_chart

RUNS_SHOWN = 30


@dataclass
class SourceReport:
    source: str
    name: str | None
    days: list[dt.date]
    per_day: list[int]
    runs: list[Mapping[str, Any]]  # newest first
    summary: Mapping[str, Any]  # crawler.health.summary.source_health
    latest: list[Mapping[str, Any]] = field(default_factory=list)  # title, authors, published_at, url


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-top: 1px solid #ccc;
padding-top: 16px; } h3 { font-size: 14px; margin: 16px 0 4px; }
.drift { color: #b00; font-weight: bold; } .ok { color: #070; } .muted { color: #666; }
table { border-collapse: collapse; font-size: 13px; } td, th { padding: 2px 8px; text-align: left;
border-bottom: 1px solid #eee; } .num { text-align: right; }
"""


def _when(value: Any) -> str:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return f"{aware.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    return str(value) if value else "unknown time"


def _share(value: Any) -> str:
    return f"{value:.0%}" if isinstance(value, int | float) else "-"


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _day_chart(report: SourceReport) -> str:
    bars = [Bar(f"{day:%m-%d}", n, f"{day.isoformat()}: {n} new articles")
            for day, n in zip(report.days, report.per_day, strict=False)]
    return bar_chart(f"{report.source}: new articles per day", bars,
                     empty=f"no new article in the last {len(report.days)} days",
                     label_every=max(1, len(bars) // 6))


def _share_chart(report: SourceReport) -> str:
    judged = [r for r in report.runs[:RUNS_SHOWN] if isinstance(r.get("drift"), list)][::-1]
    labels = [_when(r.get("started_at")) for r in judged]
    healths = [with_shares(r["health"]) if isinstance(r.get("health"), Mapping) else {}
               for r in judged]
    series = {name: [(h.get("fields", {}).get(name) or {}).get("trusted_share",
                     (h.get("fields", {}).get(name) or {}).get("share")) for h in healths]
              for name in FIELDS}
    drift = {i: "; ".join(drift_text(d) for d in r["drift"] if isinstance(d, Mapping))
             for i, r in enumerate(judged) if r["drift"]}
    return share_chart(f"{report.source}: field shares of the judged runs (trusted where the "
                       "extraction says how)", labels, series, drift=drift,
                       empty="no judged run yet (too few new articles per run)")


def _run_chart(report: SourceReport) -> str:
    runs = report.runs[:RUNS_SHOWN][::-1]
    bars = []
    for run in runs:
        status = str(run.get("status") or "unknown")
        new = int(_number((run.get("articles") or {}).get("new")
                          if isinstance(run.get("articles"), Mapping) else 0))
        reason = f" ({run.get('failure_reason')})" if run.get("failure_reason") else ""
        bars.append(Bar("", _number(run.get("duration_s")),
                        f"{_when(run.get('started_at'))}: {status}{reason}, "
                        f"{_number(run.get('duration_s')):.1f} s, {new} new articles",
                        STATUS_COLOURS.get(status, "#bbbbbb")))
    return bar_chart(f"{report.source}: duration of the latest runs, coloured by outcome", bars,
                     empty="no run recorded", unit=" s")


def _shares_table(summary: Mapping[str, Any]) -> str:
    current, base = summary.get("current"), summary.get("baseline")
    if not current:
        return '<p class="muted">No run judged yet: a run is judged once it brings enough new articles.</p>'
    drifted = {d.get("field") for d in summary.get("drift") or ()}
    rows = []
    for name in FIELDS:
        now = (current.get("fields") or {}).get(name, {})
        before = ((base or {}).get("fields") or {}).get(name, {})
        mark = ' class="drift"' if name in drifted else ""
        rows.append(f"<tr{mark}><td>{escape(name)}</td><td class=num>{_share(now.get('share'))}</td>"
                    f"<td class=num>{_share(before.get('share'))}</td>"
                    f"<td class=num>{_share(now.get('trusted_share'))}</td>"
                    f"<td class=num>{_share(before.get('trusted_share'))}</td></tr>")
    against = (f"baseline: {int(_number(base.get('runs')))} good runs, "
               f"{int(_number(base.get('articles')))} articles" if base else "no baseline yet")
    return (f"<p>Latest judged run: {escape(_when(current.get('started_at')))}, "
            f"{int(_number(current.get('articles')))} new articles; {escape(against)}.</p>"
            "<table><tr><th>field</th><th>share</th><th>baseline</th><th>trusted</th>"
            f"<th>baseline</th></tr>{''.join(rows)}</table>")


def _latest_table(latest: Sequence[Mapping[str, Any]]) -> str:
    if not latest:
        return '<p class="muted">No article stored.</p>'
    rows = []
    for article in latest:
        authors = article.get("authors")
        names = ", ".join(str(a) for a in authors) if isinstance(authors, list) else str(authors or "")
        rows.append(f"<tr><td>{escape(_when(article.get('published_at')))}</td>"
                    f"<td>{escape(str(article.get('title') or ''))}</td><td>{escape(names)}</td></tr>")
    return ("<table><tr><th>published</th><th>title</th><th>authors</th></tr>"
            f"{''.join(rows)}</table>")


def _section(report: SourceReport) -> str:
    summary = report.summary
    title = escape(report.source) + (f" <span class=muted>({escape(report.name)})</span>"
                                     if report.name and report.name != report.source else "")
    latest_run = report.runs[0] if report.runs else None
    if latest_run is None:
        state = '<p class="muted">No run recorded.</p>'
    else:
        status = str(latest_run.get("status") or "unknown")
        state = (f'<p>Latest run: {escape(_when(latest_run.get("started_at")))}, '
                 f'<span class="{"ok" if status == "ok" else "drift"}">{escape(status)}</span>'
                 + (f" ({escape(str(latest_run.get('failure_reason')))})"
                    if latest_run.get("failure_reason") else "") + ".</p>")
    drifts = "".join(f'<p class="drift">DRIFT: {escape(str(d.get("text") or drift_text(d)))}</p>'
                     for d in summary.get("drift") or ())
    return (f'<section class="source" id="source-{escape(report.source)}"><h2>{title}</h2>'
            f"{state}{drifts}"
            f"<h3>New articles per day</h3>{_day_chart(report)}"
            f"<h3>Field shares of the judged runs</h3>{_share_chart(report)}"
            f"<h3>Runs: duration and outcome</h3>{_run_chart(report)}"
            f"<h3>Latest judged run against the baseline</h3>{_shares_table(summary)}"
            f"<h3>Latest articles</h3>{_latest_table(report.latest)}</section>")


def render_report(sources: Sequence[SourceReport], *, generated_at: dt.datetime, days: int) -> str:
    """The whole page."""
    drifting = [s.source for s in sources if s.summary.get("drift")]
    if not sources:
        overview = ('<p class="muted">No run recorded and no article stored yet: run '
                    "<code>newscrawl crawl</code> first.</p>")
    elif drifting:
        overview = (f'<p class="drift">Drift in {len(drifting)} source(s): '
                    f"{escape(', '.join(drifting))}</p>")
    else:
        overview = f'<p class="ok">{len(sources)} source(s), no drift.</p>'
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">"
        f"<title>newscrawl report</title><style>{_STYLE}</style></head><body>"
        f"<h1>newscrawl report</h1><p class=muted>{escape(_when(generated_at))}; the last {days} "
        f"days; the latest {RUNS_SHOWN} runs per source.</p>{overview}"
        + "".join(_section(s) for s in sources)
        + "</body></html>\n")
