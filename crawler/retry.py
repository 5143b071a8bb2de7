"""Retries that respect a site's `Retry-After` (429 Too Many Requests, 503 Unavailable).

Scrapy's RetryMiddleware re-schedules a failed request at once; a site that says "come back in 30
seconds" deserves to be believed. This subclass waits for the announced time (capped by
RETRY_AFTER_MAX seconds) before handing the retry back; the wait holds only that request, and
AutoThrottle slows the rest of the site down on its own. 404 and 410 are never retried.
Stats: retry/retry_after/count, retry/retry_after/seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

_RETRY_AFTER_STATUSES = (429, 503)


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


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX", 120.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_response(  # type: ignore[override]  # async variant of the same hook
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if (response.status in _RETRY_AFTER_STATUSES and not request.meta.get("dont_retry")
                and response.status in self.retry_http_codes):
            wait = retry_after_seconds(response.headers.get("Retry-After"),
                                       now=dt.datetime.now(dt.UTC))
            if wait:
                wait = min(wait, self.max_wait)
                retry = self._retry(request, f"{response.status} with Retry-After {wait:.0f}s")
                if retry is None:
                    return response
                stats = self.crawler.stats
                if stats is not None:
                    stats.inc_value("retry/retry_after/count")
                    stats.inc_value("retry/retry_after/seconds", wait)
                logger.info("%s answered %d: waiting %.0f s as its Retry-After asks",
                            request.url, response.status, wait)
                await asyncio.sleep(wait)
                return retry
        return super().process_response(request, response)
