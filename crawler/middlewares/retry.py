"""Retries that back off on 429 Too Many Requests and 503 Unavailable, without holding a slot.

Scrapy's RetryMiddleware re-schedules a failed request at once; a site that says "come back in 30
seconds" deserves to be believed, and one that says 429 or 503 without saying when deserves a
pause too. On such an answer the request's download slot (its host) backs off: for the
`Retry-After` the site announced (delta-seconds or HTTP date), or, without a usable header, for
RETRY_BACKOFF_SECONDS doubled on each retry of the request; either way at most RETRY_AFTER_MAX
seconds.

While a host backs off:
- its retry, and any new request for it, is **parked**: a `request_scheduled` handler keeps it out
  of the scheduler (raising IgnoreRequest there drops a request without the `request_dropped`
  signal or an errback) and hands it back through `engine.crawl()` when the back-off ends. A parked
  request holds no concurrency, so other hosts go on at full speed, and the spider stays open
  (DontCloseSpider from `spider_idle`) while anything is parked;
- a request for it that reaches the downloader anyway (one the scheduler held before the 429, or a
  robots.txt request, which Scrapy downloads without the scheduler) waits in `process_request`
  until the back-off ends, so nothing reaches the host early.

Parked, not slept on in `process_response`: a sleeping request holds its slot, and with one slot
the other host's crawl took 8.2 s instead of 2.1 s (tests/test_retry.py; the history in
docs/benchmarks.md, "A site answering 429 + Retry-After").

In distributed mode (crawler/distributed/) a parked request lives in this worker's memory, not in
the shared queue, for at most RETRY_AFTER_MAX seconds: a worker killed meanwhile loses it (the
next round finds the page again from its section or feed).

Only public Scrapy APIs: `get_retry_request`, the `request_scheduled`/`spider_idle`/`spider_closed`
signals, `engine.crawl`, `Downloader.get_slot_key`, `scrapy.utils.asyncio.call_later`.
404 and 410 are never retried (they are not in RETRY_HTTP_CODES).

Stats: retry/retry_after/count and retry/retry_after/seconds (waits a Retry-After asked for),
retry/backoff/count and retry/backoff/seconds (waits without one), retry/parked (requests parked
while their host backed off), retry/parked_at_close (still parked when the spider closed: lost).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.utils.asyncio import call_later
from scrapy.utils.response import response_status_message

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings
    from scrapy.utils.asyncio import CallLaterResult

logger = logging.getLogger(__name__)

BACKOFF_STATUSES = (429, 503)


def retry_after_seconds(value: bytes | str | None, *, now: dt.datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), None if unusable.

    >>> now = dt.datetime(2023, 11, 22, 10, 0, tzinfo=dt.UTC)
    >>> retry_after_seconds(b"30", now=now)
    30.0
    >>> retry_after_seconds("Wed, 22 Nov 2023 10:01:00 GMT", now=now)
    60.0
    >>> retry_after_seconds("soon", now=now) is None
    True
    """
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_seconds(retry_after: bytes | str | None, *, retries_so_far: int, base: float,
                    cap: float, now: dt.datetime) -> tuple[float, bool]:
    """How long a host backs off after a 429/503, and whether its Retry-After said so.

    The announced wait when the header is usable (a date in the past counts as "now": 0 s), else
    `base` doubled for each retry the request already had; never more than `cap`.

    >>> now = dt.datetime(2023, 11, 22, 10, 0, tzinfo=dt.UTC)
    >>> backoff_seconds(b"30", retries_so_far=0, base=2, cap=120, now=now)
    (30.0, True)
    >>> backoff_seconds(b"3600", retries_so_far=0, base=2, cap=120, now=now)
    (120.0, True)
    >>> [backoff_seconds(None, retries_so_far=n, base=2, cap=10, now=now)[0] for n in range(4)]
    [2.0, 4.0, 8.0, 10.0]
    >>> backoff_seconds(b"later", retries_so_far=1, base=2, cap=120, now=now)
    (4.0, False)
    """
    announced = retry_after_seconds(retry_after, now=now)
    if announced is not None:
        return float(min(announced, cap)), True
    return float(min(base * 2.0 ** min(retries_so_far, 32), cap)), False


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX")
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_SECONDS")
        self.until: dict[str, float] = {}  # slot key -> time.monotonic() its back-off ends
        self.parked: dict[str, list[Request]] = {}
        self._wakeups: dict[str, CallLaterResult] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        crawler.signals.connect(middleware.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(middleware.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def _slot_key(self, request: Request) -> str:
        assert self.crawler.engine is not None
        return self.crawler.engine.downloader.get_slot_key(request)

    def _remaining(self, key: str) -> float:
        return self.until.get(key, 0.0) - time.monotonic()

    # --- downloader middleware hooks --------------------------------------------------------------

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        """Hold a request that reached the downloader while its host backs off (module docstring)."""
        remaining = self._remaining(self._slot_key(request))
        if remaining > 0:
            logger.debug("%s waits %.1f s: its host is backing off", request.url, remaining)
            await asyncio.sleep(remaining)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if (response.status not in BACKOFF_STATUSES or response.status not in self.retry_http_codes
                or request.meta.get("dont_retry")):
            return super().process_response(request, response)
        wait, announced = backoff_seconds(
            response.headers.get("Retry-After"), retries_so_far=request.meta.get("retry_times", 0),
            base=self.backoff_base, cap=self.max_wait, now=dt.datetime.now(dt.UTC))
        assert self.crawler.spider is not None
        retry = get_retry_request(
            request, spider=self.crawler.spider, reason=response_status_message(response.status),
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            give_up_log_level=request.meta.get("give_up_log_level", self.give_up_log_level))
        if retry is None:
            return response
        key = self._slot_key(request)
        # INFO when a host starts backing off, DEBUG for the answers that arrive meanwhile
        level = logging.DEBUG if self._remaining(key) > 0 else logging.INFO
        self.until[key] = max(self.until.get(key, 0.0), time.monotonic() + wait)
        stats = self.crawler.stats
        if stats is not None:
            kind = "retry_after" if announced else "backoff"
            stats.inc_value(f"retry/{kind}/count")
            stats.inc_value(f"retry/{kind}/seconds", round(wait))  # whole seconds
        logger.log(level, "%s answered %d: %s backs off %.0f s%s", request.url, response.status, key,
                   wait, " as its Retry-After asks" if announced else "")
        return retry

    # --- parking ----------------------------------------------------------------------------------

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        key = self._slot_key(request)
        remaining = self._remaining(key)
        if remaining <= 0:
            return
        self.parked.setdefault(key, []).append(request)
        if key not in self._wakeups:
            self._wakeups[key] = call_later(remaining, self._release, key)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("retry/parked")
        raise IgnoreRequest(f"parked until {key} stops backing off")

    def _release(self, key: str) -> None:
        self._wakeups.pop(key, None)
        engine = self.crawler.engine
        for request in self.parked.pop(key, []):
            if engine is None or engine.spider is None:
                return
            engine.crawl(request)  # parked again by request_scheduled if the back-off grew

    def spider_idle(self, spider: Spider) -> None:
        if self.parked:
            raise DontCloseSpider

    def spider_closed(self, spider: Spider) -> None:
        for wakeup in self._wakeups.values():
            wakeup.cancel()
        self._wakeups.clear()
        lost = sum(len(requests) for requests in self.parked.values())
        self.parked.clear()
        if lost:
            logger.warning("%d request(s) still waiting for a site's back-off when the spider closed",
                           lost)
            if self.crawler.stats is not None:
                self.crawler.stats.set_value("retry/parked_at_close", lost)
