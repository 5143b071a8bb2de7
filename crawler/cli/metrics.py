"""`newscrawl metrics [-o FILE]`: the sources' latest runs and data health as Prometheus metrics,
for node_exporter's textfile collector (`-o /var/lib/node_exporter/textfile/newscrawl.prom`,
written atomically by prometheus-client) or for stdout.

Run it from cron after the crawl; alert on `newscrawl_drifting_fields > 0`, on
`time() - newscrawl_last_success_timestamp_seconds` or on `newscrawl_last_run_ok == 0`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crawler.cli.stats import as_utc


def build_registry(runs: Any, settings: Any) -> Any:
    """A prometheus-client registry holding one sample set per source with a run record."""
    from prometheus_client import CollectorRegistry, Gauge

    from crawler.cli.stats import health_summaries

    registry = CollectorRegistry()

    def gauge(name: str, text: str, labels: tuple[str, ...] = ("source",)) -> Gauge:
        return Gauge(name, text, labels, registry=registry)

    started = gauge("newscrawl_last_run_timestamp_seconds", "start of the latest finished run")
    ok = gauge("newscrawl_last_run_ok", "1 when the latest finished run is ok, else 0")
    duration = gauge("newscrawl_last_run_duration_seconds", "duration of the latest finished run")
    new = gauge("newscrawl_last_run_new_articles", "new articles of the latest finished run")
    success = gauge("newscrawl_last_success_timestamp_seconds", "end of the latest successful run")
    share = gauge("newscrawl_field_share", "share of the latest judged run's new articles with "
                  "the field (measure=share) or with it from a trusted method (trusted_share)",
                  ("source", "field", "measure"))
    baseline = gauge("newscrawl_field_baseline_share", "the same share over the baseline runs",
                     ("source", "field", "measure"))
    drifting = gauge("newscrawl_drifting_fields", "fields that drifted in the latest judged run")
    drift = gauge("newscrawl_field_drift", "1 for each field that drifted in the latest judged run",
                  ("source", "field"))
    summaries = {s["source"]: s for s in health_summaries(runs, settings)}
    for source in runs.spiders():
        latest = next(iter(runs.history(source, limit=1)), None)
        if latest is not None:
            when = as_utc(latest.get("started_at"))
            if when is not None:
                started.labels(source).set(when.timestamp())
            ok.labels(source).set(1 if latest.get("status") == "ok" else 0)
            seconds = latest.get("duration_s")
            duration.labels(source).set(seconds if isinstance(seconds, int | float) else 0)
            articles = latest.get("articles")
            count = articles.get("new") if isinstance(articles, Mapping) else 0
            new.labels(source).set(count if isinstance(count, int | float) else 0)
        finished = as_utc((runs.last_successful(source) or {}).get("finished_at"))
        if finished is not None:
            success.labels(source).set(finished.timestamp())
        summary = summaries.get(source) or {}
        for target, part in ((share, summary.get("current")), (baseline, summary.get("baseline"))):
            for field, values in ((part or {}).get("fields") or {}).items():
                for measure, value in values.items():
                    target.labels(source, field, measure).set(value)
        fields = {str(d.get("field")) for d in summary.get("drift") or ()}
        drifting.labels(source).set(len(fields))
        for field in sorted(fields):
            drift.labels(source, field).set(1)
    return registry


def add_parser(commands: Any) -> None:
    metrics = commands.add_parser("metrics", help="latest runs and data health as Prometheus metrics")
    metrics.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                         help="write a node_exporter textfile (atomically) instead of stdout")
    metrics.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from prometheus_client import generate_latest, write_to_textfile

    from crawler.cli.common import project_settings, reader_stores
    from crawler.errors import DatabaseUnavailable

    settings = project_settings()
    try:
        _, runs = reader_stores(settings)
        registry = build_registry(runs, settings)
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"newscrawl metrics: {exc}", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.write(generate_latest(registry).decode("utf-8"))
        return 0
    try:
        write_to_textfile(str(args.output), registry)
    except OSError as exc:
        print(f"newscrawl metrics: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.output} at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC")
    return 0
