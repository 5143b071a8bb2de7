"""`news`: crawl a site that has no catalogue entry, from one start URL.

    scrapy crawl news -a url=https://example.com/tech/ [-a max_pages=200] [-a max_depth=3]

It follows same-site links breadth-first within a depth and page bound, and stores every page
whose own markup says it is an article (the same `ArticlePage` verdict as catalogue sites).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import scrapy

from crawler.items import ArticleItem
from crawler.spiders.requests import Kind, make_request
from crawler.spiders.site import SpiderArgumentError, article_item, parse_positive_int
from crawler.urls import canonical_url, host_of, on_domains

if TYPE_CHECKING:
    from scrapy.http import Response

logger = logging.getLogger(__name__)

# Links that never lead to an article worth a download.
_SKIPPED_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".zip", ".mp4",
                     ".mp3", ".css", ".js", ".xml", ".rss", ".json", ".ico")


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, *args: Any, url: str | None = None, max_pages: Any = None,
                 max_depth: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        start = canonical_url(url or "")
        if not start:
            raise SpiderArgumentError("the news spider needs -a url=http(s)://... (a start page)")
        self.start_url = start
        host = host_of(start)
        self.domains = [host.removeprefix("www.")]
        self.allowed_domains = list(self.domains)
        self.max_pages = parse_positive_int("max_pages", max_pages) if max_pages else None
        self.max_depth = parse_positive_int("max_depth", max_depth) if max_depth else None
        self._scheduled: set[str] = {start}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_pages = spider.max_pages or crawler.settings.getint("NEWS_MAX_PAGES")
        spider.max_depth = spider.max_depth or crawler.settings.getint("NEWS_MAX_DEPTH")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield make_request(Kind.PAGE, self.start_url, self.parse_page, section=None,
                           depth_left=self.max_depth)

    def parse_page(self, response: Response) -> Iterator[ArticleItem | scrapy.Request]:
        if not hasattr(response, "text"):
            return
        assert self.crawler.stats is not None
        item = article_item(response, self.crawler.stats, source=self.domains[0], section=None)
        if item is not None:
            yield item
        depth_left = response.meta.get("depth_left", 0)
        if depth_left <= 0:
            return
        for href in response.xpath("//a/@href").getall():
            url = canonical_url(urljoin(response.url, href.strip()))
            if (url is None or url in self._scheduled or not on_domains(url, self.domains)
                    or url.lower().split("?")[0].endswith(_SKIPPED_SUFFIXES)):
                continue
            if len(self._scheduled) >= (self.max_pages or 0):
                self.crawler.stats.inc_value("news/max_pages_reached")
                return
            self._scheduled.add(url)
            yield make_request(Kind.PAGE, url, self.parse_page, section=None, depth_left=depth_left - 1)
