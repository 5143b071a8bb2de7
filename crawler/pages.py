"""Page objects: a listing page's links, an article page's fields.

`SectionPage` reads a section or pagination page and sorts its links; `ArticlePage` (in
`crawler.extract`) turns an article page into an item. Neither knows about requests or storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from crawler.extract import ArticlePage
from crawler.urls import LinkKind, canonical_url, classify_link, on_domains

if TYPE_CHECKING:
    from parsel import Selector

    from crawler.sites import Site

__all__ = ["ArticlePage", "ListingLinks", "SectionPage"]


@dataclass
class ListingLinks:
    """The links of one listing page, canonical, each once, in page order."""

    articles: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    next_page: str | None = None
    rejected: int = 0  # off-site, unusable or unclassified links


class SectionPage:
    """A section or pagination page of a catalogue site."""

    def __init__(self, url: str, selector: Selector, site: Site) -> None:
        self.url = url
        self.selector = selector
        self.site = site

    def links(self) -> ListingLinks:
        # One XPath over the whole page: building a selector per <a> costs more than the download.
        hrefs = self.selector.xpath("//a/@href").getall()
        result = ListingLinks()
        seen: set[str] = set()
        for url in self._absolute(hrefs):
            if url in seen:
                continue
            seen.add(url)
            kind = classify_link(
                url,
                article=self.site.article_patterns,
                section=self.site.section_patterns,
                exclude=self.site.exclude_patterns,
            )
            if kind is LinkKind.ARTICLE:
                result.articles.append(url)
            elif kind is LinkKind.SECTION:
                result.sections.append(url)
            else:
                result.rejected += 1
        result.next_page = self.next_page()
        return result

    def next_page(self) -> str | None:
        """The next listing page: rel=next first, then links matching the next-page patterns."""
        candidates = self.selector.css(self.site.next_page_css).getall()
        for url in self._absolute(candidates):
            if url != canonical_url(self.url):
                return url
        if self.site.next_page_patterns:
            current = canonical_url(self.url)
            for url in self._absolute(self.selector.xpath(
                "//a[contains(@class,'next') or contains(@class,'suivant') "
                "or contains(@aria-label,'next') or contains(@aria-label,'suivant')]/@href"
            ).getall()):
                if url != current and any(p.search(url) for p in self.site.next_page_patterns):
                    return url
        return None

    def _absolute(self, hrefs: Iterable[str]) -> Iterable[str]:
        for href in hrefs:
            href = href.strip()
            if not href or href.startswith("#"):
                continue
            url = canonical_url(urljoin(self.url, href))
            if url is not None and on_domains(url, self.site.domains):
                yield url
