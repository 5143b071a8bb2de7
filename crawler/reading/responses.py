"""A downloaded response as a page job for the reading pool, and its reading as an article item:
what the spiders' callbacks share (moved out of the site spider so that `news` needs no other
spider module).

The item comes with its dates resolved where the page was read (`crawler.extract.article`); its
date figures are counted here, in the crawl process: `dates/<published|updated>/parsed`, and
`dates/<which>/<error>` for a string present but rejected (unparseable, future, ...), said once
per crawl and kind at WARNING. A wrong charset declaration is counted
(`article/charset_mismatch`) and said once per crawl.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from scrapy.http import TextResponse

from crawler.items import ArticleItem
from crawler.links.kinds import page_not_article
from crawler.logs import LogOnce
from crawler.reading.pool import ReadPool
from crawler.reading.reader import PageJob, PageReading

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)
# kinds are prefixed with the spider's name: once per crawl (`newscrawl crawl --all` runs every
# site in one process)
_log_once = LogOnce(logger)


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
    crawl = crawler.spider.name if crawler.spider is not None else ""
    if reading.charset_problem:  # counted for articles only: binary data is "not UTF-8" too
        _log_once.warning(f"{crawl}:charset", "wrong charset declaration (%s): %s",
                          reading.charset_problem, response.url)
        stats.inc_value("article/charset_mismatch")
    stats.inc_value("article/extracted")
    item = reading.item
    for which in ("published", "updated"):
        if item.get(f"{which}_at") is not None:
            stats.inc_value(f"dates/{which}/parsed")
    for which, error in reading.date_errors.items():
        stats.inc_value(f"dates/{which}/{error}")
        raw = item.get(f"{which}_raw") or {}
        _log_once.warning(f"{crawl}:{which}:{error}", "%s date %r (%s) of %s: %s", which,
                          raw.get("text"), raw.get("where"), item.get("url"), error)
    # where the page lies in the WARC archive (crawler.extensions.archive), when it was archived
    archive = response.meta.get("archive")
    return ArticleItem(**item, crawl_section=response.meta.get("section"),
                       **({"archive": archive} if archive else {}))
