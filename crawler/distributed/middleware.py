"""The spider middleware of distributed mode: only the worker that opened a round seeds it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class SeedOncePerRound:
    """A spider middleware: start requests (section pages, feeds, sitemaps) go to the shared queue
    only from the worker that opened the round; the others consume."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeedOncePerRound:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        if not getattr(scheduler, "seeds_round", True):
            logger.debug("joined an open round: its start requests are already queued")
            return
        async for item_or_request in start:
            yield item_or_request
