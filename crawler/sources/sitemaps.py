"""Sitemaps: robots.txt `Sitemap:` lines, sitemap indexes, URL sets and Google News sitemaps.

Pure functions from bytes to entries, tested from saved XML. gzip sitemaps are decompressed
(bounded), broken XML gives what could be recovered, and a plain-text sitemap (one URL a line,
allowed by sitemaps.org) is read too.

An entry's `date` is the best date the sitemap gives for deciding whether to download it:
`news:publication_date` (Google News) when present, else `lastmod`.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from urllib.parse import urljoin

from crawler.sources.xml import child_text, gunzip_if_needed, local_name, parse_date, parse_xml


class SitemapKind(enum.Enum):
    INDEX = "index"  # lists other sitemaps
    URLSET = "urlset"  # lists pages
    UNKNOWN = "unknown"  # nothing usable


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    date: dt.datetime | None = None  # publication date (news) else lastmod, aware UTC
    lastmod: dt.datetime | None = None
    news: bool = False  # carried a <news:news> block: the page is an article by definition
    title: str | None = None


@dataclass(frozen=True)
class Sitemap:
    kind: SitemapKind
    entries: list[SitemapEntry]


def robots_sitemaps(text: str, base_url: str) -> list[str]:
    """The sitemap URLs a robots.txt lists, absolute, each once, in file order.

    >>> robots_sitemaps("User-agent: *\\nDisallow: /x\\nsitemap: /sitemap_index.xml # main\\n"
    ...                 "Sitemap: https://cdn.example.com/news.xml", "https://example.com/robots.txt")
    ['https://example.com/sitemap_index.xml', 'https://cdn.example.com/news.xml']

    Not `scrapy.utils.sitemap.sitemap_urls_from_robots`: for `sitemap: /a.xml # main` it gives
    `https://example.com/a.xml # main`, repeats duplicates and skips `Sitemap :` (Scrapy 2.19).
    """
    found: list[str] = []
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if not sep or name.strip().lower() != "sitemap":
            continue
        value = value.split("#", 1)[0].strip()
        if value:
            url = urljoin(base_url, value)
            if url not in found:
                found.append(url)
    return found


def parse_sitemap(data: bytes, base_url: str) -> Sitemap:
    """Read a sitemap index or URL set (gzip or not).

    >>> xml = b'''<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    ... <url><loc>https://example.com/a</loc><lastmod>2023-11-22</lastmod></url></urlset>'''
    >>> parse_sitemap(xml, "https://example.com/sitemap.xml").entries[0].date
    datetime.datetime(2023, 11, 22, 0, 0, tzinfo=datetime.timezone.utc)
    """
    root = parse_xml(data)
    if root is None:
        return _plain_text(data, base_url)
    kind = local_name(root)
    if kind == "sitemapindex":
        entries = []
        for node in root:
            if local_name(node) != "sitemap":
                continue
            loc = child_text(node, "loc")
            if loc:
                lastmod = parse_date(child_text(node, "lastmod"))
                entries.append(SitemapEntry(urljoin(base_url, loc), lastmod, lastmod))
        return Sitemap(SitemapKind.INDEX, entries)
    if kind == "urlset":
        entries = []
        for node in root:
            if local_name(node) != "url":
                continue
            loc = child_text(node, "loc")
            if not loc:
                continue
            lastmod = parse_date(child_text(node, "lastmod"))
            news = next((child for child in node if local_name(child) == "news"), None)
            published = title = None
            if news is not None:
                published = parse_date(child_text(news, "publication_date"))
                title = child_text(news, "title")
            entries.append(SitemapEntry(urljoin(base_url, loc), published or lastmod, lastmod,
                                        news=news is not None, title=title))
        return Sitemap(SitemapKind.URLSET, entries)
    return Sitemap(SitemapKind.UNKNOWN, [])


def _plain_text(data: bytes, base_url: str) -> Sitemap:
    body = gunzip_if_needed(data) or b""
    text = body[:10_000_000].decode("utf-8", errors="replace")
    if "<" in text[:200]:  # markup that did not parse: not a text sitemap either
        return Sitemap(SitemapKind.UNKNOWN, [])
    urls = [line.strip() for line in text.splitlines()
            if line.strip().startswith(("http://", "https://"))]
    if not urls:
        return Sitemap(SitemapKind.UNKNOWN, [])
    return Sitemap(SitemapKind.URLSET, [SitemapEntry(urljoin(base_url, u)) for u in urls])
