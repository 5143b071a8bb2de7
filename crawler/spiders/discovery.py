"""Feeds and sitemaps as article sources, mixed into `SiteSpider` and `NewsSpider`.

    scrapy crawl numerama -a sources=feeds,sitemaps -a since=2023-11-01 -a until=2023-11-30

`sources` chooses among sections, feeds and sitemaps (default: every kind the catalogue entry
lists); `since` / `until` bound a back-fill. Feed items and sitemap URLs become article requests
after four checks made before any download: on the site, shaped like an article (the host
spider's `discovery_accepts`), inside the date window when the listing gives a date, and not
already scheduled in this run (`_scheduled_articles` is the run's seen-set, shared with section
listings). Articles found without a date are windowed after extraction by
`crawler.pipelines.window.DateWindowPipeline`.

Every request carries the date at which its source says the article last changed
(`listing_lastmod`: a sitemap's lastmod, a feed entry's updated else published date). A link
already scheduled by another source is yielded again (`repeated`) when it carries such a date:
the incremental middleware, which may have dropped the first request as stored and unchanged,
then sees that this source says it changed after our last fetch (issue 23: a section page
scheduled the five edited articles first, and their sitemap lastmods were never looked at).

Sitemap indexes are followed newest first, at most DISCOVERY_MAX_SITEMAPS children each and
DISCOVERY_MAX_SITEMAP_DEPTH levels deep; children last modified before `since`, and those named
like taxonomy sitemaps (category-, tag-, author-, page-sitemap), are not downloaded.

Stats: discovery/feeds, discovery/feed_entries, discovery/feeds_found_on_home,
discovery/robots_sitemaps, discovery/sitemaps, discovery/sitemap_entries,
discovery/sitemaps_skipped/{old,not_articles,limit,depth}, discovery/scheduled/{feed,sitemap},
discovery/rejected/{offsite,not_article_url,repeated}, discovery/max_articles_reached,
discovery/not_a_feed, discovery/not_a_sitemap, window/skipped_before_download.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import scrapy

from crawler.dates.window import DateWindow
from crawler.errors import SourcesArgumentError, WindowArgumentError
from crawler.links.kinds import Kind
from crawler.links.urls import canonical_url, classify_link, on_domains, path_and_query
from crawler.sources.feeds import discover_feeds, parse_feed
from crawler.sources.sitemaps import SitemapKind, parse_sitemap, robots_sitemaps
from crawler.spiders.requests import make_request

if TYPE_CHECKING:
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

    from crawler.catalogue.sites import Site

logger = logging.getLogger(__name__)

SOURCE_KINDS = ("sections", "feeds", "sitemaps")
# Yoast / Rank Math / WordPress core child sitemaps that list taxonomy or static pages
_NON_ARTICLE_SITEMAP_RE = re.compile(
    r"(?:^|[/_-])(?:category|categories|post_tag|tags?|authors?|users?|pages?|attachment|"
    r"product|products|taxonomies|videos?|images?)(?:-sitemap|-\d|[/_.-]|$)",
    re.IGNORECASE,
)


def parse_sources(requested: Any, *, available: Iterable[str], default: Iterable[str],
                  spider: str = "spider") -> frozenset[str]:
    """The sources to run from a loose `-a sources=` value (split, strip, lower-case, `all`).

    >>> sorted(parse_sources(" Feeds, sitemaps ,", available=SOURCE_KINDS, default=["sections"]))
    ['feeds', 'sitemaps']
    >>> sorted(parse_sources(None, available=SOURCE_KINDS, default=["sections"]))
    ['sections']
    >>> sorted(parse_sources("all", available=["sections", "feeds"], default=["sections"]))
    ['feeds', 'sections']
    """
    available = frozenset(available)
    if requested is None or not str(requested).strip():
        return frozenset(default)
    names = {n.strip().lower() for n in str(requested).split(",") if n.strip()}
    if "all" in names:
        return available
    unknown = names - available
    if unknown:
        logger.warning("%s: ignoring source(s) %s; this site has: %s", spider,
                       ", ".join(sorted(unknown)), ", ".join(sorted(available)))
    chosen = names & available
    if not chosen:
        raise SourcesArgumentError(f"-a sources={requested!r}: no usable source; choose from "
                                   f"{', '.join(sorted(available))} or all")
    return frozenset(chosen)


def sitemap_may_list_articles(url: str) -> bool:
    """False for child sitemaps named like taxonomy or static-page sitemaps.

    >>> sitemap_may_list_articles("https://h/post-sitemap3.xml")
    True
    >>> sitemap_may_list_articles("https://h/category-sitemap.xml")
    False
    >>> sitemap_may_list_articles("https://h/wp-sitemap-taxonomies-post_tag-1.xml")
    False
    """
    return not _NON_ARTICLE_SITEMAP_RE.search(url.rsplit("/", 1)[-1].split("?")[0]) and \
        "/sitemaps/authors" not in url


class DiscoveryMixin:
    """Feed and sitemap crawling for a spider that has `_scheduled_articles` and
    `parse_article`. The host may override the `discovery_*` hooks; the defaults read the
    catalogue entry in `self.site`."""

    crawler: Any
    name: str
    site: ClassVar[Site]  # catalogue spiders; NewsSpider overrides the hooks that read it
    _scheduled_articles: set[str]

    def __init__(self, *args: Any, sources: Any = None, since: Any = None, until: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        try:
            self.date_window = DateWindow.from_args(since, until)
        except WindowArgumentError as exc:
            raise SourcesArgumentError(str(exc)) from None
        self.sources = parse_sources(sources, available=self.discovery_available_sources(),
                                     default=self.discovery_default_sources(),
                                     spider=getattr(self, "name", "spider"))

    # ------------------------------------------------------------------ hooks (catalogue)

    def discovery_available_sources(self) -> frozenset[str]:
        return self.site.listed_sources

    def discovery_default_sources(self) -> frozenset[str]:
        return self.site.sources

    def discovery_domains(self) -> tuple[str, ...]:
        return self.site.domains

    def discovery_feeds(self) -> tuple[str, ...]:
        return self.site.feeds

    def discovery_sitemaps(self) -> tuple[str, ...]:
        return self.site.sitemaps

    def discovery_home(self) -> str | None:
        """The page whose `<link rel="alternate">` feeds are followed, or None."""
        site = self.site
        return site.home if site.discover_feeds else None

    def discovery_max_articles(self) -> int:
        return self.site.max_articles

    def discovery_accepts(self, url: str, *, trusted: bool) -> bool:
        """Is this listed URL worth downloading as an article? `trusted` listings (feed items,
        Google News sitemap entries) only have to avoid the exclude patterns; plain sitemap
        URLs must match an article pattern."""
        site = self.site
        kind = classify_link(url, article=site.article_patterns, section=site.section_patterns,
                             exclude=site.exclude_patterns)
        if kind is Kind.ARTICLE:
            return True
        # OTHER is both "excluded" and "matched no pattern": tell them apart, searching the
        # patterns where classify_link does (path and query).
        return trusted and kind is Kind.IGNORED and not any(
            p.search(path_and_query(url)) for p in site.exclude_patterns)

    def discovery_article_request(self, url: str, **meta: Any) -> scrapy.Request:
        callback = self.parse_article  # type: ignore[attr-defined]  # the host spider's
        return make_request(Kind.ARTICLE, url, callback, section=None, **meta)

    # ------------------------------------------------------------------ requests

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        """The first feed and sitemap requests of a run, as `self.sources` allows."""
        stats = self._stats
        if "feeds" in self.sources:
            for url in self.discovery_feeds():
                stats.inc_value("discovery/feeds")
                yield make_request(Kind.FEED, url, self.parse_feed, section=None)
            home = self.discovery_home()
            if home:  # may also be a section page: fetched again, for its <head>
                yield make_request(Kind.FEED, home, self.parse_home_feeds, section=None,
                                   dont_filter=True, feed_home=True)
        if "sitemaps" in self.sources:
            for url in self.discovery_sitemaps():
                yield self._sitemap_request(url, depth=0)

    def discovery_feed_request(self, url: str) -> scrapy.Request | None:
        """A feed found in an earlier run (crawler.middlewares.incremental asks at start): read
        every run, even when the page that declares it answers 304 and is not read."""
        if "feeds" not in self.sources or not on_domains(url, self.discovery_domains()):
            return None
        self._stats.inc_value("discovery/feeds_known")
        return make_request(Kind.FEED, url, self.parse_feed, section=None)

    def _sitemap_request(self, url: str, *, depth: int) -> scrapy.Request:
        if url.rstrip("/").endswith("/robots.txt"):
            return make_request(Kind.SITEMAP, url, self.parse_robots, section=None)
        self._stats.inc_value("discovery/sitemaps")
        return make_request(Kind.SITEMAP, url, self.parse_sitemap, section=None,
                            sitemap_depth=depth)

    # ------------------------------------------------------------------ callbacks

    def parse_home_feeds(self, response: Response) -> Iterator[scrapy.Request]:
        if not hasattr(response, "text"):
            return
        found = [url for url in discover_feeds(response.text, response.url)
                 if on_domains(url, self.discovery_domains())]
        self._stats.inc_value("discovery/feeds_found_on_home", len(found))
        logger.debug("%s: feeds declared by %s: %s", self.name, response.url, found or "none")
        for url in found:
            self._stats.inc_value("discovery/feeds")
            yield make_request(Kind.FEED, url, self.parse_feed, section=None)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        entries = parse_feed(response.body, response.url)
        if not entries:
            self._stats.inc_value("discovery/not_a_feed")
            logger.warning("%s: %s gave no feed entry (not RSS/Atom, or empty)", self.name,
                           response.url)
            return
        self._stats.inc_value("discovery/feed_entries", len(entries))
        for entry in entries:
            yield from self._discovered(entry.url, entry.published, via="feed", trusted=True,
                                        listing_lastmod=entry.updated or entry.published)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        text = response.body.decode("utf-8", errors="replace")
        sitemaps = [url for url in robots_sitemaps(text, response.url)
                    if on_domains(url, self.discovery_domains())]
        self._stats.inc_value("discovery/robots_sitemaps", len(sitemaps))
        if not sitemaps:
            logger.info("%s: %s names no sitemap on the site", self.name, response.url)
        for url in sitemaps:
            yield self._sitemap_request(url, depth=0)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        stats = self._stats
        sitemap = parse_sitemap(response.body, response.url)
        if sitemap.kind is SitemapKind.UNKNOWN:
            stats.inc_value("discovery/not_a_sitemap")
            logger.warning("%s: %s is not a sitemap", self.name, response.url)
            return
        if sitemap.kind is SitemapKind.INDEX:
            yield from self._follow_index(response, sitemap.entries)
            return
        stats.inc_value("discovery/sitemap_entries", len(sitemap.entries))
        newest_first = sorted(sitemap.entries, key=lambda e: e.date or _EPOCH, reverse=True)
        for entry in newest_first:
            yield from self._discovered(entry.url, entry.date, via="sitemap", trusted=entry.news,
                                        listing_lastmod=entry.lastmod)

    def _follow_index(self, response: Response, children: list[Any]) -> Iterator[scrapy.Request]:
        stats = self._stats
        depth = int(response.meta.get("sitemap_depth", 0)) + 1
        settings = self.crawler.settings
        if depth > settings.getint("DISCOVERY_MAX_SITEMAP_DEPTH"):
            stats.inc_value("discovery/sitemaps_skipped/depth", len(children))
            return
        limit = settings.getint("DISCOVERY_MAX_SITEMAPS")
        followed = 0
        for child in sorted(children, key=lambda e: e.lastmod or _EPOCH, reverse=True):
            if not on_domains(child.url, self.discovery_domains()):
                continue
            if not sitemap_may_list_articles(child.url):
                stats.inc_value("discovery/sitemaps_skipped/not_articles")
                logger.debug("%s: skipped sitemap %s (named like a taxonomy sitemap)",
                             self.name, child.url)
                continue
            if not self.date_window.may_hold_newer(child.lastmod):
                stats.inc_value("discovery/sitemaps_skipped/old")
                logger.debug("%s: skipped sitemap %s (last modified %s, before the window)",
                             self.name, child.url, child.lastmod)
                continue
            if followed >= limit:
                stats.inc_value("discovery/sitemaps_skipped/limit")
                continue
            followed += 1
            yield self._sitemap_request(child.url, depth=depth)

    # ------------------------------------------------------------------ the four checks

    def _discovered(self, url: str, date: dt.datetime | None, *, via: str, trusted: bool,
                    **meta: Any) -> Iterator[scrapy.Request]:
        stats = self._stats
        canonical = canonical_url(url)
        if canonical is None or not on_domains(canonical, self.discovery_domains()):
            stats.inc_value("discovery/rejected/offsite")
            return
        if not self.discovery_accepts(canonical, trusted=trusted):
            stats.inc_value("discovery/rejected/not_article_url")
            logger.debug("%s: %s entry is not an article URL: %s", self.name, via, canonical)
            return
        if not self.date_window.contains(date):
            stats.inc_value("window/skipped_before_download")
            logger.debug("%s: %s entry dated %s is outside %s: %s", self.name, via,
                         date.isoformat() if date else "?", self.date_window.describe(), canonical)
            return
        if canonical in self._scheduled_articles:
            if meta.get("listing_lastmod") is None:
                stats.inc_value("discovery/rejected/repeated")
                return
            # scheduled by another source, maybe dropped there as unchanged: this one's date
            # may say otherwise (the incremental middleware lets a URL through once at most)
            stats.inc_value("discovery/repeated_with_date")
            yield self.discovery_article_request(canonical, via=via, listing_date=date,
                                                 repeated=True, **meta)
            return
        if len(self._scheduled_articles) >= self.discovery_max_articles():
            stats.inc_value("discovery/max_articles_reached")
            return
        self._scheduled_articles.add(canonical)
        stats.inc_value(f"discovery/scheduled/{via}")
        yield self.discovery_article_request(canonical, via=via, listing_date=date, **meta)

    @property
    def _stats(self) -> StatsCollector:
        stats = self.crawler.stats
        assert stats is not None
        return stats


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
