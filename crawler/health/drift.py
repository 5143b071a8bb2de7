"""Drift: a field of a source's new articles falls far below its recent good runs.

A run is *judged* when it brought at least `min_articles` new articles (fewer say nothing about
a share), or when it brought none while the source's recent good runs each brought at least that
many. The *baseline* pools the counts of the source's last `baseline_runs` good runs that were
judged on their own articles: `ok`, at least `min_articles` new articles, and no drift (a run
that drifted is not a standard: the drift is reported again on every judged run until the field
recovers, or until the runs before the change leave the baseline window, HEALTH_BASELINE_DAYS).

For each field the run's share is compared with the baseline's, then its share found by a trusted
method (`crawler.health.fields`); one drift per field, the share first: a fall of more than
`drift_points` percentage points. A run's record keeps `drift`: a list when it was judged
(empty: nothing drifted), null when it was not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crawler.health.fields import FIELDS, with_shares


@dataclass(frozen=True)
class DriftThresholds:
    min_articles: int = 10
    drift_points: float = 40.0
    baseline_runs: int = 5


def new_articles(record: Mapping[str, Any]) -> int:
    """
    >>> new_articles({"articles": {"new": 3}}), new_articles({"articles": "junk"}), new_articles({})
    (3, 0, 0)
    """
    articles = record.get("articles")
    value = articles.get("new") if isinstance(articles, Mapping) else None
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _health(record: Mapping[str, Any]) -> dict[str, Any]:
    health = record.get("health")
    return with_shares(health) if isinstance(health, Mapping) else {"articles": 0, "fields": {}}


def is_good(record: Mapping[str, Any]) -> bool:
    """An `ok` run that reported no drift."""
    return record.get("status") == "ok" and not record.get("drift")


def baseline(history: Iterable[Mapping[str, Any]], thresholds: DriftThresholds) -> dict[str, Any] | None:
    """The pooled `health` of the latest good judged runs in `history` (newest first), with
    `runs` (how many) and `new_per_run`; None when there is none.

    >>> runs = [{"status": "ok", "drift": [], "health": {"articles": 10, "fields": {
    ...     "authors": {"present": 10, "trusted": 10}}}}] * 2
    >>> b = baseline(runs, DriftThresholds())
    >>> b["runs"], b["articles"], b["fields"]["authors"]["trusted_share"]
    (2, 20, 1.0)
    >>> baseline([{"status": "ok", "health": {"articles": 3}}], DriftThresholds()) is None
    True
    """
    chosen = [h for h in (_health(r) for r in history if is_good(r))
              if h["articles"] >= thresholds.min_articles][:thresholds.baseline_runs]
    if not chosen:
        return None
    fields: dict[str, dict[str, Any]] = {}
    for health in chosen:
        for name, entry in health["fields"].items():
            total = fields.setdefault(name, {})
            for key in ("present", "trusted", "confidence_sum"):
                if isinstance(entry.get(key), int | float):
                    total[key] = total.get(key, 0) + entry[key]
    articles = sum(h["articles"] for h in chosen)
    pooled = with_shares({"articles": articles, "fields": fields})
    return {**pooled, "runs": len(chosen), "new_per_run": articles / len(chosen)}


def _zero_yield(history: Sequence[Mapping[str, Any]], thresholds: DriftThresholds) -> dict[str, Any] | None:
    """The drift of a run that brought no new article while the source's last good runs (at
    least two) each brought `min_articles` or more; None otherwise."""
    recent = [r for r in history if is_good(r)][:thresholds.baseline_runs]
    counts = [new_articles(r) for r in recent]
    if len(counts) < 2 or min(counts) < thresholds.min_articles:
        return None
    return {"field": "articles", "measure": "new", "value": 0,
            "baseline": round(sum(counts) / len(counts), 1), "baseline_runs": len(counts)}


def find_drift(record: Mapping[str, Any], history: Sequence[Mapping[str, Any]],
               thresholds: DriftThresholds) -> list[dict[str, Any]] | None:
    """The drift of run `record` against the earlier runs `history` (newest first); None when
    the run cannot be judged.

    >>> good = {"status": "ok", "articles": {"new": 20}, "drift": [], "health": {"articles": 20,
    ...         "fields": {"authors": {"present": 20, "trusted": 20}}}}
    >>> now = {"articles": {"new": 20}, "health": {"articles": 20,
    ...        "fields": {"authors": {"present": 18, "trusted": 0}}}}
    >>> limits = DriftThresholds()
    >>> [(d["field"], d["measure"], d["value"], d["baseline"]) for d in find_drift(now, [good], limits)]
    [('authors', 'trusted_share', 0.0, 1.0)]
    >>> find_drift(now, [], limits), find_drift({"articles": {"new": 4}}, [good], limits)
    ([], None)
    >>> find_drift({"articles": {"new": 0}}, [good, good], limits)[0]["field"]
    'articles'
    """
    health = _health(record)
    if health["articles"] < thresholds.min_articles:
        if new_articles(record) == 0 and health["articles"] == 0:
            zero = _zero_yield(history, thresholds)
            return None if zero is None else [zero]
        return None
    base = baseline(history, thresholds)
    if base is None:
        return []
    found = []
    for name in FIELDS:
        now, before = health["fields"].get(name) or {}, base["fields"].get(name) or {}
        for measure in ("share", "trusted_share"):
            if measure not in before:
                continue
            value = float(now.get(measure, 0.0))
            if (before[measure] - value) * 100 > thresholds.drift_points:
                found.append({"field": name, "measure": measure, "value": round(value, 4),
                              "baseline": round(before[measure], 4), "articles": health["articles"],
                              "baseline_articles": base["articles"], "baseline_runs": base["runs"]})
                break
    return found


def drift_text(entry: Mapping[str, Any]) -> str:
    """One drift in words.

    >>> drift_text({"field": "authors", "measure": "trusted_share", "value": 0.1, "baseline": 0.95,
    ...             "articles": 20, "baseline_runs": 2})
    'authors found by a trusted method in 10% of 20 new articles (baseline 95% over 2 runs)'
    >>> drift_text({"field": "body", "measure": "share", "value": 0.0, "baseline": 1.0,
    ...             "articles": 12, "baseline_runs": 1})
    'body present in 0% of 12 new articles (baseline 100% over 1 run)'
    >>> drift_text({"field": "articles", "measure": "new", "value": 0, "baseline": 18.5,
    ...             "baseline_runs": 3})
    'no new article (baseline 18.5 per run over 3 runs)'
    """
    runs = entry.get("baseline_runs", 0)
    over = f"over {runs} run{'' if runs == 1 else 's'}"
    if entry.get("measure") == "new":
        return f"no new article (baseline {entry.get('baseline')} per run {over})"
    how = "found by a trusted method" if entry.get("measure") == "trusted_share" else "present"
    return (f"{entry.get('field')} {how} in {float(entry.get('value', 0)):.0%} of "
            f"{entry.get('articles')} new articles (baseline {float(entry.get('baseline', 0)):.0%} "
            f"{over})")
