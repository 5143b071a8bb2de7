"""`newscrawl stats`: per source, new articles per day, the share with a date, the last good run.

Counts come from one projected cursor over the articles first seen in the window, bucketed by UTC
day here rather than by an aggregation (nx-27017 returns aggregated dates as strings). Runs come
from `crawl_runs` (written by `crawler.extensions.runs`). A source is flagged when:

- ``last_run_failed``: its latest run record says `failed`;
- ``no_successful_run`` / ``stale``: no successful run at all, or none in `STALE_AFTER`;
- ``count_dropped``: yesterday (the last complete UTC day) brought fewer than `DROP_RATIO` of
  the median of the days before it in the window, that median being at least `DROP_MIN_MEDIAN`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crawler.cli.common import at_least, project_settings, reader_stores

if TYPE_CHECKING:
    from crawler.storage.articles import ArticleStore
    from crawler.storage.runs import RunStore

__all__ = ["SourceStats", "StatsReport", "compute_stats", "render_table"]

STALE_AFTER = dt.timedelta(hours=48)
DROP_RATIO = 0.25
DROP_MIN_MEDIAN = 4
_RUN_FIELDS = ("run_id", "status", "failed", "failure_reason", "started_at", "finished_at",
               "finish_reason")


def as_utc(value: Any) -> dt.datetime | None:
    """A stored date as an aware UTC datetime, whether the server returned a date or a string.

    >>> as_utc("2023-11-07T08:30:00Z"), as_utc(None), as_utc("junk")
    (datetime.datetime(2023, 11, 7, 8, 30, tzinfo=datetime.timezone.utc), None, None)
    """
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def count_dropped(per_day: list[int]) -> bool:
    """Did the last complete day (the one before today, the last item) fall sharply?

    >>> count_dropped([10, 12, 9, 11, 1, 3])
    True
    >>> count_dropped([10, 12, 9, 11, 8, 0]), count_dropped([2, 1, 3, 0, 0]), count_dropped([9, 0])
    (False, False, False)
    """
    if len(per_day) < 4:
        return False
    baseline = statistics.median(per_day[:-2])
    return baseline >= DROP_MIN_MEDIAN and per_day[-2] < DROP_RATIO * baseline


@dataclass
class SourceStats:
    source: str
    days: list[dt.date]
    per_day: list[int]
    total: int = 0
    dated: int = 0  # with a published_at
    last_run: dict[str, Any] | None = None
    last_success: dict[str, Any] | None = None
    last_success_age: dt.timedelta | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def dated_share(self) -> float | None:
        return self.dated / self.total if self.total else None

    def to_json(self) -> dict[str, Any]:
        from crawler.cli.export import jsonable

        age = self.last_success_age
        return {
            "source": self.source,
            "per_day": {day.isoformat(): n for day, n in zip(self.days, self.per_day, strict=True)},
            "total": self.total,
            "with_published_at": self.dated,
            "dated_share": None if self.dated_share is None else round(self.dated_share, 4),
            "last_run": jsonable(self.last_run),
            "last_success": jsonable(self.last_success),
            "last_success_age_s": None if age is None else round(age.total_seconds()),
            "flags": self.flags,
        }


@dataclass
class StatsReport:
    generated_at: dt.datetime
    days: list[dt.date]
    sources: list[SourceStats]

    def to_json(self) -> dict[str, Any]:
        from crawler.cli.export import iso

        return {"generated_at": iso(self.generated_at), "days": len(self.days),
                "since": self.days[0].isoformat(),
                "sources": [s.to_json() for s in self.sources]}


def _run_summary(run: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if run is None else {k: run.get(k) for k in _RUN_FIELDS}


def compute_stats(articles: ArticleStore, runs: RunStore, *, days: int,
                  now: dt.datetime | None = None) -> StatsReport:
    """The report over the `days` UTC days that end with today (today is partial)."""
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone(dt.UTC).date()
    day_list = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    start = dt.datetime.combine(day_list[0], dt.time(), tzinfo=dt.UTC)
    index = {day: i for i, day in enumerate(day_list)}
    by_source: dict[str, SourceStats] = {}

    def stats_for(source: str) -> SourceStats:
        if source not in by_source:
            by_source[source] = SourceStats(source, day_list, [0] * days)
        return by_source[source]

    cursor: Iterable[dict[str, Any]] = articles.find(
        {"first_seen_at": {"$gte": start}},
        projection={"_id": 0, "source": 1, "first_seen_at": 1, "published_at": 1},
        batch_size=2000,
    )
    for document in cursor:
        seen = as_utc(document.get("first_seen_at"))
        if seen is None or seen.date() not in index:
            continue
        stats = stats_for(str(document.get("source")))
        stats.per_day[index[seen.date()]] += 1
        stats.total += 1
        stats.dated += document.get("published_at") is not None
    for spider in runs.spiders():
        stats_for(spider)

    for stats in by_source.values():
        latest, success = runs.latest(stats.source), runs.last_successful(stats.source)
        stats.last_run, stats.last_success = _run_summary(latest), _run_summary(success)
        finished = as_utc((success or {}).get("finished_at"))
        stats.last_success_age = now - finished if finished else None
        if latest is not None and latest.get("failed"):
            stats.flags.append("last_run_failed")
        if latest is not None and success is None:
            stats.flags.append("no_successful_run")
        elif stats.last_success_age is not None and stats.last_success_age > STALE_AFTER:
            stats.flags.append("stale")
        if count_dropped(stats.per_day):
            stats.flags.append("count_dropped")
    return StatsReport(now, day_list, sorted(by_source.values(), key=lambda s: s.source))


def _age(delta: dt.timedelta | None) -> str:
    """
    >>> _age(dt.timedelta(seconds=40)), _age(dt.timedelta(hours=5)), _age(dt.timedelta(days=3))
    ('40 s', '5.0 h', '3.0 d')
    """
    if delta is None:
        return "-"
    seconds = delta.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def render_table(report: StatsReport, *, max_day_columns: int = 14) -> str:
    shown = report.days[-max_day_columns:]
    head = ["source".ljust(16), *(d.strftime("%m-%d") for d in shown),
            "total", "dated", "last ok run (age)".ljust(26), "status"]
    lines = [
        f"new articles per UTC day (first_seen_at), last {len(report.days)} days, "
        f"as of {report.generated_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "  ".join(head),
    ]
    for s in report.sources:
        finished = as_utc((s.last_success or {}).get("finished_at"))
        last_ok = f"{finished:%Y-%m-%d %H:%M} ({_age(s.last_success_age)})" if finished else "never"
        share = "-" if s.dated_share is None else f"{s.dated_share:.0%}"
        cells = [s.source[:16].ljust(16), *(f"{n:5d}" for n in s.per_day[-len(shown):]),
                 f"{s.total:5d}", f"{share:>5}", last_ok.ljust(26),
                 ", ".join(f.upper().replace("_", " ") for f in s.flags) or "ok"]
        lines.append("  ".join(cells))
    if not report.sources:
        lines.append("(no article first seen in the window and no run recorded)")
    return "\n".join(lines)


def add_parser(commands: Any) -> None:
    stats = commands.add_parser("stats", help="per source: articles per day, last good run")
    stats.add_argument("--days", type=at_least(1), default=7, metavar="N",
                       help="days to show (default 7)")
    stats.add_argument("--json", action="store_true", help="JSON instead of a table")
    stats.add_argument("--health", action="store_true",
                       help="per source: the field shares of the latest judged run against the "
                            "baseline, and any drift (README \"Data health\")")
    stats.add_argument("--fail-on-drift", action="store_true",
                       help=f"with --health: exit {EXIT_DRIFT} when a source's latest judged run "
                            "drifted (for cron mail or a Nagios check)")
    stats.set_defaults(func=run)


EXIT_DRIFT = 3


def health_summaries(runs: RunStore, settings: Any) -> list[dict[str, Any]]:
    """`crawler.health.summary.source_health` of every source with a run record."""
    from crawler.health.drift import DriftThresholds
    from crawler.health.summary import source_health

    thresholds = DriftThresholds(min_articles=settings.getint("HEALTH_MIN_ARTICLES"),
                                 drift_points=settings.getfloat("HEALTH_DRIFT_POINTS"),
                                 baseline_runs=settings.getint("HEALTH_BASELINE_RUNS"))
    # the window a crawl judges its drift in (crawler.extensions.runs), from now; a record of an
    # older schema without `started_at` is kept, to be named as not judged
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=settings.getfloat("HEALTH_BASELINE_DAYS"))
    return [source_health(spider, [record for record in runs.history(
        spider, min_health_articles=thresholds.min_articles) if _within(record, since)],
        thresholds) for spider in runs.spiders()]


def _within(record: Mapping[str, Any], since: dt.datetime) -> bool:
    started = record.get("started_at")
    if not isinstance(started, dt.datetime):
        return True
    return (started if started.tzinfo else started.replace(tzinfo=dt.UTC)) >= since


def run_health(args: argparse.Namespace) -> int:
    from crawler.cli.export import jsonable
    from crawler.errors import DatabaseUnavailable
    from crawler.health.summary import render_health

    settings = project_settings()
    try:
        _, runs = reader_stores(settings)
        summaries = health_summaries(runs, settings)
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"newscrawl stats: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"sources": jsonable(summaries)}, ensure_ascii=False, indent=2))
    else:
        print(render_health(summaries, min_articles=settings.getint("HEALTH_MIN_ARTICLES")))
    drifted = any(summary["drift"] for summary in summaries)
    return EXIT_DRIFT if args.fail_on_drift and drifted else 0


def run(args: argparse.Namespace) -> int:
    from crawler.errors import DatabaseUnavailable

    if args.health or args.fail_on_drift:
        return run_health(args)
    try:
        articles, runs = reader_stores(project_settings())
        report = compute_stats(articles, runs, days=args.days)
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"newscrawl stats: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_table(report))
    return 0
