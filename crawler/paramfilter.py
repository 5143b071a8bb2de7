"""`ParamFilterMiddleware`: links lose the URL parameters the site showed to be irrelevant.

One class, registered twice (it shares one `crawler.params.ParamLearner` per crawler):

- as a spider middleware (order above IncrementalMiddleware's, so that the database lookup and
  the dupefilter see clean URLs) it learns from every item (the URL it was fetched from and the
  canonical it declares) and strips learnt parameters from every request the spider yields; a
  link whose parameters nothing has decided on yet (`ParamLearner.unsettled`) is put behind every
  clean link (priority below listings') when it is a copy of a page that can still teach (up to
  min_pages pages per parameter), else parked until the spider is idle, when it is let go
  cleaned (the dupefilter then drops it) or, if still undecided, as it was;
- as a downloader middleware (first in line) it checks a queued request again when it is due:
  if its parameters were learnt in the meantime it is sent back to the scheduler with the clean
  URL, where the dupefilter drops it if that URL was already requested.

Stats: params/learnt, params/stripped (links cleaned when yielded or released),
params/requeued_clean (queued links cleaned when due), params/deferred (links put behind),
params/parked and params/released (held until idle, let go unchanged). Each learnt parameter is
logged once at INFO. Settings: PARAMS_MIN_PAGES (default 3, crawler.params.DEFAULT_MIN_PAGES).
Persistence (crawler.paramstore.ParamStore) is attached by the component that owns the
database: `ParamFilterMiddleware.learner` is the learner to `load()` into and read from.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from itemadapter import ItemAdapter, is_item
from scrapy import Request, signals

from crawler.params import DEFAULT_MIN_PAGES, ParamLearner, host_key
from crawler.urls import canonical_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

_SHARED_ATTRIBUTE = "_newscrawl_param_learner"


class ParamFilterMiddleware:
    def __init__(self, learner: ParamLearner, stats: StatsCollector,
                 crawler: Crawler | None = None) -> None:
        self.learner = learner
        self.stats = stats
        self.crawler = crawler
        # (host, parameter) -> pages whose copy was let through while it is being learnt
        self._released: dict[tuple[str, str], set[str]] = {}
        self._parked: list[Request] = []  # copies held back until the spider is idle

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParamFilterMiddleware:
        assert crawler.stats is not None
        learner = getattr(crawler, _SHARED_ATTRIBUTE, None)
        if learner is None:
            learner = ParamLearner(min_pages=crawler.settings.getint("PARAMS_MIN_PAGES",
                                                                     DEFAULT_MIN_PAGES))
            setattr(crawler, _SHARED_ATTRIBUTE, learner)
        middleware = cls(learner, crawler.stats, crawler)
        crawler.signals.connect(middleware.spider_idle, signal=signals.spider_idle)
        return middleware

    # ------------------------------------------------------------------ spider middleware

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            if isinstance(output, Request):
                request = self._clean(output)
                if request is not None:
                    yield request
            else:
                if is_item(output):
                    self._learn(output)
                yield output

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            for cleaned in self.process_spider_output(response, [output]):
                yield cleaned

    def _learn(self, item: Any) -> None:
        adapter = ItemAdapter(item)
        fetched, declared = adapter.get("fetched_url"), adapter.get("canonical_url")
        if not isinstance(fetched, str) or not isinstance(declared, str):
            return
        for seen in self.learner.observe(fetched, declared):
            if seen.learnt:
                self.stats.inc_value("params/learnt")
                logger.info("learnt: parameter %r is irrelevant on %s (the canonical of %d "
                            "pages drops it)", seen.param, seen.host, self.learner.min_pages)

    def _clean(self, request: Request) -> Request | None:
        cleaned = self.learner.clean_url(request.url)
        if cleaned is not None and cleaned != canonical_url(request.url):
            self.stats.inc_value("params/stripped")
            logger.debug("parameters stripped: %s -> %s", request.url, cleaned)
            return request.replace(url=cleaned)
        unsettled = self.learner.unsettled(request.url)
        if not unsettled:
            return request
        # Learning needs copies of `min_pages` different pages: those go (after every clean
        # link); the other copies wait for the spider to be idle, when most are learnt away.
        host, page = host_key(request.url), urlsplit(request.url).path
        useful = False
        for name in unsettled:
            pages = self._released.setdefault((host, name), set())
            if page not in pages and len(pages) < self.learner.min_pages:
                useful = True
        if not useful:
            self.stats.inc_value("params/parked")
            self._parked.append(request)
            return None
        for name in unsettled:
            self._released[(host, name)].add(page)
        self.stats.inc_value("params/deferred")
        return request.replace(priority=min(request.priority, 0) - 1)

    def spider_idle(self) -> None:
        """Let the parked copies go: cleaned if learnt meanwhile (the dupefilter drops those)."""
        if not self._parked or self.crawler is None or self.crawler.engine is None:
            return
        parked, self._parked = self._parked, []
        for request in parked:
            cleaned = self.learner.clean_url(request.url)
            if cleaned is not None and cleaned != canonical_url(request.url):
                self.stats.inc_value("params/stripped")
                request = request.replace(url=cleaned)
            else:
                self.stats.inc_value("params/released")
            self.crawler.engine.crawl(request)

    # ------------------------------------------------------------------ downloader middleware

    def process_request(self, request: Request) -> Request | None:
        cleaned = self.learner.clean_url(request.url)
        if cleaned is None or cleaned == canonical_url(request.url):
            return None
        self.stats.inc_value("params/requeued_clean")
        logger.debug("learnt since queued, requeued clean: %s -> %s", request.url, cleaned)
        return request.replace(url=cleaned)
