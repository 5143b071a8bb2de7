"""Issue 23: a season of cron runs costs the site only what changed, and catches edits.

Each test plays `scrapy crawl news` runs, as cron would, against a generated WordPress-like
site (tests/season.py) that grows and is edited between runs, and reads what each run cost from
the server's own access log: requests, article pages downloaded (200), bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from typing import Any

import pytest

from crawler.devserver import StaticSite
from tests.conftest import ROOT, crawl_env
from tests.season import ARTICLE_PATH, SeasonSite, crawl_news

pytestmark = pytest.mark.slow


def stored_paths(database: Any) -> list[str]:
    return ["/" + d["url"].split("/", 3)[3] for d in database["articles"].find({}, {"url": 1})]


def last_run(database: Any) -> dict[str, Any]:
    return database["crawl_runs"].find_one({}, sort=[("started_at", -1)])


def test_a_season_of_cron_runs_costs_the_site_only_what_changed(tmp_path, mongo_uri,
                                                                  database_name, database):
    now = dt.datetime.now(dt.UTC)
    season = SeasonSite(tmp_path / "site", start=now - dt.timedelta(minutes=30))
    season.write()
    env = crawl_env(mongo_uri, database_name, tmp_path)
    with StaticSite(season.root) as site:
        def run() -> Any:
            proc, cost = crawl_news(site, env, ROOT, python=sys.executable)
            assert proc.returncode == 0, proc.stderr[-3000:]
            assert "Traceback" not in proc.stderr
            return cost

        first = run()  # 1: the first crawl
        assert set(stored_paths(database)) == {a.path for a in season.articles}
        assert first.article_downloads == len(season.articles) == 400

        unchanged = run()  # 2: nothing changed
        assert unchanged.requests <= 15 and unchanged.article_downloads == 0, unchanged
        assert unchanged.bytes < 2_000, unchanged  # every listing answered 304, none re-sent

        new = season.grow(10, dt.datetime.now(dt.UTC))  # 3: ten new articles
        grown = run()
        assert set(stored_paths(database)) == {a.path for a in season.articles}
        assert {a.path for a in new} <= set(grown.article_paths)
        assert grown.article_downloads <= 12 and grown.requests <= 35, grown

        before = {d["url"]: d for d in database["articles"].find()}
        edited = season.edit_newest(5, dt.datetime.now(dt.UTC))  # 4: the five newest edited
        fourth = run()
        assert sorted(fourth.article_paths) == sorted(a.path for a in edited), fourth
        after = {d["url"]: d for d in database["articles"].find()}
        changed = {"/" + url.split("/", 3)[3] for url, d in after.items()
                   if d["revision"] > before[url]["revision"]}
        assert changed == {a.path for a in edited}
        for article in edited:
            document = next(d for u, d in after.items() if u.endswith(article.path))
            assert document["body"].startswith("Mise à jour du "), document["body"][:80]
        assert last_run(database)["revisits"]["refresh_changed"] == 5

        quiet = run()  # 5: nothing changed
        assert quiet.requests <= 15 and quiet.article_downloads == 0, quiet
        assert last_run(database)["revisits"]["not_modified"] >= 2

    paths = stored_paths(database)
    assert len(paths) == len(set(paths)) == 410  # nothing stored twice
    assert all(ARTICLE_PATH.match(p) for p in paths)  # nothing that is not an article

    # the operator's view of the listings: the sitemap every run, quiet tag pages backed off
    [source] = database["listings"].distinct("source")
    view = subprocess.run([sys.executable, "-m", "crawler.cli.main", "sites", "--listings", source],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert view.returncode == 0, view.stderr
    rows = {line.split()[0].split(str(site.port), 1)[-1]: line for line in view.stdout.splitlines()
            if line.startswith("http")}
    assert rows["/sitemap.xml"].endswith("every run")
    # quiet tag pages backed off until a date. Which tag pages the first run met depends on the
    # order the sitemap's and the start page's links arrived in (when the sitemap scheduled every
    # article first, the articles' tag links were never read): any that were met are backed off.
    tags = [line for path, line in rows.items() if path.startswith("/tag/")]
    assert all(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d$", line) for line in tags), tags
    assert re.search(r"listing\(s\), \d+ backed off", view.stdout)
    unknown = subprocess.run([sys.executable, "-m", "crawler.cli.main", "sites", "--listings",
                              "nosuchsite"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
    assert unknown.returncode == 1 and len(unknown.stderr.strip().splitlines()) == 1


def small_season(tmp_path: Any) -> SeasonSite:
    # the newest article two hours old: no age mark (1, 6, 24, 72 h) passes during the test
    season = SeasonSite(tmp_path / "site", start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
                        count=40)
    season.write()
    return season


def test_a_server_answering_304_without_validators_loses_no_article(tmp_path, mongo_uri,
                                                                    database_name, database):
    season = small_season(tmp_path)
    env = crawl_env(mongo_uri, database_name, tmp_path)
    with StaticSite(season.root, quirks={"wrong_304"}) as broken:
        proc, _ = crawl_news(broken, env, ROOT, python=sys.executable)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "answered 304 Not Modified to a request without validators" in proc.stderr
    assert database["articles"].count_documents({}) == 0
    assert last_run(database)["revisits"]["unexpected_304"] >= 1
    # nothing was taken for "seen": once the server is fixed, the next run stores everything
    with StaticSite(season.root) as fixed:
        proc, _ = crawl_news(fixed, env, ROOT, python=sys.executable)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(stored_paths(database)) == {a.path for a in season.articles}


def test_an_etag_that_changes_on_every_answer_is_no_longer_sent(tmp_path, mongo_uri,
                                                               database_name, database):
    season = small_season(tmp_path)
    env = crawl_env(mongo_uri, database_name, tmp_path)
    with StaticSite(season.root, quirks={"changing_etag"}) as site:
        costs = []
        for _ in range(3):
            proc, cost = crawl_news(site, env, ROOT, python=sys.executable)
            assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
            costs.append(cost)
            if len(costs) == 2:
                assert last_run(database)["revisits"]["unstable_etag"] >= 1
    # run 2 downloads the listings again (a new ETag each time); run 3 sends If-Modified-Since only
    assert costs[1].not_modified == 0 and costs[2].not_modified >= 2, costs
    assert costs[2].article_downloads == 0
    assert sorted(stored_paths(database)) == sorted(a.path for a in season.articles)


def test_a_last_modified_in_the_future_is_not_kept_and_edits_are_still_caught(
        tmp_path, mongo_uri, database_name, database):
    season = small_season(tmp_path)
    env = crawl_env(mongo_uri, database_name, tmp_path)
    with StaticSite(season.root, quirks={"future_last_modified"}) as site:
        proc, _ = crawl_news(site, env, ROOT, python=sys.executable)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
        assert last_run(database)["revisits"]["future_last_modified"] >= 1
        assert database["http_validators"].count_documents({"last_modified": {"$ne": None}}) == 0
        edited = season.edit_newest(2, dt.datetime.now(dt.UTC))
        proc, cost = crawl_news(site, env, ROOT, python=sys.executable)
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(cost.article_paths) == sorted(a.path for a in edited)
    assert database["articles"].count_documents({"revision": 2}) == 2
