"""What a request is for, in a leaf module that spiders and middlewares share: the `Kind` enum,
and the signal a spider sends for a page that turned out not to be an article.

The spiders' request factory (`crawler.spiders.requests.make_request`) puts a request's kind in
`request.meta["kind"]` (its string value, which every request serialiser keeps);
`Kind.of(request_or_response)` reads it back as the enum.
"""

from __future__ import annotations

import enum
from typing import Any


class Kind(enum.Enum):
    SECTION = "section"  # a section's first page, or one of its next pages
    ARTICLE = "article"
    PAGE = "page"  # no-config crawl: any same-site page, article or not
    FEED = "feed"  # an RSS or Atom feed, or the home page read for the feeds it declares
    SITEMAP = "sitemap"  # robots.txt, a sitemap index or a sitemap

    @classmethod
    def of(cls, request_or_response: Any) -> Kind | None:
        """The kind of a request (or of the request a response answers), None when it has none.

        >>> import scrapy
        >>> Kind.of(scrapy.Request("https://a.fr/", meta={"kind": "article"})) is Kind.ARTICLE
        True
        >>> Kind.of(scrapy.Request("https://a.fr/")) is None
        True
        """
        try:
            value = request_or_response.meta.get("kind")
        except AttributeError:  # a response without a request
            return None
        return cls(value) if value in _VALUES else None


_VALUES = frozenset(kind.value for kind in Kind)

# In distributed mode, the crawler attribute under which the round's scheduler (the owner of the
# Redis client) publishes the round's `crawler.distributed.connection.TeachingCopies` for the
# parameter filter; here, so that a local crawl never imports Redis to look for it.
TEACHING_COPIES_ATTRIBUTE = "newscrawl_teaching_copies"

# Sent by a spider when a page requested as an article is not one, with arguments `url` and
# `reason`; the incremental middleware remembers the page so that it is not fetched again soon.
page_not_article = object()

# Sent by crawler.middlewares.conditional when the server answered 304 Not Modified to a request
# that carried our validators, with arguments `url`, `kind` (a `Kind`) and `request`: the page was seen,
# unchanged, and not parsed; the incremental middleware counts it as a visit that gave nothing.
page_not_modified = object()
