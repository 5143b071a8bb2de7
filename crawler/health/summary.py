"""Per source: the latest judged run's field shares against the baseline, and its drift
(`newscrawl stats --health`, the report page, `newscrawl metrics`).

Works on run records of any age: a record written before the `health` sub-document (an older
schema) or with a malformed one counts as a run that judged nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crawler.health.drift import DriftThresholds, baseline, drift_text
from crawler.health.fields import FIELDS, with_shares


def _shares(health: Mapping[str, Any] | None) -> dict[str, dict[str, float]]:
    fields = (health or {}).get("fields") or {}
    return {name: {k: float(v) for k, v in entry.items() if k in ("share", "trusted_share")
                   and isinstance(v, int | float)}
            for name, entry in fields.items() if isinstance(entry, Mapping)}


def judged(record: Mapping[str, Any]) -> bool:
    """Whether the run was judged for drift (its `drift` is a list, possibly empty)."""
    return isinstance(record.get("drift"), list)


def source_health(source: str, history: Sequence[Mapping[str, Any]],
                  thresholds: DriftThresholds) -> dict[str, Any]:
    """The health summary of `source` from its run records, newest first.

    >>> ok = {"status": "ok", "drift": [], "articles": {"new": 10}, "run_id": "a",
    ...       "health": {"articles": 10, "fields": {"authors": {"present": 10, "trusted": 10}}}}
    >>> s = source_health("s", [{**ok, "run_id": "b", "drift": [{"field": "authors"}]}, ok],
    ...                   DriftThresholds())
    >>> s["current"]["run_id"], s["baseline"]["runs"], [d["field"] for d in s["drift"]]
    ('b', 1, ['authors'])
    >>> source_health("s", [{"status": "ok"}], DriftThresholds())["current"] is None
    True
    """
    index = next((i for i, r in enumerate(history) if judged(r)), None)
    current = history[index] if index is not None else None
    base = baseline(history[index + 1:], thresholds) if index is not None else None
    health = with_shares(current["health"]) if current and isinstance(current.get("health"),
                                                                        Mapping) else None
    drift = [d for d in (current or {}).get("drift") or [] if isinstance(d, Mapping)]
    return {
        "source": source,
        "runs": len(history),
        "current": None if current is None else {
            "run_id": current.get("run_id"), "started_at": current.get("started_at"),
            "articles": (health or {}).get("articles", 0), "fields": _shares(health)},
        "baseline": None if base is None else {
            "runs": base["runs"], "articles": base["articles"], "fields": _shares(base)},
        "drift": [{**d, "text": drift_text(d)} for d in drift],
    }


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def render_health(summaries: Sequence[Mapping[str, Any]], *, min_articles: int) -> str:
    """The `newscrawl stats --health` table.

    >>> print(render_health([], min_articles=10))
    data health: no run recorded
    >>> print(render_health([{"source": "s", "runs": 1, "current": None, "baseline": None,
    ...                       "drift": []}], min_articles=10))
    data health of each source's latest judged run against its baseline (share of the new articles)
    s: no run judged yet (1 run recorded; a run is judged with at least 10 new articles)
    """
    if not summaries:
        return "data health: no run recorded"
    lines = ["data health of each source's latest judged run against its baseline "
             "(share of the new articles)"]
    for summary in summaries:
        current, base = summary.get("current"), summary.get("baseline")
        if current is None:
            lines.append(f"{summary['source']}: no run judged yet ({summary.get('runs', 0)} run"
                         f"{'' if summary.get('runs') == 1 else 's'} recorded; a run is judged "
                         f"with at least {min_articles} new articles)")
            continue
        started = current.get("started_at")
        when = f"{started:%Y-%m-%d %H:%M} UTC" if hasattr(started, "strftime") else str(started)
        against = (f"baseline {base['runs']} run{'' if base['runs'] == 1 else 's'}, "
                   f"{base['articles']} articles" if base else "no baseline yet")
        status = "DRIFT" if summary.get("drift") else "ok"
        lines.append(f"{summary['source']}: {status}; run of {when}, {current['articles']} new "
                     f"articles; {against}")
        lines.append(f"  {'field':<10} {'share':>6} {'base':>6} {'trusted':>8} {'base':>6}")
        drifted = {d.get("field") for d in summary.get("drift") or ()}
        for name in FIELDS:
            now = current["fields"].get(name, {})
            before = (base or {}).get("fields", {}).get(name, {})
            trusted = (f"{_cell(now.get('trusted_share')):>8} {_cell(before.get('trusted_share')):>6}"
                       if "trusted_share" in now or "trusted_share" in before else "")
            mark = "  DRIFT" if name in drifted else ""
            lines.append(f"  {name:<10} {_cell(now.get('share')):>6} {_cell(before.get('share')):>6} "
                         f"{trusted}{mark}".rstrip())
        lines.extend(f"  DRIFT: {d['text']}" for d in summary.get("drift") or ())
    return "\n".join(lines)
