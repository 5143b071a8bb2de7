"""Scheduled crawls: skip stored articles, stop paginating, refresh recent ones, run records, locks."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.cli.crawl import EXIT_LOCKED
from crawler.locks import SiteLock
from tests.conftest import DEMO_CATALOGUE, FIXTURES

EXPECTED = json.loads((FIXTURES / "demo_site" / "expected.json").read_text())
ARTICLE_COUNT = len(EXPECTED["articles"])
pytestmark = pytest.mark.slow

NEW_SLUG = "nvidia-annonce-une-rtx-4070-super"
EDITED_SLUG = "free-lance-sa-nouvelle-freebox-ultra"
REFRESHED_SLUG = "test-super-mario-bros-wonder-la-revolution-douce"
RECENT_SLUG = "le-patch-5-de-baldurs-gate-3-ajoute-un-mode-honneur"


def article_paths(requests: list[str]) -> list[str]:
    return [p.split("?")[0] for p in requests if p.startswith("/articles/")]


def listing_paths(requests: list[str]) -> list[str]:
    return [p for p in requests if not p.startswith(("/articles/", "/robots.txt"))]


def documents(database: Any) -> dict[str, dict[str, Any]]:
    return {d["url"].rsplit("/articles/", 1)[1]: d for d in database["articles"].find({}, {"_id": 0})}


def last_run(database: Any) -> dict[str, Any]:
    return database["crawl_runs"].find_one({}, {"_id": 0}, sort=[("started_at", -1)])


def add_article(root: Path) -> None:
    """A new article, linked at the top of the first news page."""
    source = (root / "articles" / EDITED_SLUG / "index.html").read_text()
    page = source.replace(EDITED_SLUG, NEW_SLUG).replace(
        "<title>", "<title>Nvidia annonce une RTX 4070 Super. ", 1)
    page = re.sub(r"<h1([^>]*)>.*?</h1>", r"<h1\1>Nvidia annonce une RTX 4070 Super</h1>", page,
                  count=1, flags=re.S)
    (root / "articles" / NEW_SLUG).mkdir()
    (root / "articles" / NEW_SLUG / "index.html").write_text(page)
    listing = root / "actualites" / "index.html"
    html = listing.read_text()
    link = f'<a href="/articles/{NEW_SLUG}">Nvidia annonce une RTX 4070 Super</a>'
    listing.write_text(html.replace("<main", f"<main><p>{link}</p>", 1)
                       if "<main" in html else html.replace("<body>", f"<body>{link}", 1))


def edit_body(root: Path) -> None:
    page = root / "articles" / EDITED_SLUG / "index.html"
    html = page.read_text()
    start = EXPECTED_BY_SLUG[EDITED_SLUG]["body_starts"]
    assert start in html
    page.write_text(html.replace(start, "Correction : " + start, 1))


EXPECTED_BY_SLUG = {a["path"].rsplit("/", 1)[1]: a for a in EXPECTED["articles"]}


def test_second_run_downloads_no_known_article(site_copy, run_scrapy, database):
    site, _ = site_copy
    first = run_scrapy("crawl", "fixture_fr", site=site)
    assert first.returncode == 0, first.stderr[-2000:]
    assert len(set(article_paths(first.requests))) == ARTICLE_COUNT + 1  # + the video hub
    before = documents(database)

    second = run_scrapy("crawl", "fixture_fr", site=site)
    assert second.returncode == 0, second.stderr[-2000:]
    assert article_paths(second.requests) == []
    assert documents(database) == before  # not even last_seen_at moved: nothing was fetched
    record = last_run(database)
    assert record["status"] == "ok" and record["failed"] is False
    assert record["articles"]["new"] == record["articles"]["updated"] == 0
    assert record["articles"]["unchanged"] == 0
    # both first pages were asked for with their validators and answered 304: not even parsed
    assert record["revisits"]["not_modified"] == 2
    assert [a.status for a in site.accesses()[-2:]] == [304, 304]
    # unchanged fronts keep their link counts in the record: the next run's layout check has them
    first_record = database["crawl_runs"].find_one({}, sort=[("started_at", 1)])
    assert record["section_article_links"] == first_record["section_article_links"]
    assert all(v > 0 for v in record["section_article_links"].values())
    # both sections' first pages were fetched; their next pages were not (nothing new on page 1)
    assert sorted(listing_paths(second.requests)) == ["/actualites/", "/jeux/"]


def test_third_run_fetches_new_and_due_articles_and_revises_the_changed_one(
        site_copy, run_scrapy, database):
    site, root = site_copy
    assert run_scrapy("crawl", "fixture_fr", site=site).returncode == 0
    articles = database["articles"]
    now = dt.datetime.now(dt.UTC)
    # Everything is old except two recent articles whose last fetch is 3 hours ago.
    articles.update_many({}, {"$set": {"first_seen_at": now - dt.timedelta(days=5),
                                        "last_seen_at": now - dt.timedelta(days=5),
                                        "changed_at": now - dt.timedelta(days=5)}})
    # Published 7 hours ago: the 6-hour mark of REFRESH_AGES_HOURS passed since their last fetch.
    for slug in (EDITED_SLUG, REFRESHED_SLUG):
        articles.update_one({"url": {"$regex": f"/articles/{slug}$"}},
                            {"$set": {"first_seen_at": now - dt.timedelta(hours=5),
                                      "published_at": now - dt.timedelta(hours=7),
                                      "last_seen_at": now - dt.timedelta(hours=3),
                                      "changed_at": now - dt.timedelta(hours=5)}})
    before = documents(database)
    add_article(root)
    edit_body(root)

    third = run_scrapy("crawl", "fixture_fr", site=site)
    assert third.returncode == 0, third.stderr[-2000:]
    # the new one, the two due by age, and the one published "il y a 3 heures" (its 1-hour mark
    # passed since its last fetch, which this test moved 5 days back)
    assert sorted(article_paths(third.requests)) == sorted(
        f"/articles/{s}" for s in (NEW_SLUG, EDITED_SLUG, REFRESHED_SLUG, RECENT_SLUG))
    after = documents(database)
    assert set(after) == set(before) | {NEW_SLUG}
    edited = after[EDITED_SLUG]
    assert edited["revision"] == 2
    assert edited["body"].startswith("Correction : ")
    assert before[EDITED_SLUG].get("updated_at") is None
    assert abs(edited["updated_at"] - edited["fetched_at"]) < dt.timedelta(seconds=1)
    assert edited["changed_at"] > before[EDITED_SLUG]["changed_at"]
    refreshed = after[REFRESHED_SLUG]
    assert refreshed["revision"] == 1
    assert refreshed["updated_at"] == before[REFRESHED_SLUG]["updated_at"]
    assert refreshed["last_seen_at"] > before[REFRESHED_SLUG]["last_seen_at"]
    assert {k: v for k, v in refreshed.items() if k != "last_seen_at"} == {
        k: v for k, v in before[REFRESHED_SLUG].items() if k != "last_seen_at"}
    for slug in set(before) - {EDITED_SLUG, REFRESHED_SLUG, RECENT_SLUG}:
        assert after[slug] == before[slug], slug
    assert after[NEW_SLUG]["revision"] == 1
    record = last_run(database)
    # the unchanged one was asked for with its validators and answered 304: no download
    assert {k: v for k, v in record["articles"].items() if k != "skipped_known"} == {
        "new": 1, "updated": 1, "unchanged": 0}
    assert record["revisits"]["not_modified"] >= 1 and record["revisits"]["refresh_age"] == 3
    assert edited["run_id"] == record["run_id"] == after[NEW_SLUG]["run_id"]
    # consumers' "what changed since T": one indexed range query, `$gte` as the README says (the
    # third run may end within `now`'s second, and nx-27017 compares dates to the second)
    changed = {d["url"].rsplit("/", 1)[1] for d in articles.find({"changed_at": {"$gte": now}})}
    assert changed == {NEW_SLUG, EDITED_SLUG}


def test_pagination_stops_at_the_first_page_without_new_articles_unless_full(
        site_copy, run_scrapy, database):
    site, root = site_copy
    assert run_scrapy("crawl", "fixture_fr", site=site).returncode == 0
    front = root / "actualites" / "index.html"  # changed (not a 304), but no new article
    front.write_text(front.read_text() + "<!-- a new ad slot -->")
    second = run_scrapy("crawl", "fixture_fr", site=site)
    assert "/actualites/page/2/" not in second.requests
    assert last_run(database)["articles"]["skipped_known"] > 0

    full = run_scrapy("crawl", "fixture_fr", "-a", "full=1", site=site)
    assert full.returncode == 0, full.stderr[-2000:]
    assert {"/actualites/page/2/", "/jeux/page/2/"} <= set(full.requests)
    assert len(set(article_paths(full.requests))) == ARTICLE_COUNT + 1
    assert database["articles"].count_documents({}) == ARTICLE_COUNT


def test_overlapping_run_exits_with_the_locked_code(site_copy, run_newscrawl, tmp_path):
    site, _ = site_copy
    with SiteLock(tmp_path / "var" / "locks", "fixture_fr"):
        result = run_newscrawl("crawl", "fixture_fr", site=site)
    assert result.returncode == EXIT_LOCKED
    assert result.stdout.strip().splitlines()[-1].startswith("LOCKED:")
    assert "fixture_fr is being crawled by pid" in result.stdout
    assert result.requests == []


def test_stale_lock_of_a_dead_process_is_taken_over(site_copy, run_newscrawl, tmp_path, database):
    site, _ = site_copy
    lock_file = tmp_path / "var" / "locks" / "fixture_fr.lock"
    lock_file.parent.mkdir(parents=True)
    lock_file.write_text("pid 999999 on elsewhere since 2023-11-22T10:00:00+00:00\n")
    result = run_newscrawl("crawl", "fixture_fr", site=site)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "OK: 1 site(s) crawled"
    assert lines[-2].startswith("log: ")  # Scrapy's log, in a file (`-v`: on stderr)
    assert lines[-3].startswith("fixture_fr: ok in ") and f"{ARTICLE_COUNT} new" in lines[-3]
    assert database["articles"].count_documents({}) == ARTICLE_COUNT


def test_unreachable_database_fails_the_cron_run_with_one_line(site_copy, run_newscrawl):
    site, _ = site_copy
    result = run_newscrawl("crawl", "fixture_fr", site=site,
                           env={"MONGO_URI": "mongodb://cron:pw@127.0.0.1:9/", "MONGO_TIMEOUT_MS": "300"})
    assert result.returncode == 1
    assert result.stdout.strip().splitlines()[-1].startswith(
        "FAILED: cannot reach MongoDB at mongodb://cron:***@127.0.0.1:9/")
    assert "Traceback" not in result.stderr and ":pw@" not in result.stdout + result.stderr


def test_section_that_stops_yielding_links_fails_the_run(site_copy, run_newscrawl, database):
    site, root = site_copy
    assert run_newscrawl("crawl", "fixture_fr", site=site).returncode == 0
    (root / "jeux" / "index.html").write_text(
        "<html><body><div class='new-layout'>Jeux : tout a changé</div></body></html>")
    result = run_newscrawl("crawl", "fixture_fr", site=site)
    assert result.returncode == 1
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("FAILED: fixture_fr: section jeux yielded no article link")
    record = last_run(database)
    assert record["failed"] is True and record["status"] == "failed"
    assert "section jeux" in record["failure_reason"]


def test_run_record_describes_the_run(site_copy, run_scrapy, database):
    site, _ = site_copy
    assert run_scrapy("crawl", "fixture_fr", site=site).returncode == 0
    record = last_run(database)
    assert record["spider"] == "fixture_fr"
    assert record["finish_reason"] == "finished" and record["status"] == "ok"
    assert record["finished_at"] >= record["started_at"]
    assert record["responses_by_status"]["2xx"] == record["responses"] > ARTICLE_COUNT
    assert record["articles"]["new"] == ARTICLE_COUNT
    assert record["dropped"] == {"not_article": 1}
    assert set(record["section_article_links"]) == {"actualites", "jeux"}
    assert all(v > 0 for v in record["section_article_links"].values())
    assert {d["run_id"] for d in database["articles"].find()} == {record["run_id"]}
    indexes = database["crawl_runs"].index_information()
    assert any(dict(spec["key"]).get("spider") is not None for spec in indexes.values())


def test_articles_found_in_feeds_and_sitemaps_are_not_downloaded_again(tmp_path, mongo_uri,
                                                                        database_name, database):
    from tests.conftest import ROOT, crawl_env
    from tests.sitefixtures import LocalSite

    site = LocalSite.start("techcrunch", tmp_path)
    try:
        env = crawl_env(mongo_uri, database_name, tmp_path)
        (tmp_path / "sites.toml").write_text(site.toml, encoding="utf-8")

        def crawl() -> list[str]:
            before = len(site.server.paths())
            proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "techcrunch"], cwd=ROOT,
                                  env=env, capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, proc.stderr[-2000:]
            return site.server.paths()[before:]

        first = crawl()
        stored = database["articles"].count_documents({})
        assert stored == 2
        paths = {"/" + d["url"].split("/", 3)[3] for d in database["articles"].find()}
        assert paths <= set(first)  # both articles downloaded, one from the feed or sitemap
        second = crawl()
        assert not paths & set(second)  # neither is downloaded again
        assert any("feed" in p for p in second) and any("sitemap" in p for p in second)
        assert database["articles"].count_documents({}) == stored
        # the feed and the sitemap were asked for with their validators: 304, not even parsed
        assert last_run(database)["revisits"]["not_modified"] >= 2
    finally:
        site.server.stop()


def test_articles_older_than_the_sites_max_age_are_dropped_once_then_skipped(
        site_copy, run_scrapy, database, tmp_path):
    site, _ = site_copy
    # The fixture's articles are from 2023 except the one published "il y a 3 heures".
    env = {"SITES_FILE": str(tmp_path / "aged.toml")}
    aged = DEMO_CATALOGUE.read_text().replace("BASE_URL", site.base_url)
    (tmp_path / "aged.toml").write_text(aged + "max_age_days = 30\n")
    first = run_scrapy("crawl", "fixture_fr", site=site, env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert [d["url"].rsplit("/", 1)[1] for d in database["articles"].find()] == [
        "le-patch-5-de-baldurs-gate-3-ajoute-un-mode-honneur"]
    assert "'window/dropped_after_download': 10" in first.stderr

    second = run_scrapy("crawl", "fixture_fr", site=site, env=env)
    assert second.returncode == 0, second.stderr[-2000:]
    assert article_paths(second.requests) == []  # the old ones are remembered as too old
    assert sorted(listing_paths(second.requests)) == ["/actualites/", "/jeux/"]

    full = run_scrapy("crawl", "fixture_fr", "-a", "full=1", site=site, env=env)
    assert full.returncode == 0
    assert database["articles"].count_documents({}) == ARTICLE_COUNT  # full=1 lifts the age


def test_a_listing_whose_lookup_fails_lets_every_article_through_once_counted(tmp_path, caplog):
    """The database gone when a listing's links are looked up: every article link is followed
    (a duplicate download costs less than a lost article), one warning, the failure counted."""
    from scrapy import Spider
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from crawler.links.kinds import Kind
    from crawler.middlewares.incremental import IncrementalMiddleware
    from crawler.spiders.requests import make_request
    from crawler.storage.articles import ArticleStore
    from crawler.storage.connection import connect
    from crawler.storage.embedded import EmbeddedServer
    from tests.conftest import free_port

    server = EmbeddedServer(var_dir=tmp_path / "db", port=free_port())
    database = connect(server.ensure_running(), "lookup_failure", timeout_ms=300)
    server.stop()  # the database goes away before the listing is read
    try:
        crawler = get_crawler(Spider)
        middleware = IncrementalMiddleware(
            crawler, ArticleStore(database), refresh_ages=(dt.timedelta(hours=6),),
            rejected_recheck=dt.timedelta(days=7))
        listing = make_request(Kind.LISTING, "https://a.example/news/", print, section="news")
        response = HtmlResponse(listing.url, body=b"<html></html>", request=listing)
        links = [make_request(Kind.ARTICLE, f"https://a.example/news/story-{n}", print,
                              section="news") for n in range(5)]

        with caplog.at_level("WARNING", logger="crawler.middlewares.incremental"):
            followed = list(middleware.process_spider_output(response, links))
    finally:
        database.client.close()

    assert [r.url for r in followed if Kind.of(r) is Kind.ARTICLE] == [r.url for r in links]
    assert crawler.stats.get_value("incremental/lookup_failed") == 1
    assert sum("cannot look up stored articles" in r.message for r in caplog.records) == 1
