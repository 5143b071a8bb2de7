"""The date window of a back-fill: `-a since=2023-11-01 -a until=2023-11-30`.

`DateWindow` answers "is this date inside?" for listings that give a date (feeds, sitemaps),
before download; `crawler.pipelines.window.DateWindowPipeline` applies the same window after extraction
to articles whose date was only known from the page. A window with neither bound lets everything through.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from crawler.errors import WindowArgumentError


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
