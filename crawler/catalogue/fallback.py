"""When a catalogue section's patterns stop fitting its pages: the `news` spider's heuristics.

Sites change their URL schemes without notice; an entry written for the old scheme then finds no
article link, and a run would end with nothing new. `assess_listing` compares, on one listing
page, what the entry's patterns take for articles with what the `news` spider's `guess_link`
takes for articles (a date, a numeric id, a long slug in the URL). When the patterns match none
of the page's links while the heuristics see articles, or reject most of what the heuristics see,
the section is crawled with the heuristics for the rest of the run (`SiteSpider`), still through
the same article verdict (`ArticlePage.article_verdict()`) and the entry's exclusions.
`propose_pattern` turns the links the heuristics found into a regular expression for the entry,
which `newscrawl check-sites` prints.

Pure functions, no Scrapy request or response; the heuristics themselves stay in
`crawler.spiders.news`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scrapy.utils.url import url_has_any_extension

from crawler.links.heuristics import SKIPPED_EXTENSIONS, guess_link
from crawler.links.kinds import Kind
from crawler.links.urls import classify_link, on_domains, path_and_query

if TYPE_CHECKING:
    from crawler.catalogue.sites import Site

# A listing page with fewer article-like links than this says too little to overrule the
# catalogue, unless the patterns match nothing at all on it.
MIN_ARTICLE_LIKE = 3
# "Most": above this share of the article-like links rejected by the patterns, the entry is
# taken to be out of date for the section. The fixture listings of all 22 entries reject 0 %.
MAX_REJECTED_SHARE = 0.5


@dataclass(frozen=True)
class ListingAssessment:
    """One listing page, judged by the catalogue patterns and by the heuristics."""

    matched: int  # links the entry's patterns take for articles
    article_like: list[str] = field(default_factory=list)  # links the heuristics take for articles
    accepted: int = 0  # of those, how many the patterns take for articles too

    @property
    def rejected_share(self) -> float:
        if not self.article_like:
            return 0.0
        return 1 - self.accepted / len(self.article_like)

    @property
    def fall_back(self) -> bool:
        """Crawl this section with the heuristics?

        >>> ListingAssessment(0, ["https://h/2024/01/02/a-b/"]).fall_back
        True
        >>> ListingAssessment(5, ["https://h/a-b-c-d"] * 4, accepted=1).fall_back
        True
        >>> ListingAssessment(5, ["https://h/a-b-c-d"] * 4, accepted=3).fall_back
        False
        >>> ListingAssessment(0, []).fall_back
        False
        """
        if not self.article_like:
            return False
        if self.matched == 0:
            return True
        return (len(self.article_like) >= MIN_ARTICLE_LIKE
                and self.rejected_share > MAX_REJECTED_SHARE)

    def describe(self, where: str) -> str:
        """
        >>> print(ListingAssessment(0, ["u"] * 24).describe("softonic_fr/actualites"))
        softonic_fr/actualites: catalogue patterns matched 0 of 24 article-like links; crawled with heuristics
        """
        return (f"{where}: catalogue patterns matched {self.accepted} of {len(self.article_like)} "
                "article-like links; crawled with heuristics")


def article_like_links(site: Site, urls: Iterable[str]) -> list[str]:
    """The canonical on-site links the `news` heuristics take for articles, minus the entry's
    exclusions (a download catalogue stays excluded whatever the layout), each once."""
    found: dict[str, None] = {}
    for url in urls:
        if url in found or not on_domains(url, site.domains):
            continue
        if url_has_any_extension(url, SKIPPED_EXTENSIONS):
            continue
        target = path_and_query(url)
        if any(p.search(target) for p in site.exclude_patterns):
            continue
        if guess_link(url)[0] is Kind.ARTICLE:
            found[url] = None
    return list(found)


def assess_listing(site: Site, urls: Sequence[str], matched: int) -> ListingAssessment:
    """Judge one listing page from its canonical links and the number of them the patterns took
    for articles."""
    like = article_like_links(site, urls)
    accepted = sum(1 for url in like if classify_link(
        url, article=site.article_patterns, section=site.section_patterns,
        exclude=site.exclude_patterns) is Kind.ARTICLE)
    return ListingAssessment(matched, like, accepted)


_DIGITS = re.compile(r"^\d+$")
_SLUG_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*[-_](?:[a-z])?\d{4,}(\.s?html?)?$", re.I)
_SLUG = re.compile(r"^[a-z0-9%]+(?:[-_][a-z0-9%]+)+(\.s?html?)?$", re.I)
_ID_SLUG = re.compile(r"^\d{3,}[-_][a-z0-9]+(?:[-_][a-z0-9]+)*(\.s?html?)?$", re.I)


def _token(segment: str) -> tuple[str, str]:
    """(kind, regex) of one path segment: digits, id-slug, slug-id, slug, or literal."""
    if _DIGITS.match(segment):
        return "digits", rf"\d{{{len(segment)}}}" if len(segment) in (2, 4) else r"\d+"
    for kind, shape, body in (("id-slug", _ID_SLUG, r"\d+[-_][\w-]+"),
                              ("slug-id", _SLUG_ID, r"[\w-]+\d{4,}"),
                              ("slug", _SLUG, r"[\w-]+")):
        match = shape.match(segment)
        if match:
            return kind, body + (re.escape(match.group(1)) if match.group(1) else "")
    return "literal", re.escape(segment)


def propose_pattern(urls: Sequence[str]) -> tuple[str, int] | None:
    """A regular expression (searched in path and query, as catalogue patterns are) for the most
    common shape among `urls`, and how many of them it matches; None without URLs.

    >>> propose_pattern(["https://h/news/2024/05/01/new-phone-out/",
    ...                  "https://h/news/2024/05/02/old-phone-in/", "https://h/about-us-team"])
    ('^/news/\\\\d{4}/\\\\d{2}/\\\\d{2}/[\\\\w-]+/$', 2)
    >>> propose_pattern(["https://h/tech/a-b-c-123456.html", "https://h/jeux/d-e-f-654321.html"])
    ('^/[a-z0-9-]+/[\\\\w-]+\\\\d{4,}\\\\.html$', 2)
    """
    if not urls:
        return None
    shapes: dict[tuple[str, ...], list[list[str]]] = {}
    for url in urls:
        path = path_and_query(url).split("?", 1)[0]
        segments = [s for s in path.split("/") if s]
        tokens = [_token(s) for s in segments]
        # literal segments (sections, categories) may vary: group on kinds, merge literals below
        key = (*(kind if kind != "literal" else "literal" for kind, _ in tokens),
               "/" if path.endswith("/") else "")
        shapes.setdefault(key, []).append([regex for _, regex in tokens])
    key, members = max(shapes.items(), key=lambda item: len(item[1]))
    parts = []
    for position, kind in enumerate(key[:-1]):
        values = Counter(member[position] for member in members)
        if kind == "literal" and len(values) > 1:
            parts.append("[a-z0-9-]+")
        else:
            parts.append(values.most_common(1)[0][0])
    pattern = "^/" + "/".join(parts) + key[-1] + "$"
    compiled = re.compile(pattern)
    matches = sum(1 for url in urls if compiled.search(path_and_query(url).split("?", 1)[0]))
    return pattern, matches
