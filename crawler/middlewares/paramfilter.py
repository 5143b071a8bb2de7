"""`ParamFilterMiddleware`: links lose the URL parameters the site showed to be irrelevant.

One class, registered twice (both registrations share the crawl's `crawler.links.params.ParamLearner`,
owned by the `crawler.extensions.params.ParamLearning` extension):

- as a spider middleware (order above IncrementalMiddleware's, so that the database lookup and
  the dupefilter see clean URLs) it learns from every response with a query or sent as a copy
  (the URL it was fetched from and the canonical it declares) and strips learnt parameters from
  every request the spider yields; a link whose parameters nothing has decided on yet
  (`ParamLearner.unsettled`) is sent first (priority one above its kind's) when it is a copy
  of a page that can still teach (up to min_pages pages per parameter), else parked
  until the spider is idle, when it is let go cleaned (the dupefilter then drops it) or, if
  still undecided, as it was;
- as a downloader middleware (first in line) it checks a queued request again when it is due:
  if its parameters were learnt in the meantime it is sent back to the scheduler with the clean
  URL, where the dupefilter drops it if that URL was already requested.

A copy suffix counts as undecided from its first sight when the link is the page it was found on
plus one short word (`<article>/amp/` on `<article>`): before that rule, the AMP links met before
the first AMP page was read were all downloaded (1.06 article downloads per article on the
400-article trap site of bench/, 1.04 with it).

What was learnt lives in the database (`DatabaseOwner.of(crawler).params`, a
`crawler.storage.params.ParamStore`, read and written by `ParamLearning`): the learner starts
with every stored record when the spider opens, so the next run, every other spider and every
distributed worker skip the copies from their first link; observations are written in batches
(`_RECORD_BATCH`, at once when one of them learnt a parameter, and when the spider is idle or
closes), and each write reads back the evidence of the hosts it wrote, so two workers' pages add
up during the run. In distributed mode the teaching copies are one budget for the round's
workers (`crawler.distributed.connection.TeachingCopies`, claimed in Redis, the round
scheduler's `teaching_copies`): under load, two workers each sent their own 3 (5 or 6 copies in
1 test run of 4 with two busy loops beside, 0 of 4 with the shared budget). A crawl without a
database learns in memory only. A catalogue entry's `keep_params` / `drop_params` override the
learner for its domains (`crawler.catalogue.sites.Site`), in its own spider and in a `news`
crawl of one of them (`NewsSpider.catalogue_sites`).

Stats: params/learnt, params/stripped (links cleaned when yielded or released),
params/requeued_clean (queued links cleaned when due), params/deferred (teaching copies sent
first), params/parked and params/released (held until idle, let go unchanged); params/loaded and
params/recorded are `ParamLearning`'s. Each learnt parameter is logged once at INFO. Settings:
PARAMS_MIN_PAGES.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import TextResponse

from crawler.extensions.params import ParamLearning
from crawler.links.params import ParamLearner, host_key
from crawler.links.urls import canonical_url
from crawler.logs import LogOnce

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)
_log_once = LogOnce(logger, suffix=" (further cases are not logged)")

_UNSETTLED = "newscrawl_params_unsettled"  # request meta: sent as a copy still being learnt
_HELD = "newscrawl_params_held"  # request meta: parked copy held over one idle round
# Observations written per database round trip: an item yields one to five, so one write per
# 10-50 articles rather than one per article on the hot path.
_RECORD_BATCH = 50


class ParamFilterMiddleware:
    def __init__(self, learning: ParamLearning, stats: StatsCollector,
                 crawler: Crawler | None = None) -> None:
        self.learning = learning
        self.learner: ParamLearner = learning.learner
        self.stats = stats
        self.crawler = crawler
        # (host, parameter) -> pages whose copy was let through while it is being learnt
        self._released: dict[tuple[str, str], set[str]] = {}
        self._parked: list[Request] = []  # copies held back until the spider is idle
        # (host, parameter) whose teaching copies the workers of the round have all sent
        self._budget_spent: set[tuple[str, str]] = set()
        self._distributed = bool(crawler and crawler.settings.get("REDIS_URL"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParamFilterMiddleware:
        assert crawler.stats is not None
        middleware = cls(ParamLearning.of(crawler), crawler.stats, crawler)
        crawler.signals.connect(middleware.spider_idle, signal=signals.spider_idle)
        return middleware

    # ------------------------------------------------------------------ spider middleware

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        self._learn(response)
        yield from self._filter(response, result)

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        self._learn(response)
        async for output in result:
            for cleaned in self._filter(response, [output]):
                yield cleaned

    def _filter(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            if isinstance(output, Request):
                request = self._clean(output, linked_from=response.url)
                if request is not None:
                    yield request
            else:
                yield output

    def _learn(self, response: Response) -> None:
        """Learn from the canonical the page declares, article or not.

        From the response rather than from items: a copy is often no article to the page
        classifier (an AMP page without date or markup), and it teaches all the same. Only a
        URL with a query, or one sent as an undecided copy, is read for it.
        """
        if not isinstance(response, TextResponse) or not (
                urlsplit(response.url).query or response.meta.get(_UNSETTLED)):
            return
        try:
            declared = (response.xpath("//link[contains(concat(' ', normalize-space("
                                       "translate(@rel, 'CANONICAL', 'canonical')), ' '), "
                                       "' canonical ')]/@href").get()
                        or response.xpath("//meta[@property='og:url']/@content").get())
        except ValueError:  # not HTML after all
            return
        observations = self.learner.observe(response.url, declared)
        self.learning.pending.extend(observations)
        learnt = False
        for seen in observations:
            if seen.learnt:
                learnt = True
                self.stats.inc_value("params/learnt")
                logger.info("learnt: parameter %r is irrelevant on %s (the canonical of %d "
                            "pages drops it)", seen.param, seen.host, self.learner.min_pages)
        if learnt or len(self.learning.pending) >= _RECORD_BATCH:
            self.learning.record()

    def _clean(self, request: Request, *, linked_from: str | None = None) -> Request | None:
        cleaned = self.learner.clean_url(request.url)
        if cleaned is not None and cleaned != canonical_url(request.url):
            self.stats.inc_value("params/stripped")
            logger.debug("parameters stripped: %s -> %s", request.url, cleaned)
            return request.replace(url=cleaned)
        unsettled = self.learner.unsettled(request.url, linked_from=linked_from)
        if not unsettled:
            return request
        # Learning needs copies of `min_pages` different pages: those go first (a few per
        # parameter); the other copies wait for the spider to be idle, when most are learnt
        # away. Sent behind every listing, the teaching copies taught only at the end of the
        # crawl, and 4,720 copies were parked, then released and dropped by the dupefilter, on
        # the 2,000-article bench trap site (bench/bench_traps.py); right behind the articles,
        # 4,468 (learnt after 2 of 13 s).
        host, page = host_key(request.url), urlsplit(request.url).path
        useful = False
        for name in unsettled:
            pages = self._released.setdefault((host, name), set())
            if page not in pages and len(pages) < self.learner.min_pages:
                useful = self._claim(host, name, page) or useful
        request = request.replace(meta={**request.meta, _UNSETTLED: True})
        if not useful:
            self.stats.inc_value("params/parked")
            self._parked.append(request)
            return None
        for name in unsettled:
            self._released[(host, name)].add(page)
        self.stats.inc_value("params/deferred")
        return request.replace(priority=request.priority + 1)

    def _claim(self, host: str, name: str, page: str) -> bool:
        """In distributed mode, a teaching copy counts against the round's budget, shared by the
        workers (measured: two workers sent 6 copies of one parameter, 3 each, on the trap site
        of tests/test_distributed.py); alone, or when Redis fails, the own count decides."""
        scheduler = self.crawler.engine.scheduler if self.crawler and self.crawler.engine else None
        # the round's budget in distributed mode (crawler.distributed.scheduler.RoundScheduler)
        teaching = getattr(scheduler, "teaching_copies", None)
        if teaching is None:
            return True
        if (host, name) in self._budget_spent:  # no round trip per copy once it is spent
            return False
        claimed = teaching.claim(host, name, page, self.learner.min_pages)
        if claimed is None:
            _log_once.warning("teaching", "Redis failed: teaching copies counted by this worker alone")
            return True
        granted, spent = claimed
        if spent:
            self._budget_spent.add((host, name))
        return bool(granted)

    def spider_idle(self) -> None:
        """Let the parked copies go: cleaned if learnt meanwhile (the dupefilter drops those).

        What the other crawls wrote is read first. In distributed mode a copy still undecided
        is held one more idle round (another worker may be reading the pages that teach it:
        measured, 7 of 10 copies on the bench trap site were such early releases).
        """
        if not self._parked or self.crawler is None or self.crawler.engine is None:
            return
        self.learning.record()
        self.learning.reload({host_key(r.url) for r in self._parked})
        parked, self._parked = self._parked, []
        for request in parked:
            cleaned = self.learner.clean_url(request.url)
            if cleaned is not None and cleaned != canonical_url(request.url):
                self.stats.inc_value("params/stripped")
                request = request.replace(url=cleaned)
            elif self._distributed and not request.meta.get(_HELD):
                self._parked.append(request.replace(meta={**request.meta, _HELD: True}))
                continue
            else:
                self.stats.inc_value("params/released")
            self.crawler.engine.crawl(request)
        if self._parked:
            raise DontCloseSpider

    # ------------------------------------------------------------------ downloader middleware

    def process_request(self, request: Request) -> Request | None:
        cleaned = self.learner.clean_url(request.url)
        if cleaned is None or cleaned == canonical_url(request.url):
            return None
        self.stats.inc_value("params/requeued_clean")
        logger.debug("learnt since queued, requeued clean: %s -> %s", request.url, cleaned)
        return request.replace(url=cleaned)
