"""A downloaded response as a page job for the reading pool, and its reading as an article item:
what the spiders' callbacks share (moved out of the site spider so that `news` needs no other
spider module)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from scrapy.http import TextResponse

from crawler.items import ArticleItem
from crawler.links.kinds import page_not_article
from crawler.reading.pool import ReadPool
from crawler.reading.reader import PageJob, PageReading

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


def page_job(response: TextResponse, *, article: bool = True, next_links: bool = False,
             links: bool = False, domains: tuple[str, ...] = (), **page_options: Any) -> PageJob:
    """What to read from an HTML response (crawler.reading.reader), wherever it is read."""
    return PageJob(response.url, response.body, response.encoding, dt.datetime.now(dt.UTC),
                   page_options, domains=domains, article=article, next_links=next_links,
                   links=links)


async def read_article(response: Response, crawler: Crawler,
                       **page_options: Any) -> ArticleItem | None:
    """The item of an article page, or None (counted, and signalled as `page_not_article`) for
    a page that is not an article; read where the crawl's `ReadPool` says."""
    if not isinstance(response, TextResponse):
        return article_from(response, crawler, None)
    reading = await ReadPool.of(crawler).read(page_job(response, **page_options))
    return article_from(response, crawler, reading)


def article_from(response: Response, crawler: Crawler,
                 reading: PageReading | None) -> ArticleItem | None:
    """The item of a page read with `article=True` (None: not HTML), counted; or None, counted
    and signalled as `page_not_article`, for a page that is not an article."""
    stats = crawler.stats
    assert stats is not None
    if reading is None:
        crawler.signals.send_catch_log(page_not_article, url=response.url, reason="not HTML")
        stats.inc_value("article/not_html")
        logger.debug("not an article (not HTML): %s", response.url)
        return None
    if not reading.is_article or reading.item is None:
        crawler.signals.send_catch_log(page_not_article, url=response.url, reason=reading.reason)
        stats.inc_value("article/not_article")
        logger.debug("not an article (%s): %s", reading.reason, response.url)
        return None
    if reading.charset_problem:  # counted for articles only: binary data is "not UTF-8" too
        if not stats.get_value("article/charset_mismatch"):
            logger.warning("wrong charset declaration (%s): %s (further cases are counted, not "
                           "logged)", reading.charset_problem, response.url)
        stats.inc_value("article/charset_mismatch")
    stats.inc_value("article/extracted")
    # where the page lies in the WARC archive (crawler.extensions.archive), when it was archived
    archive = response.meta.get("archive")
    return ArticleItem(**reading.item, crawl_section=response.meta.get("section"),
                       **({"archive": archive} if archive else {}))
