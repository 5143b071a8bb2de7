"""Reading one fetched page: its article verdict and item, and the links the crawl follows.

`read_page` is a pure function of picklable values (`PageJob` in, `PageReading` out), so that
the same code runs in the crawl process or in a worker process beside it
(`crawler.reading.pool.ReadPool`, which decides where). The page is parsed once: the extraction
and the links read the same tree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from w3lib.encoding import html_to_unicode

from crawler.extract.article import article_item
from crawler.links.heuristics import guess_link
from crawler.links.kinds import Kind
from crawler.reading.charset import page_text
from crawler.reading.listing import ArticlePage, page_links, resolve_link
from crawler.reading.teasers import parse_listing_dates, teaser_dates


@dataclass(frozen=True, slots=True)
class PageJob:
    """A fetched HTML page and what to read from it.

    `encoding` is the response's (header, BOM or `<meta charset>`), `options` the `ArticlePage`
    keyword arguments (source, language, timezone, selectors, section). `article`: read the
    article verdict and item; `next_links`: the page's next-page candidates; `links`: its links
    on `domains` besides (an article at the crawl's last hop needs none: ~220 links a page to
    send), each with its canonical URL.
    """

    url: str
    body: bytes
    encoding: str
    fetched_at: dt.datetime
    options: Mapping[str, Any] = field(default_factory=dict)
    domains: tuple[str, ...] = ()
    article: bool = True
    next_links: bool = False
    links: bool = False


@dataclass(frozen=True, slots=True)
class PageReading:
    """What `read_page` found. `item` is set only for an article (`is_article`), its dates
    resolved (`crawler.extract.article.article_item`), and `date_errors` says which of its date
    strings were rejected and why; `reason` says why a page is none; `charset_problem` what was
    wrong with the declared charset; `links` the page's links on `domains`, each once, as (href,
    canonical URL, canonical URL of the href without its query when it has one: what `news` asks
    of a parameter copy)."""

    is_article: bool = False
    reason: str = ""
    item: dict[str, Any] | None = None
    charset_problem: str | None = None
    links: list[tuple[str, str, str | None]] = field(default_factory=list)
    next_hrefs: list[str] = field(default_factory=list)
    date_errors: dict[str, str] = field(default_factory=dict)
    # canonical URL of an article-looking link: its teaser's date (crawler.reading.teasers)
    link_dates: dict[str, dt.datetime] = field(default_factory=dict)


def page_of(job: PageJob) -> tuple[ArticlePage, str | None]:
    """The page object of a job (its tree parsed when first read), and what was wrong with the
    declared charset (None when nothing was)."""
    # the text exactly as Scrapy's TextResponse.text decodes it
    declared_text = html_to_unicode(f"charset={job.encoding}", job.body)[1]
    text, charset_problem = page_text(job.body, declared_text, job.encoding)
    return ArticlePage(job.url, text, fetched_at=job.fetched_at, **job.options), charset_problem


def read_page(job: PageJob) -> PageReading:
    page, charset_problem = page_of(job)
    is_article, reason, item = False, "", None
    date_errors: dict[str, str] = {}
    if job.article:
        is_article, reason = page.article_verdict()
        if is_article:
            item, date_errors = article_item(page)
    if not (job.links or job.next_links):
        return PageReading(is_article, reason, item, charset_problem, date_errors=date_errors)
    date_elements: list[Any] = []  # its time and microdata elements, for the teasers' dates
    hrefs, next_hrefs = page_links(page.tree, every_link=job.links,
                                   dates=date_elements if job.links else None)
    links: list[tuple[str, str, str | None]] = []
    if job.links:
        # resolved here rather than by the crawl: 8-10% of a `news` crawl process's busy time
        # (py-spy, bench/bench_traps.py --profile, 2,000 articles)
        origin = urljoin(job.url, "/")
        for href in hrefs:
            url = resolve_link(job.url, href, job.domains, origin=origin)
            if url is None:
                continue
            copy_of = None  # the link without its query: a parameter copy of which page?
            if "?" in href and (path := href.split("#", 1)[0].partition("?")[0]).strip():
                copy_of = resolve_link(job.url, path, job.domains, origin=origin)
            links.append((href, url, copy_of))
    return PageReading(is_article, reason, item, charset_problem, links=links,
                       next_hrefs=next_hrefs, date_errors=date_errors,
                       link_dates=_link_dates(job, date_elements) if job.links else {})


def _link_dates(job: PageJob, elements: list[Any]) -> dict[str, dt.datetime]:
    """The teaser dates of the page's article-looking links (by URL shape, as `news` guesses),
    in the site's zone. Only the links near a date are resolved and judged."""
    origin = urljoin(job.url, "/")
    judged: dict[str, str | None] = {}

    def article_url(href: str) -> str | None:
        if href not in judged:
            url = resolve_link(job.url, href, job.domains, origin=origin)
            judged[href] = url if url is not None and guess_link(url)[0] is Kind.ARTICLE else None
        return judged[href]

    raw = teaser_dates(elements, lambda href: article_url(href) is not None)
    by_url = {url: text for href, text in raw.items() if (url := article_url(href))}
    return parse_listing_dates(by_url, timezone=job.options.get("timezone"),
                               fetched_at=job.fetched_at)
