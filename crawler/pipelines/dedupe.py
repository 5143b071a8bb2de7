"""`DedupePipeline`: one item per canonical URL in a run."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawler.errors import DuplicateArticle
from crawler.links.urls import article_key, canonical_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


logger = logging.getLogger(__name__)


class DedupePipeline:
    """Key each article by its canonical URL; drop the second item with the same key in a run.

    The page's rel=canonical is trusted only when it points at the same host as the page.
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        fetched = adapter.get("fetched_url") or adapter["url"]
        key = article_key(fetched, adapter.get("canonical_url"))
        if key is None:
            self.stats.inc_value("dedupe/dropped/bad_url")
            raise DropItem(f"no usable URL: {fetched!r}")
        adapter["url"] = key
        adapter["fetched_url"] = canonical_url(fetched) or fetched
        if key in self.seen:
            self.stats.inc_value("dedupe/dropped/duplicate")
            logger.debug("duplicate of an article already seen in this run: %s", key)
            raise DuplicateArticle(f"duplicate: {key}")
        self.seen.add(key)
        return item
