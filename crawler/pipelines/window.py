"""`DateWindowPipeline`: articles outside the back-fill's `since`/`until` window are dropped."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from crawler.dates.window import DateWindow
from crawler.errors import OutsideWindow

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


logger = logging.getLogger(__name__)


class DateWindowPipeline:
    """Drop articles published outside the spider's `date_window` (dates resolved when read).

    Listings that give a date are filtered before download by the spider; this catches the
    articles found on section pages, whose date is only known once extracted. Articles without a
    `published_at` are kept and counted: a window is not a reason to lose data silently.
    """

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DateWindowPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        window = getattr(self.crawler.spider, "date_window", None)
        if not isinstance(window, DateWindow) or not window.bounded:
            return item
        published = ItemAdapter(item).get("published_at")
        if not isinstance(published, dt.datetime):
            self.stats.inc_value("window/kept_undated")
            return item
        if published.tzinfo is None:  # the reading gives aware UTC; be safe anyway
            published = published.replace(tzinfo=dt.UTC)
        if not window.contains(published):
            self.stats.inc_value("window/dropped_after_download")
            logger.debug("outside the date window %s: %s (%s)", window.describe(),
                         ItemAdapter(item).get("url"), published.isoformat())
            raise OutsideWindow(f"published outside the date window {window.describe()}")
        self.stats.inc_value("window/kept")
        return item
