"""What a URL is for, in a leaf module that spiders, middlewares and the catalogue share: the
`Kind` enum, and the signal a spider sends for a page that turned out not to be an article.

One vocabulary for the kind of a request, the catalogue's classification of a URL
(`crawler.links.urls.classify_link`, `crawler.catalogue.sites.classify_url`) and the no-config
crawl's guess from a URL's shape (`crawler.links.heuristics.guess_link`). Its values are the words
`newscrawl sites --classify` prints and `tests/fixtures/real_urls.toml` uses.

The spiders' request factory (`crawler.spiders.requests.make_request`) puts a request's kind in
`request.meta["kind"]` (its string value, which every request serialiser keeps);
`Kind.of(request_or_response)` reads it back as the enum.
"""

from __future__ import annotations

import enum
from typing import Any


class Kind(enum.Enum):
    ARTICLE = "article"  # downloaded, and stored if its page is an article
    LISTING = "listing"  # read for its links, never stored: a section's first page or one of its
    # next pages, a taxonomy, author or archive page
    NEXT = "next"  # a listing's next page, by a catalogue entry's next_page_patterns
    PAGE = "page"  # no-config crawl: any same-site page, article or not
    FEED = "feed"  # an RSS or Atom feed, or the home page read for the feeds it declares
    SITEMAP = "sitemap"  # robots.txt, a sitemap index or a sitemap
    IGNORED = "ignored"  # neither article nor listing: never followed

    @classmethod
    def _missing_(cls, value: object) -> Kind | None:
        # a listing request queued (Redis, JOBDIR) before the one vocabulary said "section"
        return cls.LISTING if value == "section" else None

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
        try:
            return cls(value)
        except ValueError:
            return None


# Sent by a spider when a page requested as an article is not one, with arguments `url` and
# `reason`; the incremental middleware remembers the page so that it is not fetched again soon.
page_not_article = object()

# Sent by crawler.middlewares.conditional when the server answered 304 Not Modified to a request
# that carried our validators, with arguments `url`, `kind` (a `Kind`) and `request`: the page was seen,
# unchanged, and not parsed; the incremental middleware counts it as a visit that gave nothing.
page_not_modified = object()
