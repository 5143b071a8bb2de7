"""Page objects: a listing page's links, an article page's fields.

`SectionPage` reads a section or pagination page and sorts its links; `ArticlePage` (in
`crawler.extract`) turns an article page into an item. Neither knows about requests or storage.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from crawler.extract import ArticlePage
from crawler.links.kinds import Kind
from crawler.links.urls import canonical_url, classify_link, on_domains, path_and_query
from crawler.reading.teasers import date_elements, teaser_dates

if TYPE_CHECKING:
    from lxml.etree import _Element as Element
    from parsel import Selector

    from crawler.catalogue.sites import Site

__all__ = ["ArticlePage", "ListingLinks", "SectionPage", "next_page_links", "page_links",
           "resolve_link"]

# Links whose class or label says "next page" (English, French; the label in any case). The
# no-config news spider follows them; a catalogue site's only when they match its patterns.
NEXT_LINK_XPATH = (
    "//a[contains(concat(' ', normalize-space(@class), ' '), ' next ') "
    "or contains(@class, 'next') or contains(@class, 'suivant') "
    "or contains(translate(@aria-label, 'NEXTSUIVANT', 'nextsuivant'), 'next') "
    "or contains(translate(@aria-label, 'NEXTSUIVANT', 'nextsuivant'), 'suivant')]/@href"
)


_NEXT_TEXT = re.compile(r"^\s*(?:next|suivante?|page suivante|older|plus ancien|weiter|siguiente|"
                        r"successiva|próxima|›|»|→)\s*(?:›|»|→)?\s*$", re.IGNORECASE)
_TAGS = ("a", "link")
_DATE_TAGS = ("time", "meta")
_DATED_TAGS = (*_TAGS, *_DATE_TAGS)
_XML_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space() collapses


def page_links(root: Element | None, *, every_link: bool = True,
               dates: list[Element] | None = None) -> tuple[list[str], list[str]]:
    """A parsed page's links, each once, in page order (empty unless `every_link`), and its
    next-page candidates: `link[rel=next]` and `a[rel~=next]` (in page order), then links whose
    class or label says next (`NEXT_LINK_XPATH`, read in Python), then those whose text does.

    One walk over the tree for both. A parsel Selector per anchor cost 27% of the news spider's
    busy time on the 400-article bench trap site; three XPath passes 11% on the 2,000-article
    one; one pass over the anchors beside two XPath walks (rel=next, every href) 37% of that;
    this single walk 0.54 ms a page instead of 0.65 ms on the eval pages (each XPath walk of
    the tree costs 0.2-0.26 ms there), with the same links on the 2,078 pages of ../shared/eval,
    tests/fixtures, the demo site and the bench site.

    `dates`, when given, receives the page's `time` and microdata elements from the same walk
    (`crawler.reading.teasers`: a teaser's date for its link; a walk of its own cost 0.15 ms).
    """
    if root is None:
        return [], []
    hrefs: dict[str, None] = {}
    rel_next, marked, said = [], [], []
    for element in root.iter(*(_TAGS if dates is None else _DATED_TAGS)):
        if dates is not None and element.tag in _DATE_TAGS:
            if element.tag == "time" or element.get("itemprop"):
                dates.append(element)
            continue
        href = element.get("href")
        if href is None:
            continue
        rel = element.get("rel")
        if element.tag == "link":
            if rel == "next":
                rel_next.append(href)
            continue
        if every_link:
            hrefs[href] = None
        if rel and " next " in f" {_XML_SPACE.sub(' ', rel)} ":
            rel_next.append(href)
        names, label = element.get("class"), element.get("aria-label")
        if (names and ("next" in names or "suivant" in names)) or (
                label and ("next" in (label := label.lower()) or "suivant" in label)):
            marked.append(href)
        if _NEXT_TEXT.match(" ".join(element.itertext()) if len(element) else element.text or ""):
            said.append(href)
    return list(hrefs), [*rel_next, *marked, *said]


def next_page_links(root: Element | None) -> list[str]:
    """The next-page candidates of a parsed page (`page_links`)."""
    return page_links(root, every_link=False)[1]


@dataclass
class ListingLinks:
    """The links of one listing page, canonical, each once, in page order."""

    articles: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    next_page: str | None = None
    rejected: int = 0  # off-site, unusable or unclassified links
    dates: dict[str, str] = field(default_factory=dict)  # article URL: its teaser's raw date


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
        article_hrefs: dict[str, str] = {}  # href as written: its article URL
        article_urls: set[str] = set()
        for href, url in self._resolved(hrefs):
            if url in seen:
                if url in article_urls:
                    article_hrefs[href.strip().split("#", 1)[0]] = url
                continue
            seen.add(url)
            kind = classify_link(
                url,
                article=self.site.article_patterns,
                section=self.site.section_patterns,
                exclude=self.site.exclude_patterns,
            )
            if kind is Kind.ARTICLE:
                result.articles.append(url)
                article_urls.add(url)
                article_hrefs[href.strip().split("#", 1)[0]] = url
            elif kind is Kind.LISTING:
                result.sections.append(url)
            else:
                result.rejected += 1
        result.next_page = self.next_page()
        dates = teaser_dates(date_elements(self.selector.root), article_hrefs.__contains__)
        result.dates = {article_hrefs[href]: raw for href, raw in dates.items()}
        return result

    def next_page(self) -> str | None:
        """The next listing page: rel=next first, then links matching the next-page patterns."""
        candidates = self.selector.css(self.site.next_page_css).getall()
        for url in self._absolute(candidates):
            if url != canonical_url(self.url):
                return url
        if self.site.next_page_patterns:
            current = canonical_url(self.url) or self.url
            patterns = self.site.next_page_patterns
            for url in self._absolute(self.selector.xpath(NEXT_LINK_XPATH).getall()):
                if url != current and any(p.search(path_and_query(url)) for p in patterns):
                    return url
            # No link labelled "next" (a pager of bare numbers, a calendar of date ranges): the
            # pattern-matching link that continues this page's sequence.
            return following_page(current, self._absolute(self.selector.xpath("//a/@href").getall()),
                                  patterns)
        return None

    def _absolute(self, hrefs: Iterable[str]) -> Iterable[str]:
        for _href, url in self._resolved(hrefs):
            yield url

    def _resolved(self, hrefs: Iterable[str]) -> Iterable[tuple[str, str]]:
        origin = urljoin(self.url, "/")
        for href in hrefs:
            url = resolve_link(self.url, href, self.site.domains, origin=origin)
            if url is not None:
                yield href, url


_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_NUMBER = re.compile(r"\d+")


def following_page(current: str, links: Iterable[str],
                   patterns: Sequence[re.Pattern[str]]) -> str | None:
    """Among `links`, the next page after `current` by the next-page `patterns`: page N+1 (the
    first page counts as 1), or for date-range listings the latest range before the current one.

    >>> pats = [re.compile(r"/page_\\d+\\.html$")]
    >>> following_page("https://h/a/page_2.html", ["https://h/a/page_1.html",
    ...                "https://h/a/page_3.html"], pats)
    'https://h/a/page_3.html'
    >>> following_page("https://h/a/", ["https://h/a/page_3.html", "https://h/a/page_2.html"], pats)
    'https://h/a/page_2.html'
    >>> dated = [re.compile(r"[?&]begin=\\d{4}-\\d{2}-\\d{2}")]
    >>> following_page("https://h/?begin=2025-03-10", ["https://h/?begin=2025-03-11",
    ...                "https://h/?begin=2025-03-09", "https://h/?begin=2025-03-08"], dated)
    'https://h/?begin=2025-03-09'
    """
    def position(url: str) -> tuple[str, int] | None:
        target = path_and_query(url)
        for pattern in patterns:
            match = pattern.search(target)
            if match:
                date = _DATE.search(match.group(0))
                if date:
                    return "date", int("".join(date.groups()))
                numbers = _NUMBER.findall(match.group(0))
                return ("page", int(numbers[-1])) if numbers else None
        return None

    here = position(current)
    best: tuple[int, str] | None = None
    for url in links:
        if url == current or (found := position(url)) is None:
            continue
        kind, value = found
        if kind == "page" and value == (here[1] if here and here[0] == "page" else 1) + 1:
            return url
        if kind == "date" and (here is None or here[0] != "date" or value < here[1]) and (
                best is None or value > best[0]):
            best = (value, url)
    return best[1] if best else None


def resolve_link(page_url: str, href: str, domains: tuple[str, ...], *,
                 origin: str | None = None) -> str | None:
    """The canonical URL of a link found on `page_url`, or None when it is empty, a fragment of
    the page, unusable or off the site's `domains`. `origin` is `urljoin(page_url, "/")`, if the
    caller has it.

    A root-relative or absolute href resolves the same on every page of the site: keyed on the
    page's origin instead of its URL, the navigation, footer and most-read links of one page are
    cache hits on the next.

    >>> resolve_link("https://h.fr/a/b", " ../c?utm_source=x ", ("h.fr",))
    'https://h.fr/c'
    >>> resolve_link("https://h.fr/a/b", "#top", ("h.fr",)) is None
    True
    """
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    base = (origin or urljoin(page_url, "/")) if _base_independent(href) else page_url
    return _resolve(base, href, domains)


@functools.lru_cache(maxsize=65536)
def _resolve(base: str, href: str, domains: tuple[str, ...]) -> str | None:
    """The canonical URL of `href` on the page `base` if it is on the site's domains."""
    url = canonical_url(urljoin(base, href))
    return url if url is not None and on_domains(url, domains) else None


def _base_independent(href: str) -> bool:
    """True when `href` resolves the same against any page of an origin (scheme and host).

    >>> [_base_independent(h) for h in ("/a", "https://b.fr/a", "a", "//b.fr/a", "https://")]
    [True, True, False, False, False]
    """
    if href.startswith("/"):
        return not href.startswith("//")
    for scheme in ("https://", "http://"):
        if href.startswith(scheme):
            # with a host, only the reference counts; "http://" alone falls back on the page
            return len(href) > len(scheme) and href[len(scheme)] not in "/?#"
    return False
