"""`ValidatePipeline`: an item without a URL, a title or a body is dropped, counted, said once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from crawler.errors import InvalidArticle
from crawler.logs import LogOnce
from crawler.storage.documents import content_hash

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


logger = logging.getLogger(__name__)


def storable(item: Any) -> dict[str, Any]:
    """The item as handed to the store, `content_hash` added."""
    document = dict(ItemAdapter(item).items())
    document["content_hash"] = content_hash(document)
    return document


class ValidatePipeline:
    """Drop items without a URL, a title or a body."""

    REQUIRED = ("url", "title", "body")

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.log = LogOnce(logger)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for field in self.REQUIRED:
            value = adapter.get(field)
            if not isinstance(value, str) or not value.strip():
                self.stats.inc_value(f"validate/dropped/no_{field}")
                self.log.warning(f"no_{field}", "dropped an item without %s: %s", field,
                              adapter.get("url"))
                raise InvalidArticle(f"no {field}")
        self.stats.inc_value("validate/ok")
        return item
