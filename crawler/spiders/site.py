"""The spider of a catalogue site: sections -> next pages -> articles.

One class serves every site; `crawler.spiders.loader` binds it to a catalogue entry. Callbacks only
route: listing pages are read by `SectionPage`, articles by `ArticlePage`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import scrapy
from scrapy.http import TextResponse

from crawler.catalogue.fallback import article_like_links, assess_listing
from crawler.dates.window import DateWindow
from crawler.errors import SpiderArgumentError
from crawler.items import ArticleItem
from crawler.links.kinds import Kind
from crawler.links.urls import canonical_url, on_domains
from crawler.reading.listing import ListingLinks, SectionPage, next_page_links
from crawler.reading.responses import read_article
from crawler.reading.teasers import parse_listing_dates
from crawler.spiders.arguments import parse_flag_argument, parse_positive_int
from crawler.spiders.discovery import DiscoveryMixin
from crawler.spiders.requests import make_request

if TYPE_CHECKING:
    from scrapy.http import Response

    from crawler.catalogue.sites import Site

logger = logging.getLogger(__name__)


class SiteSpider(DiscoveryMixin, scrapy.Spider):
    """Crawls one catalogue site. Arguments: max_pages=N, sections=a,b, full=1; and, through
    `DiscoveryMixin`, sources=sections,feeds,sitemaps, since=YYYY-MM-DD, until=YYYY-MM-DD."""

    site: ClassVar[Site]

    def __init__(self, *args: Any, max_pages: Any = None, sections: Any = None,
                 full: Any = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_pages = (parse_positive_int("max_pages", max_pages) if max_pages is not None
                          else self.site.max_pages)
        self.sections = self._select_sections(sections)
        self.full = parse_flag_argument("full", full)
        self._scheduled_articles: set[str] = set()
        # sections crawled with the `news` heuristics this run (see _section_links)
        self._fallback_sections: dict[str, Any] = {}
        # A catalogue entry's max_age_days is the window of every run that names no `since`:
        # older articles are skipped before download where a feed or sitemap dates them, and
        # dropped (and remembered as too old) after extraction otherwise. `-a full=1` lifts it.
        self.window_from_max_age = bool(self.site.max_age_days and not self.date_window.since
                                        and not self.full)
        if self.window_from_max_age:
            assert self.site.max_age_days is not None
            since = dt.datetime.now(dt.UTC) - dt.timedelta(days=self.site.max_age_days)
            self.date_window = DateWindow(since=since, until=self.date_window.until)

    def _select_sections(self, requested: Any) -> dict[str, str]:
        if requested is None:
            return dict(self.site.sections)
        if not str(requested).strip():  # `-a sections=$EMPTY`: not "every section"
            raise SpiderArgumentError(
                f"-a sections={requested!r}: name at least one section (or leave the argument "
                f"out for all); choose from {', '.join(self.site.sections)}")
        names = [n.strip() for n in str(requested).split(",") if n.strip()]
        unknown = [n for n in names if n not in self.site.sections]
        if unknown:
            logger.warning("%s: ignoring unknown section(s) %s; known: %s", self.name,
                           ", ".join(unknown), ", ".join(self.site.sections))
        chosen = {n: self.site.sections[n] for n in names if n in self.site.sections}
        if not chosen:
            raise SpiderArgumentError(
                f"-a sections={requested!r}: no known section; choose from "
                f"{', '.join(self.site.sections)}"
            )
        return chosen

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # --- discovery (crawler/spiders/discovery.py): feeds and sitemaps, as -a sources allows
        for request in self.discovery_requests():
            yield request
        if "sections" not in self.sources:
            return
        # --- end of discovery
        for section, url in self.sections.items():
            yield make_request(Kind.LISTING, url, self.parse_listing, section=section, page=1)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        section, page = response.meta["section"], response.meta["page"]
        stats = self.crawler.stats
        assert stats is not None
        if not isinstance(response, TextResponse):
            stats.inc_value("listing/not_html")
            logger.warning("%s: listing page %s is not HTML", self.name, response.url)
            return
        links = SectionPage(response.url, response.selector, self.site).links()
        stats.inc_value("listing/pages")
        stats.inc_value("listing/article_links", len(links.articles))
        if page == 1:  # a section's first page: the run record compares it with the last run
            stats.inc_value(f"listing/section_links/{section}", len(links.articles))
        article_urls, next_page = self._section_links(response, section, page, links)
        # a teaser's date: the listing says when the article last changed (issue 23)
        dates = parse_listing_dates(links.dates, timezone=self.site.timezone,
                                    fetched_at=dt.datetime.now(dt.UTC))
        stats.inc_value("listing/dated_links", len(dates))
        if not links.articles:
            stats.inc_value("listing/empty")
            if section not in self._fallback_sections:  # else warned once, with figures
                logger.warning("%s: listing page %s (section %s, page %d) has no article link",
                               self.name, response.url, section, page)
        for url in article_urls:
            if url in self._scheduled_articles:
                stats.inc_value("listing/repeated_links")
                continue
            if len(self._scheduled_articles) >= self.site.max_articles:
                stats.inc_value("listing/max_articles_reached")
                break
            self._scheduled_articles.add(url)
            yield make_request(Kind.ARTICLE, url, self.parse_article, section=section,
                               fallback=section in self._fallback_sections,
                               listing_lastmod=dates.get(url))
        if next_page and page < self.max_pages:
            yield make_request(Kind.LISTING, next_page, self.parse_listing,
                               section=section, page=page + 1)

    # --- layout fallback (crawler/catalogue/fallback.py): a section whose patterns no longer fit its pages
    def _section_links(self, response: Response, section: str, page: int,
                       links: ListingLinks) -> tuple[list[str], str | None]:
        """The article links and the next page to follow on a listing page: the entry's, or, for a
        section whose patterns no longer fit (judged on its first page, kept for the run), also
        those the `news` spider's heuristics take for articles and for the next page."""

        judge = page == 1 and section not in self._fallback_sections
        if not judge and section not in self._fallback_sections:
            return links.articles, links.next_page
        stats = self.crawler.stats
        assert stats is not None
        page_links = [url for href in response.xpath("//a/@href").getall()
                      if (url := canonical_url(response.urljoin(href.strip())))]
        if judge:
            assessment = assess_listing(self.site, page_links, len(links.articles))
            if assessment.fall_back:
                self._fallback_sections[section] = assessment
                logger.warning("%s", assessment.describe(f"{self.name}/{section}"))
                stats.inc_value("fallback/sections")
                stats.set_value(f"fallback/{section}/matched", assessment.accepted)
                stats.set_value(f"fallback/{section}/article_like", len(assessment.article_like))
        if section not in self._fallback_sections:
            return links.articles, links.next_page
        found = article_like_links(self.site, page_links)
        stats.inc_value(f"fallback/{section}/links", len(found))
        next_page = links.next_page
        if next_page is None:
            current = canonical_url(response.url)
            root = response.selector.root if isinstance(response, TextResponse) else None
            next_page = next((url for href in next_page_links(root)
                              if (url := canonical_url(response.urljoin(href)))
                              and url != current and on_domains(url, self.site.domains)), None)
        return list(dict.fromkeys([*links.articles, *found])), next_page
    # --- end of layout fallback

    async def parse_article(self, response: Response) -> list[ArticleItem]:
        # returns, not yields: a coroutine's list goes through the spider middlewares as it is
        item = await read_article(response, self.crawler, section=response.meta.get("section"),
                                  source=self.name, language=self.site.language,
                                  timezone=self.site.timezone, selectors=self.site.selectors)
        if item is None:
            return []
        if response.meta.get("fallback"):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(f"fallback/{response.meta['section']}/articles")
        return [item]


