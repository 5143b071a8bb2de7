"""`news`: crawl a site that has no catalogue entry, from one start URL.

    scrapy crawl news -a url=https://example.com/tech/ [-a max_pages=200] [-a max_depth=3]
                      [-a sources=sections,feeds,sitemaps] [-a since=2023-11-01 -a until=...]

Three sources, as for a catalogue entry (`DiscoveryMixin`): the feeds the start and home pages
declare, the sitemaps robots.txt names, and the site's own links. Links are sorted by URL shape
(`guess_link`): article-like URLs (a date, a numeric id, a long slug) are downloaded as
articles; listing-like URLs (sections, tags, authors, archives) are followed for their links,
next pages without costing depth; static, account and search pages are skipped. A page is stored
only when its own markup says article (`ArticlePage.article_verdict()`: structured data,
OpenGraph type, or a dated <article> with enough text) and its URL is not a listing's. Every guess
is logged at DEBUG with its reason and counted under `news/guess/...`; the crawl stays on the start
URL's site and within max_pages downloads and max_depth hops. A link to a page already scheduled
that carries only parameters known to be noise (`crawler.links.params`: learnt, fixed list, catalogue)
is dropped before it is judged (`news/learnt_copies_skipped`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import TextResponse
from scrapy.utils.url import url_has_any_extension

from crawler.catalogue.sites import catalogue_files, load_catalogue
from crawler.errors import CatalogueError, SpiderArgumentError
from crawler.items import ArticleItem
from crawler.links.heuristics import SKIPPED_EXTENSIONS, guess_link
from crawler.links.kinds import Kind
from crawler.links.params import host_key
from crawler.links.urls import canonical_url, host_of, on_domains
from crawler.reading.listing import resolve_link
from crawler.reading.pool import ReadPool
from crawler.reading.responses import article_from, page_job
from crawler.sources.feeds import discover_feeds
from crawler.spiders.arguments import parse_positive_int
from crawler.spiders.discovery import SOURCE_KINDS, DiscoveryMixin
from crawler.spiders.requests import make_request

if TYPE_CHECKING:
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

    from crawler.catalogue.sites import Site
    from crawler.links.params import ParamLearner
    from crawler.reading.reader import PageReading

logger = logging.getLogger(__name__)


def catalogue_sites_of(host: str, settings: BaseSettings) -> tuple[Site, ...]:
    """The catalogue entries (SITES_FILE over the built-in one) that list `host` among their
    domains, `www.` aside: their keep_params / drop_params apply to a `news` crawl of the host
    as to their own spider (crawler.middlewares.paramfilter)."""
    key = host.lower().removeprefix("www.")
    try:
        catalogue = load_catalogue(catalogue_files(settings))
    except CatalogueError:  # refused with its message when the spiders were loaded
        return ()
    return tuple(site for site in catalogue.values()
                 if key in {d.lower().removeprefix("www.") for d in site.domains})


class NewsSpider(DiscoveryMixin, scrapy.Spider):
    name = "news"
    # catalogue entries of the crawled host, for their URL-parameter overrides (from_crawler)
    catalogue_sites: tuple[Site, ...] = ()
    # the crawl's URL-parameter learner, set by crawler.middlewares.paramfilter when it is enabled
    param_learner: ParamLearner | None = None

    def __init__(self, *args: Any, url: str | None = None, max_pages: Any = None,
                 max_depth: Any = None, **kwargs: Any) -> None:
        start = canonical_url(url or "")
        if not start:
            raise SpiderArgumentError(
                f"-a url={url!r}: expected an http(s):// start page" if url
                else "the news spider needs -a url=http(s)://... (a start page)")
        self.start_url = start
        host = host_of(start)
        self.domains = [host.removeprefix("www.")]
        self._domains = tuple(self.domains)
        self.allowed_domains = list(self.domains)
        super().__init__(*args, **kwargs)
        self.max_pages = parse_positive_int("max_pages", max_pages) if max_pages else None
        self.max_depth = parse_positive_int("max_depth", max_depth) if max_depth else None
        self._scheduled: set[str] = {start}
        self._scheduled_articles: set[str] = set()
        self.home_url = urljoin(start, "/")

    @property
    def source_key(self) -> str:
        """The `source` of the stored articles, and the key of the run records (crawler.extensions.runs)."""
        return self.domains[0]

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_pages = spider.max_pages or crawler.settings.getint("NEWS_MAX_PAGES")
        spider.max_depth = spider.max_depth or crawler.settings.getint("NEWS_MAX_DEPTH")
        spider.catalogue_sites = catalogue_sites_of(spider.domains[0], crawler.settings)
        return spider

    # ------------------------------------------------------------------ discovery hooks

    def discovery_available_sources(self) -> frozenset[str]:
        return frozenset(SOURCE_KINDS)

    def discovery_default_sources(self) -> frozenset[str]:
        return frozenset(SOURCE_KINDS)

    def discovery_domains(self) -> tuple[str, ...]:
        return tuple(self.domains)

    def discovery_feeds(self) -> tuple[str, ...]:
        return ()

    def discovery_sitemaps(self) -> tuple[str, ...]:
        return (urljoin(self.start_url, "/robots.txt"),)

    def discovery_home(self) -> str | None:
        # the start page's own feeds are read in parse_page
        return self.home_url if self.home_url != self.start_url else None

    def discovery_max_articles(self) -> int:
        return self.max_pages or 0

    def discovery_accepts(self, url: str, *, trusted: bool) -> bool:
        guess, reason = guess_link(url)
        self._count_guess(url, guess, reason, via="listed")
        return guess is Kind.ARTICLE or (trusted and guess is not Kind.IGNORED)

    def discovery_article_request(self, url: str, **meta: Any) -> scrapy.Request:
        self._scheduled.add(url)
        return make_request(Kind.ARTICLE, url, self.parse_page, section=None, depth_left=0, **meta)

    # ------------------------------------------------------------------ crawl

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.discovery_requests():
            yield request
        yield make_request(Kind.PAGE, self.start_url, self.parse_page, section=None,
                           depth_left=self.max_depth, start_page=True)

    async def parse_page(self, response: Response) -> list[ArticleItem | scrapy.Request]:
        # returns, not yields: a coroutine's list goes through the spider middlewares as it is
        stats = self.crawler.stats
        assert stats is not None
        if not isinstance(response, TextResponse):
            stats.inc_value("news/not_html")
            return []
        output: list[ArticleItem | scrapy.Request] = []
        if response.meta.get("start_page") and "feeds" in self.sources:
            for feed in discover_feeds(response.text, response.url):
                if on_domains(feed, self.domains):
                    stats.inc_value("discovery/feeds")
                    output.append(make_request(Kind.FEED, feed, self.parse_feed, section=None))
        guess, reason = guess_link(response.url)
        is_listing_url = guess is not Kind.ARTICLE and reason != "short path"
        store = not is_listing_url or bool(response.meta.get("start_page"))
        follow = "sections" in self.sources
        # One reading per page: the extraction and the links come from the same tree. A listing
        # goes before the articles queued for the workers: the crawl waits for its links (read
        # in turn, they came late and the downloader ran dry: 29% of the crawl idle).
        is_article_page = Kind.of(response) is Kind.ARTICLE
        last_hop = is_article_page and not int(response.meta.get("depth_left") or 0)
        reading = await ReadPool.of(self.crawler).read(
            page_job(response, article=store, next_links=follow, links=follow and not last_hop,
                     domains=self._domains, source=self.source_key, section=None),
            urgent=not is_article_page)
        if not store:
            stats.inc_value("news/guess/not_stored_listing_url")
            logger.debug("not stored (%s URL): %s", reason, response.url)
        elif (item := article_from(response, self.crawler, reading)) is not None:
            stats.inc_value("news/articles")
            output.append(item)
            if guess is not Kind.ARTICLE:
                stats.inc_value("news/guess/article_at_unexpected_url")
        if follow:
            output.extend(self._follow(response, reading))
        return output

    def _follow(self, response: Response, reading: PageReading) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        assert stats is not None
        depth_left = int(response.meta.get("depth_left") or 0)
        page_is_article = Kind.of(response) is Kind.ARTICLE
        origin = urljoin(response.url, "/")
        for href in reading.next_hrefs:
            url = self._candidate(response.url, href, origin,
                                  resolve_link(response.url, href, self._domains, origin=origin))
            if url and self._budget_left():
                stats.inc_value("news/guess/next_page")
                logger.debug("next page (link marked next): %s", url)
                self._scheduled.add(url)
                yield make_request(Kind.LISTING, url, self.parse_page, section=None,
                                   depth_left=depth_left)
        if page_is_article and depth_left == 0:
            return  # an article at the last hop: none of its links could be followed
        for href, resolved, page in reading.links:  # resolved by the page's reader
            url = self._candidate(response.url, href, origin, resolved, page)
            if url is None:
                continue
            guess, reason = guess_link(url)
            self._count_guess(url, guess, reason, via="link")
            if guess is Kind.IGNORED:
                continue
            if not self._budget_left():
                stats.inc_value("news/max_pages_reached")
                return
            if guess is Kind.ARTICLE and (not page_is_article or depth_left > 0):
                self._scheduled.add(url)
                self._scheduled_articles.add(url)
                date = reading.link_dates.get(url)  # its teaser's date (issue 23)
                yield make_request(Kind.ARTICLE, url, self.parse_page, section=None,
                                   depth_left=max(depth_left - 1, 0),
                                   listing_lastmod=date)
            elif guess is Kind.LISTING and depth_left > 0:
                self._scheduled.add(url)
                yield make_request(Kind.PAGE, url, self.parse_page, section=None,
                                   depth_left=depth_left - 1)

    def _candidate(self, page_url: str, href: str, origin: str, url: str | None,
                   page: str | None = None) -> str | None:
        """`url` (the link's canonical URL, None when unusable or off the site) if the link is
        worth judging: not a learnt copy, not scheduled, not a file. `page`: the canonical URL
        of the link without its query, when the page's reader resolved it."""
        if self.param_learner is not None and "?" in href and self._learnt_copy(
                page_url, href, origin, page):
            return None
        if (url is None or url in self._scheduled or url in self._scheduled_articles
                or url_has_any_extension(url, SKIPPED_EXTENSIONS)):
            return None
        return url

    def _learnt_copy(self, page_url: str, href: str, origin: str,
                     page: str | None = None) -> bool:
        """A link to a page already scheduled, with only parameters known to be noise (learnt,
        fixed list or catalogue): a comment reply, a share button. Told from the href's path
        and parameter names, before its unique URL is canonicalised and sent as a request for
        crawler.middlewares.paramfilter to clean and the dupefilter to drop (those were 10% of the news
        spider's busy time on the 2,000-article bench trap site: py-spy,
        bench/bench_traps.py --profile)."""
        assert self.param_learner is not None
        path, _, query = href.split("#", 1)[0].partition("?")
        if page is None and path.strip():
            page = resolve_link(page_url, path, self._domains, origin=origin)
        if page is None or (page not in self._scheduled and page not in self._scheduled_articles):
            return False
        if not self.param_learner.only_irrelevant(host_key(page), query):
            return False
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("news/learnt_copies_skipped")
        return True

    def _budget_left(self) -> bool:
        return len(self._scheduled) < (self.max_pages or 0)

    def _count_guess(self, url: str, guess: Kind, reason: str, *, via: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        # `news/guess/skip`: the stats key from before the one vocabulary (Kind.IGNORED), kept
        stats.inc_value(f"news/guess/{'skip' if guess is Kind.IGNORED else guess.value}")
        logger.debug("%s link guessed %s (%s): %s", via, guess.value, reason, url)
