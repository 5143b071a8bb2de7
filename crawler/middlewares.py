"""Incremental crawling: the database is the crawl's memory.

`IncrementalMiddleware` (a spider middleware) sees everything a listing page yields. It looks up
the page's article links in the articles collection in one query (cached for the run), drops the
requests of stored articles before they are downloaded, except recent ones due for a refresh,
and stops following next-page links once a listing page brings no new article. Section pages are
always fetched. Like scrapy-deltafetch, but the memory is the database everyone can read, not a
local dbm file that a killed run corrupts.

Pages that match an article pattern but are not articles (a video hub, an item the validator
dropped) are remembered too, and not downloaded again for REJECTED_RECHECK_DAYS.

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

from crawler.connection import open_database
from crawler.pipelines import InvalidArticle
from crawler.storage import ArticleStore
from crawler.urls import canonical_url

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
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        store = ArticleStore(open_database(settings), settings.get("MONGO_COLLECTION"))
        return cls(
            crawler, store,
            refresh_window=dt.timedelta(hours=settings.getfloat("REFRESH_WINDOW_HOURS")),
            refresh_interval=dt.timedelta(hours=settings.getfloat("REFRESH_INTERVAL_HOURS")),
            rejected_recheck=dt.timedelta(days=settings.getfloat("REJECTED_RECHECK_DAYS")),
        )

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        if response.meta.get("kind") == "article":
            yield from result
            if response.meta.get("not_article"):
                self._remember_rejected(response.url, response.meta["not_article"])
            return
        if response.meta.get("kind") != "section" or self._full_run():
            yield from result
            return
        yield from self._filter_listing(response, list(result))

    def item_dropped(self, item: Any, response: Response, exception: Exception) -> None:
        if isinstance(exception, InvalidArticle) and response is not None:
            self._remember_rejected(response.url, str(exception))

    def spider_closed(self) -> None:
        self._flush_rejected()

    def _remember_rejected(self, url: str, reason: str) -> None:
        self._rejected[canonical_url(url) or url] = reason
        if len(self._rejected) >= 100:
            self._flush_rejected()

    def _flush_rejected(self) -> None:
        pages, self._rejected = self._rejected, {}
        self.store.remember_rejected(pages, now=dt.datetime.now(dt.UTC))

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        outputs = [output async for output in result]
        for output in self.process_spider_output(response, outputs):
            yield output

    def _full_run(self) -> bool:
        spider = self.crawler.spider
        return bool(getattr(spider, "full", False))

    def _filter_listing(self, response: Response, outputs: list[Any]) -> Iterator[Any]:
        articles = [o for o in outputs if _is_request(o, "article")]
        self._lookup([r.url for r in articles])
        now = dt.datetime.now(dt.UTC)
        new = 0
        next_pages = []
        for output in outputs:
            if _is_request(output, "section"):
                next_pages.append(output)
                continue
            if not _is_request(output, "article"):
                yield output
                continue
            known = self._known.get(canonical_url(output.url) or output.url)
            if known is None:
                new += 1
                self.stats.inc_value("incremental/new")
                yield output
            elif self._due_for_refresh(known, now):
                self.stats.inc_value("incremental/refresh")
                output.meta["refresh"] = True
                yield output
            else:
                self.stats.inc_value("incremental/skipped")
                logger.debug("skipped, already stored: %s", output.url)
        stop_when_known = getattr(getattr(self.crawler.spider, "site", None), "stop_when_known", True)
        if next_pages and not new and stop_when_known:
            self.stats.inc_value("incremental/pagination_stopped")
            logger.info("%s has no new article: not following its next page", response.url)
            return
        yield from next_pages

    def _lookup(self, urls: list[str]) -> None:
        keys = [canonical_url(u) or u for u in urls]
        missing = [k for k in dict.fromkeys(keys) if k not in self._known]
        if not missing:
            return
        found = self.store.known(missing)
        since = dt.datetime.now(dt.UTC) - self.rejected_recheck
        for url in self.store.recently_rejected(set(missing) - set(found), since=since):
            found[url] = {"rejected": True}
        self.stats.inc_value("incremental/lookups")
        for key in missing:
            self._known[key] = found.get(key)

    def _due_for_refresh(self, known: dict[str, Any], now: dt.datetime) -> bool:
        if known.get("rejected"):
            return False
        first_seen, last_seen = known.get("first_seen_at"), known.get("last_seen_at")
        if not isinstance(first_seen, dt.datetime) or not isinstance(last_seen, dt.datetime):
            return False
        return now - first_seen < self.refresh_window and now - last_seen >= self.refresh_interval


def _is_request(output: Any, kind: str) -> bool:
    return isinstance(output, Request) and output.meta.get("kind") == kind
