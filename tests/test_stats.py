"""`newscrawl stats`: per-day counts, dated share, last successful run, flags."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from crawler.cli.stats import compute_stats, render_table
from crawler.storage.articles import ArticleStore
from crawler.storage.runs import RunStore
from tests.test_export import newscrawl  # noqa: F401  (fixture)
from tests.test_schema import EXPECTED, article

NOW = dt.datetime(2024, 3, 10, 15, 0, tzinfo=dt.UTC)


def days_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


def add_run(runs: RunStore, spider: str, started: dt.datetime, *, failed: bool) -> None:
    run_id = f"{spider}-{started:%Y%m%d%H%M}"
    runs.start({"run_id": run_id, "spider": spider, "started_at": started, "status": "running"})
    runs.finish(run_id, {"finished_at": started + dt.timedelta(minutes=5), "finish_reason": "finished",
                         "failed": failed, "status": "failed" if failed else "ok",
                         "failure_reason": "no response received" if failed else None})


@pytest.fixture
def stores(database: Any) -> tuple[ArticleStore, RunStore]:
    articles, runs = ArticleStore(database), RunStore(database)
    articles.ensure_indexes()
    articles.ensure_schema()
    runs.ensure_indexes()
    # steady: 6 new articles a day for 7 days, a third of them without a date; runs fine.
    # dropping: 8 a day, then 1 yesterday; its last run failed after an older good one.
    for day in range(7):
        when = days_ago(day) - dt.timedelta(hours=1)
        articles.upsert_many(
            [article(f"https://steady.example/{day}-{i}", source="steady",
                     published_at=None if i % 3 == 0 else when) for i in range(6)],
            run_id=f"s{day}", now=when)
        count = 1 if day == 1 else (0 if day == 0 else 8)
        articles.upsert_many(
            [article(f"https://dropping.example/{day}-{i}", source="dropping", published_at=when)
             for i in range(count)], run_id=f"d{day}", now=when)
    articles.upsert_many([article("https://old.example/1", source="old")], run_id="o",
                         now=days_ago(30))
    add_run(runs, "steady", days_ago(0.5), failed=False)
    add_run(runs, "dropping", days_ago(3), failed=False)
    add_run(runs, "dropping", days_ago(0.2), failed=True)
    add_run(runs, "stale", days_ago(4), failed=False)
    return articles, runs


def test_counts_per_day_dated_share_and_last_good_run(stores):
    report = compute_stats(*stores, days=7, now=NOW)
    by_source = {s.source: s for s in report.sources}
    assert sorted(by_source) == ["dropping", "stale", "steady"]  # "old": nothing in the window
    steady = by_source["steady"]
    assert steady.per_day == [6] * 7 and steady.total == 42
    assert steady.dated == 28 and steady.dated_share == pytest.approx(2 / 3)
    assert steady.last_success["finished_at"] == days_ago(0.5) + dt.timedelta(minutes=5)
    assert steady.last_success_age == dt.timedelta(hours=12) - dt.timedelta(minutes=5)
    assert steady.flags == []
    assert report.days[-1] == NOW.date() and len(report.days) == 7


def test_failed_last_run_drop_and_staleness_are_flagged(stores):
    by_source = {s.source: s for s in compute_stats(*stores, days=7, now=NOW).sources}
    dropping = by_source["dropping"]
    assert dropping.per_day == [8, 8, 8, 8, 8, 1, 0]
    assert dropping.flags == ["last_run_failed", "stale", "count_dropped"]
    assert dropping.last_run["failed"] is True
    assert dropping.last_success["run_id"].startswith("dropping-")
    assert by_source["stale"].flags == ["stale"] and by_source["stale"].total == 0

    table = render_table(compute_stats(*stores, days=7, now=NOW))
    lines = {line.split()[0]: line for line in table.splitlines()[2:]}
    assert lines["steady"].endswith("ok") and "67%" in lines["steady"]
    assert "LAST RUN FAILED" in lines["dropping"] and "COUNT DROPPED" in lines["dropping"]


def test_stats_command_json_and_table(stores, newscrawl):  # noqa: F811  (fixture)
    result = newscrawl("stats", "--json", "--days", "3")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["days"] == 3 and report["generated_at"].endswith("Z")
    sources = {s["source"]: s for s in report["sources"]}
    assert set(sources) >= {"steady", "dropping", "stale"}
    assert len(sources["stale"]["per_day"]) == 3
    assert sources["stale"]["last_success"]["finished_at"].endswith("Z")
    table = newscrawl("stats")
    assert table.returncode == 0 and "steady" in table.stdout


@pytest.mark.slow
def test_stats_after_a_crawl_of_the_fixture_site(fixture_site, run_scrapy, newscrawl):  # noqa: F811
    result = run_scrapy("crawl", "fixture_fr", site=fixture_site)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = newscrawl("stats", "--json")
    assert stats.returncode == 0, stats.stderr
    fixture = {s["source"]: s for s in json.loads(stats.stdout)["sources"]}["fixture_fr"]
    assert fixture["total"] == len(EXPECTED["articles"])
    assert list(fixture["per_day"].values())[-1] == len(EXPECTED["articles"])
    assert fixture["dated_share"] == 1.0
    assert fixture["last_success"] is not None and fixture["last_success_age_s"] < 600
    assert fixture["flags"] == []
