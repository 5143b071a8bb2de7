"""Issue 23, component by component: change dates that another source's link hid, the listing
back-off, and the conditional-request middleware (validators out, 304 in, bad servers).

The end-to-end season of cron runs, counted from the server's access log, is tests/test_season.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler

from crawler.links.kinds import Kind, page_not_modified
from crawler.middlewares.conditional import ConditionalRequestMiddleware
from crawler.middlewares.incremental import IncrementalMiddleware
from crawler.spiders.requests import make_request
from crawler.storage.articles import ArticleStore
from crawler.storage.listings import ListingStore, ListingVisit
from crawler.storage.validators import ValidatorStore

NOW = dt.datetime.now(dt.UTC)
SITE = "https://a.example"


def noop(response: Response) -> None:
    return None


def store_article(database: Any, url: str, *, last_seen: dt.datetime) -> None:
    database["articles"].insert_one({"_id": url, "url": url, "source": "a", "revision": 1,
                                     "published_at": last_seen - dt.timedelta(days=30),
                                     "first_seen_at": last_seen, "last_seen_at": last_seen})


def incremental(database: Any) -> tuple[Any, IncrementalMiddleware]:
    crawler = get_crawler(Spider)
    middleware = IncrementalMiddleware(
        crawler, ArticleStore(database), listings=ListingStore(database),
        refresh_ages=(dt.timedelta(hours=1),), rejected_recheck=dt.timedelta(days=7))
    return crawler, middleware


def listing(kind: Kind, path: str) -> HtmlResponse:
    request = make_request(kind, SITE + path, noop, section=None)
    return HtmlResponse(request.url, body=b"<html></html>", request=request)


def test_a_sitemap_lastmod_after_our_fetch_refetches_an_article_a_section_page_dropped(database):
    """The bug of issue 23: a section page scheduled the edited article first and the incremental
    middleware dropped it as stored; the sitemap's later entry, with a lastmod after our last
    fetch, was rejected as repeated and the edit never stored."""
    url = f"{SITE}/2024/01/02/story/"
    store_article(database, url, last_seen=NOW - dt.timedelta(hours=2))
    crawler, middleware = incremental(database)
    from_section = make_request(Kind.ARTICLE, url, noop, section="news")
    assert list(middleware.process_spider_output(listing(Kind.LISTING, "/news/"),
                                                 [from_section])) == []

    # the spider yields the link again, flagged, because the sitemap gives a date
    from_sitemap = make_request(Kind.ARTICLE, url, noop, section=None, repeated=True,
                                listing_lastmod=NOW - dt.timedelta(minutes=5))
    again = list(middleware.process_spider_output(listing(Kind.SITEMAP, "/sitemap.xml"),
                                                  [from_sitemap]))
    assert [r.url for r in again] == [url] and again[0].meta["refresh"] is True
    assert crawler.stats.get_value("incremental/refresh/changed") == 1
    # a third source saying the same thing does not fetch it twice in one run
    assert list(middleware.process_spider_output(listing(Kind.FEED, "/feed/"),
                                                 [from_sitemap.replace()])) == []
    assert crawler.stats.get_value("incremental/repeated") == 1


def test_a_lastmod_before_our_fetch_fetches_nothing(database):
    url = f"{SITE}/2024/01/02/story/"
    store_article(database, url, last_seen=NOW - dt.timedelta(hours=2))
    crawler, middleware = incremental(database)
    old_news = make_request(Kind.ARTICLE, url, noop, section=None,
                            listing_lastmod=NOW - dt.timedelta(hours=3))
    assert list(middleware.process_spider_output(listing(Kind.SITEMAP, "/sitemap.xml"),
                                                 [old_news])) == []
    assert crawler.stats.get_value("incremental/skipped") == 1


def test_the_discovery_mixin_yields_a_dated_repeat_and_drops_an_undated_one():
    from crawler.spiders.news import NewsSpider

    crawler = get_crawler(NewsSpider)
    spider = NewsSpider.from_crawler(crawler, url=f"{SITE}/")
    url = f"{SITE}/2024/01/02/story/"
    spider._scheduled_articles.add(url)  # a listing scheduled it first
    dated = list(spider._discovered(url, None, via="sitemap", trusted=False,
                                    listing_lastmod=NOW))
    undated = list(spider._discovered(url, None, via="sitemap", trusted=False,
                                      listing_lastmod=None))
    assert [r.meta.get("repeated") for r in dated] == [True] and undated == []


def test_a_quiet_listing_page_is_backed_off_and_a_fruitful_one_is_not(database):
    listings = ListingStore(database)
    quiet, fruitful = f"{SITE}/tag/quiet/", f"{SITE}/tag/busy/"
    for _ in range(3):  # three visits that gave nothing: next visit in 1 h * 2 * 2
        listings.record_visits("a", [ListingVisit(quiet, "page", True, 0),
                                     ListingVisit(fruitful, "page", True, 2)], now=NOW,
                               first=dt.timedelta(hours=1), longest=dt.timedelta(hours=24))
    state = listings.states([quiet])[quiet]
    assert state["quiet_visits"] == 3
    assert abs(state["next_visit_at"] - (NOW + dt.timedelta(hours=4))) < dt.timedelta(seconds=1)

    crawler, middleware = incremental(database)
    links = [make_request(Kind.PAGE, u, noop, section=None) for u in (quiet, fruitful)]
    followed = list(middleware.process_spider_output(listing(Kind.PAGE, "/"), links))
    assert [r.url for r in followed] == [fruitful]
    assert crawler.stats.get_value("listings/backed_off") == 1


# ---------------------------------------------------------------- conditional requests

def conditional(database: Any, **validators: Any) -> tuple[Any, ConditionalRequestMiddleware]:
    store = ValidatorStore(database)
    if validators:
        store.save([{"url": f"{SITE}/", "source": "a.example", "kind": "page", **validators}],
                   now=NOW)
    crawler = get_crawler(Spider)
    crawler.spider = Spider("a.example")
    middleware = ConditionalRequestMiddleware(crawler, store)
    middleware.spider_opened()
    return crawler, middleware


def page_request() -> Request:
    return make_request(Kind.PAGE, f"{SITE}/", noop, section=None)


def test_stored_validators_are_sent_and_a_304_is_seen_unchanged(database):
    crawler, middleware = conditional(database, etag='"v1"',
                                      last_modified="Mon, 07 Dec 2026 10:00:00 GMT")
    told: list[str] = []
    crawler.signals.connect(lambda url, kind, request: told.append(url), page_not_modified,
                            weak=False)
    request = page_request()
    middleware.process_request(request)
    assert request.headers[b"If-None-Match"] == b'"v1"'
    assert request.headers[b"If-Modified-Since"] == b"Mon, 07 Dec 2026 10:00:00 GMT"
    with pytest.raises(IgnoreRequest):
        middleware.process_response(request, Response(request.url, status=304, request=request))
    assert told == [request.url]
    assert crawler.stats.get_value("conditional/not_modified") == 1


def test_a_304_to_a_request_without_validators_is_asked_again_then_dropped(database):
    crawler, middleware = conditional(database)
    request = page_request()
    middleware.process_request(request)
    assert b"If-None-Match" not in request.headers
    again = middleware.process_response(request, Response(request.url, status=304,
                                                          request=request))
    assert isinstance(again, Request) and again.dont_filter
    assert again.headers[b"Cache-Control"] == b"no-cache"
    with pytest.raises(IgnoreRequest):
        middleware.process_response(again, Response(again.url, status=304, request=again))
    assert crawler.stats.get_value("conditional/unexpected_304") == 2
    assert crawler.stats.get_value("conditional/unexpected_304_dropped") == 1


def test_a_future_last_modified_is_not_kept_and_an_unstable_etag_not_sent(database):
    crawler, middleware = conditional(database)
    for etag in ('"e1"', '"e2"'):
        request = page_request()
        middleware.process_request(request)
        response = TextResponse(request.url, body=b"same body", request=request, headers={
            "ETag": etag, "Last-Modified": "Tue, 08 Dec 2099 00:00:00 GMT"})
        assert middleware.process_response(request, response) is response
    middleware.spider_closed()
    saved = database["http_validators"].find_one({"_id": f"{SITE}/"})
    assert saved["last_modified"] is None and saved["etag_unstable"] is True
    assert crawler.stats.get_value("conditional/future_last_modified") == 2
    assert crawler.stats.get_value("conditional/unstable_etag") == 1
    request = page_request()
    _, fresh = conditional(database)
    fresh.process_request(request)
    assert b"If-None-Match" not in request.headers  # nothing left worth sending
