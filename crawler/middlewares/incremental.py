"""Incremental crawling: the database is the crawl's memory.

`IncrementalMiddleware` (a spider middleware) sees everything a listing page (section, feed,
sitemap) yields. It looks up the page's article links in the articles collection in one query
(cached for the run), drops the requests of stored articles before they are downloaded, except
recent ones due for a refresh and those a sitemap says changed since we last saw them,
and stops following next-page links once a listing page brings no new article (unless the previous
run did not finish: then it paginates on to catch up). Section pages are always fetched. Like
scrapy-deltafetch, but the memory is the database everyone can read, not a local dbm file that a
killed run corrupts.

Pages that match an article pattern but are not articles (a video hub, an item the validator
dropped), and articles older than the site's `max_age_days`, are remembered too, and not
downloaded again for REJECTED_RECHECK_DAYS: a listing page of only such links counts as having
nothing new, so pagination stops there too.

Settings: INCREMENTAL_ENABLED, REFRESH_WINDOW_HOURS, REFRESH_INTERVAL_HOURS,
REJECTED_RECHECK_DAYS. Spider argument
`-a full=1` (attribute `full`) turns the skipping and the pagination stop off for one run.
Stats: incremental/skipped, incremental/refresh, incremental/new, incremental/pagination_stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from crawler.errors import DatabaseUnavailable, InvalidArticle, OutsideWindow
from crawler.extensions.database import DatabaseOwner
from crawler.links.kinds import Kind, page_not_article
from crawler.links.urls import canonical_url
from crawler.storage.articles import ArticleStore

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class IncrementalMiddleware:
    def __init__(self, crawler: Crawler, store: ArticleStore, *, refresh_window: dt.timedelta,
                 refresh_interval: dt.timedelta, rejected_recheck: dt.timedelta) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.store = store
        self.refresh_window = refresh_window
        self.refresh_interval = refresh_interval
        self.rejected_recheck = rejected_recheck
        self._known: dict[str, dict[str, Any] | None] = {}  # per-run cache of lookups
        self._rejected: dict[str, str] = {}  # not yet written: URL -> reason
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.page_not_article, signal=page_not_article)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        return cls(
            crawler, DatabaseOwner.of(crawler).articles,
            refresh_window=dt.timedelta(hours=settings.getfloat("REFRESH_WINDOW_HOURS")),
            refresh_interval=dt.timedelta(hours=settings.getfloat("REFRESH_INTERVAL_HOURS")),
            rejected_recheck=dt.timedelta(days=settings.getfloat("REJECTED_RECHECK_DAYS")),
        )

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        kind = Kind.of(response)
        if kind not in _LISTING_KINDS or self._full_run():
            yield from result
            return
        outputs = list(result)
        self._lookup(_article_urls(outputs))
        yield from self._filter_listing(response, outputs, paginate=kind is Kind.LISTING)

    def page_not_article(self, url: str, reason: str) -> None:
        self._remember_rejected(url, reason)

    def item_dropped(self, item: Any, response: Response, exception: Exception) -> None:
        if response is None:
            return
        too_old = (isinstance(exception, OutsideWindow)
                   and getattr(self.crawler.spider, "window_from_max_age", False))
        if isinstance(exception, InvalidArticle) or too_old:
            # Remembered like a non-article page; an explicit -a since/until window is not,
            # so that a later back-fill with a wider window still finds those articles.
            self._remember_rejected(response.url, str(exception))

    def spider_closed(self) -> None:
        self._flush_rejected()

    def _remember_rejected(self, url: str, reason: str) -> None:
        self._rejected[canonical_url(url) or url] = reason
        if len(self._rejected) >= 100:
            self._flush_rejected()

    def _flush_rejected(self) -> None:
        pages, self._rejected = self._rejected, {}
        try:
            self.store.remember_rejected(pages, now=dt.datetime.now(dt.UTC))
        except DatabaseUnavailable as exc:  # only costs a download of these pages next run
            logger.warning("could not remember %d non-article pages: %s", len(pages), exc)

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        outputs = [output async for output in result]
        kind = Kind.of(response)
        if kind not in _LISTING_KINDS or self._full_run():
            for output in outputs:
                yield output
            return
        # The lookup waits for the database on a thread, while the reactor downloads and parses
        # other pages: on the reactor it blocked the crawl for 8-20% of its time on the
        # 2,000-article bench trap site (py-spy, bench/bench_traps.py --profile, shared machine).
        missing = self._missing(_article_urls(outputs))
        if missing:
            try:
                found = await maybe_deferred_to_future(threads.deferToThread(self._fetch, missing))
            except DatabaseUnavailable as exc:
                self._lookup_failed(exc)
            else:
                self._remember(missing, found)
        for output in self._filter_listing(response, outputs, paginate=kind is Kind.LISTING):
            yield output

    def _full_run(self) -> bool:
        spider = self.crawler.spider
        return bool(getattr(spider, "full", False))

    def _filter_listing(self, response: Response, outputs: list[Any], *,
                        paginate: bool) -> Iterator[Any]:
        """Drop the known among the article requests a section, feed, sitemap or (no-config
        crawl) page yields; for a section page, decide whether to follow its next page."""
        now = dt.datetime.now(dt.UTC)
        new = 0
        next_pages = []
        for output in outputs:
            if paginate and _is_request(output, Kind.LISTING):
                next_pages.append(output)
                continue
            if not (_is_request(output, Kind.ARTICLE) or _is_request(output, Kind.PAGE)):
                yield output
                continue
            known = self._known.get(canonical_url(output.url) or output.url)
            if known is not None and known.get("rejected") and _is_request(output, Kind.PAGE):
                known = None  # a no-config crawl reads non-article pages for their links
            if known is None:
                new += 1
                self.stats.inc_value("incremental/new")
                yield output
            elif self._due_for_refresh(known, now) or _changed_since_seen(output, known):
                self.stats.inc_value("incremental/refresh")
                output.meta["refresh"] = True
                yield output
            else:
                self.stats.inc_value("incremental/skipped")
                logger.debug("skipped, already stored: %s", output.url)
        stop_when_known = getattr(getattr(self.crawler.spider, "site", None), "stop_when_known", True)
        caught_up = self.stats.get_value("newscrawl/previous_run_complete", True)
        if next_pages and not new and stop_when_known and not caught_up:
            self.stats.inc_value("incremental/catch_up_pages")
            logger.info("the previous run did not finish: following %s's next page to catch up",
                        response.url)
        elif next_pages and not new and stop_when_known:
            self.stats.inc_value("incremental/pagination_stopped")
            logger.info("%s has no new article: not following its next page", response.url)
            return
        yield from next_pages

    def _lookup(self, urls: list[str]) -> None:
        missing = self._missing(urls)
        if not missing:
            return
        try:
            found = self._fetch(missing)
        except DatabaseUnavailable as exc:
            self._lookup_failed(exc)
            return
        self._remember(missing, found)

    def _missing(self, urls: list[str]) -> list[str]:
        """The keys of `urls` not looked up yet this run."""
        keys = [canonical_url(u) or u for u in urls]
        return [k for k in dict.fromkeys(keys) if k not in self._known]

    def _fetch(self, missing: list[str]) -> dict[str, dict[str, Any]]:
        """The stored and recently rejected pages among `missing` (database only: runs on a
        thread in the async path)."""
        found = self.store.known(missing)
        since = dt.datetime.now(dt.UTC) - self.rejected_recheck
        for url in self.store.recently_rejected(set(missing) - set(found), since=since):
            found[url] = {"rejected": True}
        return found

    def _remember(self, missing: list[str], found: dict[str, dict[str, Any]]) -> None:
        self.stats.inc_value("incremental/lookups")
        for key in missing:
            self._known[key] = found.get(key)

    def _lookup_failed(self, exc: DatabaseUnavailable) -> None:
        # Without the memory, download: a duplicate download costs less than a lost article.
        self.stats.inc_value("incremental/lookup_failed")
        logger.warning("cannot look up stored articles (%s): downloading them all", exc)

    def _due_for_refresh(self, known: dict[str, Any], now: dt.datetime) -> bool:
        if known.get("rejected"):
            return False
        first_seen, last_seen = known.get("first_seen_at"), known.get("last_seen_at")
        if not isinstance(first_seen, dt.datetime) or not isinstance(last_seen, dt.datetime):
            return False
        return now - first_seen < self.refresh_window and now - last_seen >= self.refresh_interval


_LISTING_KINDS = frozenset({Kind.LISTING, Kind.FEED, Kind.SITEMAP, Kind.PAGE})


def _changed_since_seen(request: Request, known: dict[str, Any]) -> bool:
    """A sitemap's lastmod after our last fetch says the article changed."""
    lastmod, last_seen = request.meta.get("listing_lastmod"), known.get("last_seen_at")
    return (isinstance(lastmod, dt.datetime) and isinstance(last_seen, dt.datetime)
            and lastmod > last_seen)


def _article_urls(outputs: list[Any]) -> list[str]:
    """The URLs of the article (and, in a no-config crawl, page) requests among `outputs`."""
    return [o.url for o in outputs if _is_request(o, Kind.ARTICLE) or _is_request(o, Kind.PAGE)]


def _is_request(output: Any, kind: Kind) -> bool:
    return isinstance(output, Request) and Kind.of(output) is kind
