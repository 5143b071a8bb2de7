"""Request kinds and the one factory that gives each kind its callback, priority and meta."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import scrapy

from crawler.links.kinds import Kind

# Articles first: they are what the run is for, and finishing them frees memory.
# Feeds before sitemaps: a feed is one small file of the newest articles.
_PRIORITY = {Kind.ARTICLE: 10, Kind.LISTING: 0, Kind.PAGE: 0, Kind.FEED: 5, Kind.SITEMAP: 1}


def make_request(
    kind: Kind, url: str, callback: Callable[..., Any], *, section: str | None,
    page: int = 1, dont_filter: bool = False, **meta: Any,
) -> scrapy.Request:
    return scrapy.Request(
        url,
        callback=callback,
        priority=_PRIORITY[kind],
        dont_filter=dont_filter,
        meta={"kind": kind.value, "section": section, "page": page, **meta},
    )
