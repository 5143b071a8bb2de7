"""`newscrawl report -o report.html`: one self-contained page of charts per source.

The figures come from the database as `newscrawl stats` reads them (new articles per day from
`first_seen_at`, runs from `crawl_runs`); the page itself is drawn by `crawler.health.page`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

LATEST_ARTICLES = 5


def _catalogue_names(settings: Any) -> dict[str, str]:
    """Catalogue key -> display name; {} when the catalogue cannot be read (the report goes on)."""
    from crawler.cli.sites import catalogue_sites
    from crawler.errors import CatalogueError

    try:
        return {site.key: site.name for site in catalogue_sites(settings.get("SITES_FILE"))}
    except (CatalogueError, OSError, KeyError):
        return {}


def build_report(articles: Any, runs: Any, settings: Any, *, days: int,
                 now: dt.datetime | None = None) -> str:
    """The page's HTML, from the reader stores."""
    from crawler.cli.stats import compute_stats
    from crawler.health.drift import DriftThresholds
    from crawler.health.page import SourceReport, render_report
    from crawler.health.summary import source_health

    now = now or dt.datetime.now(dt.UTC)
    thresholds = DriftThresholds(min_articles=settings.getint("HEALTH_MIN_ARTICLES"),
                                 drift_points=settings.getfloat("HEALTH_DRIFT_POINTS"),
                                 baseline_runs=settings.getint("HEALTH_BASELINE_RUNS"))
    names = _catalogue_names(settings)
    counts = compute_stats(articles, runs, days=days, now=now)
    reports = []
    for stats in counts.sources:
        history = runs.history(stats.source, min_health_articles=thresholds.min_articles)
        latest = list(articles.find({"source": stats.source},
                                    projection={"_id": 0, "title": 1, "authors": 1,
                                                "published_at": 1, "url": 1},
                                    sort=[("published_at", -1)], limit=LATEST_ARTICLES))
        reports.append(SourceReport(stats.source, names.get(stats.source), counts.days,
                                    stats.per_day, history,
                                    source_health(stats.source, history, thresholds), latest))
    return render_report(reports, generated_at=now, days=days)


def add_parser(commands: Any) -> None:
    from crawler.cli.common import at_least

    report = commands.add_parser("report", help="one self-contained HTML page of charts per source")
    report.add_argument("-o", "--output", type=Path, default=Path("report.html"), metavar="FILE",
                        help="the page to write (default report.html)")
    report.add_argument("--days", type=at_least(1), default=30, metavar="N",
                        help="days of new articles to draw (default 30)")
    report.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from crawler.cli.common import project_settings, reader_stores
    from crawler.errors import DatabaseUnavailable

    settings = project_settings()
    try:
        articles, runs = reader_stores(settings)
        page = build_report(articles, runs, settings, days=args.days)
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"newscrawl report: {exc}", file=sys.stderr)
        return 1
    output: Path = args.output
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(page, encoding="utf-8")
        os.replace(temporary, output)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        print(f"newscrawl report: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {output}")
    return 0
