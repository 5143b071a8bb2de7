"""`ArchiveRecovery`: pages a killed run archived but never read are read from the archive.

A crawl killed (SIGKILL, an OOM kill) loses what was between download and the journal: pages in
the reading queue, in a worker's pipe, in the pipelines; the next run downloaded them again. The
archive holds every one of them (`crawler.extensions.archive` writes a page before the spider
sees it), so only the requests in flight in the downloader need downloading again.
(bench/bench_recovery.py, 3 kills then a full run of a 200-article site, 5 tries on a shared
machine: downloaded again median 27 (12-43) without the archive, 26 (16-35) with it; here the
reading queue was short, and most of what a kill lost was in flight.)

A spider middleware: before the spider's own start requests, its `process_start` yields one
request per article page of this spider that a dead writer's files hold (the writer's `.open`
marker survived it: `crawler.archive.writer.dead_writers`), newest fetch per URL, and that the
database neither stores (after the journals of dead runs were loaded, by the store pipeline's
`open_spider`) nor recently rejected. Each request carries `meta["archived_from"]`: the archive
middleware answers it from the file, so it goes through the spider's `parse_article` and the
pipelines like a download, with its provenance; the duplicate filter then drops the same URL
when a listing yields it again.

A dead writer's marker says which spiders were recovered from it; once every spider whose pages
its files hold has been, the marker is deleted (and retention may remove the files). A crawl
killed while recovering leaves the marker: the next one recovers again, and finds stored what
was stored meanwhile. Only catalogue spiders recover (their article callback is `parse_article`).

Stats: recovery/candidates (article pages of the spider in dead writers' files),
recovery/scheduled (not stored: read from the archive), recovery/damaged.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured

from crawler.archive.reader import ArchivedPage, Damaged, read_archive
from crawler.archive.writer import DeadWriter, dead_writers
from crawler.errors import DatabaseUnavailable
from crawler.extensions.archive import REPLAY_KEY
from crawler.extensions.database import DatabaseOwner
from crawler.links.kinds import Kind
from crawler.links.urls import canonical_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.storage.articles import ArticleStore

logger = logging.getLogger(__name__)

RECOVERED_LINE = "recovered "
# A dead writer's files older than this are not recovered from any more (its marker goes, and
# retention may remove them): a page that old is due for a fresh download anyway, and a site
# that is never crawled again (or a `news` crawl, which does not recover) must not keep its
# files forever.
STALE_AFTER = dt.timedelta(days=7)
ARTICLE_PRIORITY = 10  # as the request factory gives articles (crawler.spiders.requests)


class ArchiveRecovery:
    def __init__(self, crawler: Crawler, store: ArticleStore, directory: Path, *,
                 rejected_recheck: dt.timedelta) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.store = store
        self.directory = directory
        self.rejected_recheck = rejected_recheck
        self._claimed: list[tuple[DeadWriter, set[str]]] = []  # with the sources their files hold
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveRecovery:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_ENABLED"):
            raise NotConfigured("ARCHIVE_ENABLED is off")
        return cls(crawler, DatabaseOwner.of(crawler).articles,
                   Path(settings["ARCHIVE_DIR"]).absolute(),
                   rejected_recheck=dt.timedelta(days=settings.getfloat("REJECTED_RECHECK_DAYS")))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        for request in self._recovered():
            yield request
        async for request_or_item in start:
            yield request_or_item

    def _recovered(self) -> list[Request]:
        spider = self.crawler.spider
        callback = getattr(spider, "parse_article", None)
        name = getattr(spider, "name", None)
        if callback is None or not name or getattr(spider, "site", None) is None:
            return []
        if not self.directory.is_dir():
            return []
        pages: dict[str, ArchivedPage] = {}
        for writer in dead_writers(self.directory):
            if _stale(writer):
                writer.discard()
                continue
            sources: set[str] = set()
            for page in read_archive(writer.files):
                if isinstance(page, Damaged):
                    self.stats.inc_value("recovery/damaged")
                    continue
                source = page.fields.get("Source", "")
                sources.add(source)
                if (source == name and page.fields.get("Kind") == Kind.ARTICLE.value
                        and page.status == 200):
                    key = canonical_url(page.url) or page.url
                    pages[key] = page  # files and records in write order: the newest wins
            self._claimed.append((writer, sources))
        if not pages:
            return []
        self.stats.set_value("recovery/candidates", len(pages))
        try:
            stored = self.store.known(pages)
            since = dt.datetime.now(dt.UTC) - self.rejected_recheck
            rejected = self.store.recently_rejected(set(pages) - set(stored), since=since)
        except DatabaseUnavailable as exc:  # downloading them again costs less than losing them
            logger.warning("cannot look up the archived pages of dead runs (%s): not recovering", exc)
            return []
        requests = []
        for key, page in pages.items():
            if key in stored or key in rejected:
                continue
            section = page.fields.get("Section")
            requests.append(Request(page.url, callback=callback, priority=ARTICLE_PRIORITY, meta={
                "kind": Kind.ARTICLE.value, "section": section, "page": 1,
                REPLAY_KEY: page.location.as_document()}))
        self.stats.set_value("recovery/scheduled", len(requests))
        if requests:
            logger.info("%s: %d article pages a dead run archived but never stored are read "
                        "from the archive instead of downloaded", name, len(requests))
        return requests

    def spider_closed(self, reason: str) -> None:
        """Say on each claimed marker that this spider recovered; delete it once all have."""
        name = str(getattr(self.crawler.spider, "name", ""))
        claimed, self._claimed = self._claimed, []
        for writer, sources in claimed:
            if reason != "finished":  # not all read: the next run recovers again
                writer.release()
                continue
            try:
                done = {line[len(RECOVERED_LINE):] for line in
                        writer.marker.read_text(encoding="utf-8").splitlines()
                        if line.startswith(RECOVERED_LINE)}
            except OSError:
                done = set()
            if sources <= done | {name}:
                writer.discard()
                continue
            fd = os.open(writer.marker, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, f"{RECOVERED_LINE}{name}\n".encode())
            finally:
                os.close(fd)
            writer.release()


def _stale(writer: DeadWriter) -> bool:
    newest = 0.0
    for path in [writer.marker, *writer.files]:
        try:
            newest = max(newest, path.stat().st_mtime)
        except OSError:
            continue
    return dt.datetime.now(dt.UTC).timestamp() - newest > STALE_AFTER.total_seconds()
