"""The date window of a back-fill: `-a since=2023-11-01 -a until=2023-11-30`.

`DateWindow` answers "is this date inside?" for listings that give a date (feeds, sitemaps),
before download; `DateWindowPipeline` applies the same window after extraction to articles whose
date was only known from the page. A window with neither bound lets everything through.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter

from crawler.drops import ExpectedDrop

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class OutsideWindow(ExpectedDrop):
    """An article published outside the run's date window."""


class WindowArgumentError(ValueError):
    """A `since` / `until` spider argument that is not a date."""


def parse_bound(name: str, value: Any, *, end_of_day: bool = False) -> dt.datetime | None:
    """An aware UTC datetime from `YYYY-MM-DD` or an ISO datetime (UTC when it names no zone).

    A bare `until` date means the end of that day, so `until=2023-11-30` keeps the 30th.

    >>> parse_bound("since", "2023-11-01")
    datetime.datetime(2023, 11, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_bound("until", " 2023-11-30 ", end_of_day=True)
    datetime.datetime(2023, 11, 30, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc)
    >>> parse_bound("since", "") is None
    True
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise WindowArgumentError(
            f"-a {name}={value!r}: expected a date such as 2023-11-01 or 2023-11-01T08:00+01:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    if end_of_day and len(text) == 10:
        parsed = parsed + dt.timedelta(days=1, microseconds=-1)
    return parsed.astimezone(dt.UTC)


@dataclass(frozen=True)
class DateWindow:
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @classmethod
    def from_args(cls, since: Any = None, until: Any = None) -> DateWindow:
        window = cls(parse_bound("since", since), parse_bound("until", until, end_of_day=True))
        if window.since and window.until and window.since > window.until:
            raise WindowArgumentError(f"-a since={since!r} is after -a until={until!r}")
        return window

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def contains(self, when: dt.datetime | None) -> bool:
        """True when `when` is inside, or unknown (an unknown date is decided after download).

        >>> w = DateWindow.from_args("2023-11-01", "2023-11-30")
        >>> w.contains(dt.datetime(2023, 10, 31, 23, tzinfo=dt.UTC)), w.contains(None)
        (False, True)
        """
        if when is None:
            return True
        if self.since is not None and when < self.since:
            return False
        return not (self.until is not None and when > self.until)

    def may_hold_newer(self, lastmod: dt.datetime | None) -> bool:
        """Whether a sitemap last modified at `lastmod` can list pages inside the window."""
        return lastmod is None or self.since is None or lastmod >= self.since

    def describe(self) -> str:
        since = self.since.date().isoformat() if self.since else "…"
        until = self.until.date().isoformat() if self.until else "…"
        return f"{since} to {until}"


class DateWindowPipeline:
    """Drop articles published outside the spider's `date_window` (after the dates pipeline).

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
        if published.tzinfo is None:  # the dates pipeline gives aware UTC; be safe anyway
            published = published.replace(tzinfo=dt.UTC)
        if not window.contains(published):
            self.stats.inc_value("window/dropped_after_download")
            logger.debug("outside the date window %s: %s (%s)", window.describe(),
                         ItemAdapter(item).get("url"), published.isoformat())
            raise OutsideWindow(f"published outside the date window {window.describe()}")
        self.stats.inc_value("window/kept")
        return item
