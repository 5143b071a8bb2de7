"""`DatesPipeline`: the raw date strings of an item as aware UTC datetimes."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from crawler.dates.normalise import resolve_item_dates
from crawler.logs import LogOnce

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


logger = logging.getLogger(__name__)


class DatesPipeline:
    """Raw date strings -> aware UTC `published_at` / `updated_at`, with the rule that decided.

    The time zone is the catalogue site's, else the page's own hint, else UTC; relative dates are
    resolved against the item's fetch time. Unusable dates are left empty and counted.
    """

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.log = LogOnce(logger)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatesPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        site = getattr(self.crawler.spider, "site", None)
        fetched_at = adapter.get("fetched_at") or dt.datetime.now(dt.UTC)
        timezone = site.timezone if site is not None else adapter.get("timezone_hint")
        language = adapter.get("language") or (site.language if site is not None else None)
        errors = resolve_item_dates(adapter, language=language, timezone=timezone,
                                    fetched_at=fetched_at)
        for which in ("published", "updated"):
            if adapter.get(f"{which}_at") is not None:
                self.stats.inc_value(f"dates/{which}/parsed")
        for which, error in errors.items():
            self.stats.inc_value(f"dates/{which}/{error}")
            raw = adapter.get(f"{which}_raw") or {}
            self.log.warning(f"{which}:{error}", "%s date %r (%s) of %s: %s", which,
                          raw.get("text"), raw.get("where"), adapter.get("url"), error)
        return item
