"""The ceiling: a bare Scrapy spider that follows the links our crawl follows and only yields URLs.

Run outside the project (no scrapy.cfg, so Scrapy's defaults, no pipelines), e.g.:

    cd /tmp && scrapy runspider /work/main/bench/bare_spider.py -a base=http://127.0.0.1:8080 \
        -a sections=actualites,mobiles -s CONCURRENT_REQUESTS=16

Section page -> article links (query and fragment dropped, so tracking-parameter duplicates are
filtered by Scrapy's duplicate filter) and rel=next -> next page. Articles first, as in our spider.
No extraction, no item processing, no database: what is left is Scrapy's own cost of downloading
and parsing the same pages.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

ARTICLE_PATH = re.compile(r"^/articles/[\w-]+/?$")


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, *args: Any, base: str = "", sections: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not base or not sections:
            raise ValueError("bare spider needs -a base=http://host:port -a sections=a,b")
        self.base = base.rstrip("/")
        self.section_names = [s.strip() for s in sections.split(",") if s.strip()]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for section in self.section_names:
            yield scrapy.Request(f"{self.base}/{section}/", callback=self.parse_listing)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href).split("#", 1)[0].split("?", 1)[0]
            if ARTICLE_PATH.match(urlsplit(url).path):
                yield scrapy.Request(url, callback=self.parse_article, priority=10)
        next_page = response.css("link[rel=next]::attr(href)").get()
        if next_page:
            yield response.follow(next_page, callback=self.parse_listing)

    def parse_article(self, response: Response) -> Iterator[dict[str, str]]:
        yield {"url": response.url}
