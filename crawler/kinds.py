"""What a request is for: the `Kind` enum, in a leaf module that spiders and middlewares share.

The spiders' request factory (`crawler.spiders.requests.make_request`) puts a request's kind in
`request.meta["kind"]`; `Kind.of(request_or_response)` reads it back.
"""

from __future__ import annotations

import enum


class Kind(enum.Enum):
    SECTION = "section"  # a section's first page, or one of its next pages
    ARTICLE = "article"
    PAGE = "page"  # no-config crawl: any same-site page, article or not
    FEED = "feed"  # an RSS or Atom feed, or the home page read for the feeds it declares
    SITEMAP = "sitemap"  # robots.txt, a sitemap index or a sitemap
