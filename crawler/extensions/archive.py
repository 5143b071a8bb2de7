"""`ArchiveMiddleware`: every article page a crawl downloads, kept in the WARC archive.

A downloader middleware placed next to the downloader (order 880: after redirects, retries and
decompression on the way out, before them on the way back), so that its `process_response` sees
each response as the server sent it, before the spider. Article pages (`Kind.ARTICLE`, and a
no-config crawl's `Kind.PAGE`) are always archived; feeds, sitemaps and listing pages with
`ARCHIVE_LISTINGS`. The response waits until its records are in the file (written to the kernel:
a SIGKILL afterwards loses nothing), and `request.meta["archive"]` then says where it lies
({file, offset, record_id}), which the item carries to the stored document.

One writer per process (`crawler.archive.writer.ArchiveWriter` under ARCHIVE_DIR), shared by
the crawls of the process like the reading workers, closed at the `engine_stopped` of the last;
the workers of a distributed round are separate processes and write their own files. Records
are compressed and written on one thread beside the reactor (zlib and sha1 release the GIL).

A write that fails (a full disk, a directory that cannot be written) is said once, at ERROR,
counted (`archive/write_failed`) and ends archiving for the process; the crawl goes on, as it
would without an archive. Requests with `meta["archived_from"]` (a location) are answered from
the archive instead of the network (crash recovery, `crawler.extensions.recovery`).

Stats: archive/records, archive/bytes (bodies as received), archive/write_failed,
archive/replayed (responses read back from the archive instead of downloaded).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from crawler.archive.reader import ArchivedPage, read_record
from crawler.archive.retention import enforce_retention
from crawler.archive.writer import ArchiveLocation, ArchiveWriter, Exchange
from crawler.links.kinds import Kind

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

ARTICLE_KINDS = frozenset({Kind.ARTICLE, Kind.PAGE})
META_KEY = "archive"  # where the location of a page's record goes, for the item
REPLAY_KEY = "archived_from"  # a request to answer from the archive: {file, offset, record_id}
REPLAYED_FLAG = "archive"  # Response.flags of a response read back from the archive


class _SharedWriter:
    """The process's writer for one directory, its writing thread and its users."""

    def __init__(self, writer: ArchiveWriter) -> None:
        self.writer = writer
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive")
        self.users = 0
        self.failed: str | None = None  # why archiving stopped

    async def write(self, exchange: Exchange) -> ArchiveLocation:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.thread, self.writer.write_exchange, exchange)

    def close(self) -> None:
        self.thread.submit(self.writer.close).result()
        self.thread.shutdown()


_writers: dict[Path, _SharedWriter] = {}


def _shared_writer(directory: Path, *, rotate_bytes: int, max_bytes: int,
                   max_age_days: float) -> _SharedWriter:
    shared = _writers.get(directory)
    if shared is None:
        # once per process, before its first file: the limits are kept at every start
        removed = enforce_retention(directory, max_bytes=max_bytes, max_age_days=max_age_days)
        if removed:
            logger.info("archive retention: removed %d files (%.1f MB) from %s", len(removed),
                        sum(size for _, size in removed) / 1e6, directory)
        shared = _writers[directory] = _SharedWriter(ArchiveWriter(directory, rotate_bytes=rotate_bytes))
    shared.users += 1
    return shared


def _pairs(headers: Any) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() for value in values]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class ArchiveMiddleware:
    def __init__(self, crawler: Crawler, directory: Path, shared: _SharedWriter, *,
                 listings: bool) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.directory = directory
        self.shared = shared
        self.listings = listings
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_ENABLED"):
            raise NotConfigured("ARCHIVE_ENABLED is off")
        directory = Path(settings["ARCHIVE_DIR"]).absolute()
        shared = _shared_writer(
            directory, rotate_bytes=int(settings.getfloat("ARCHIVE_FILE_MB") * 1e6),
            max_bytes=int(settings.getfloat("ARCHIVE_MAX_GB") * 1e9),
            max_age_days=settings.getfloat("ARCHIVE_MAX_AGE_DAYS"))
        return cls(crawler, directory, shared, listings=settings.getbool("ARCHIVE_LISTINGS"))

    def _wanted(self, request: Request) -> bool:
        kind = Kind.of(request)
        if kind in ARTICLE_KINDS:
            return True
        return self.listings and kind is not None

    # ---------------------------------------------------------------- archiving
    async def process_response(self, request: Request, response: Response) -> Response:
        if REPLAYED_FLAG in response.flags or not self._wanted(request) or self.shared.failed:
            return response
        spider = self.crawler.spider
        # the stored documents' `source`: the catalogue key, or a `news` crawl's domain
        source = getattr(spider, "source_key", None) or getattr(spider, "name", "")
        fields = {"Newscrawl-Source": str(source or ""),
                  "Newscrawl-Kind": str(request.meta.get("kind") or "")}
        if isinstance(request.meta.get("section"), str):
            fields["Newscrawl-Section"] = request.meta["section"]
        exchange = Exchange(response.url, response.status, _pairs(response.headers), response.body,
                            method=request.method, request_headers=_pairs(request.headers),
                            reason=_reason(response.status), fields=fields)
        try:
            location = await self.shared.write(exchange)
        except OSError as exc:
            self._failed(exc)
            return response
        request.meta[META_KEY] = location.as_document()
        self.stats.inc_value("archive/records")
        self.stats.inc_value("archive/bytes", len(response.body))
        return response

    def _failed(self, exc: OSError) -> None:
        self.stats.inc_value("archive/write_failed")
        if self.shared.failed is None:
            self.shared.failed = f"{exc.strerror or exc}"
            logger.error("cannot write the page archive in %s (%s): archiving stops for this "
                         "process, the crawl goes on", self.directory, self.shared.failed)

    # ---------------------------------------------------------------- answering from the archive
    def process_request(self, request: Request) -> Response | None:
        location = request.meta.get(REPLAY_KEY)
        if not isinstance(location, dict):
            return None
        page = read_record(self.directory / str(location.get("file")), int(location.get("offset", 0)))
        if not isinstance(page, ArchivedPage) or page.url != request.url:
            self.stats.inc_value("archive/replay_failed")
            logger.debug("archived page not readable at %s: downloading %s", location, request.url)
            del request.meta[REPLAY_KEY]
            return None
        request.meta[META_KEY] = page.location.as_document()
        self.stats.inc_value("archive/replayed")
        # the body is stored decoded: its encoding and length headers would no longer hold
        headers = Headers([(k, v) for k, v in page.headers
                           if k.lower() not in ("content-encoding", "content-length")])
        cls = responsetypes.from_args(headers=headers, url=page.url, body=page.body)
        return cls(url=page.url, status=page.status, headers=headers, body=page.body,
                   flags=[REPLAYED_FLAG], request=request)

    def engine_stopped(self) -> None:
        self.shared.users -= 1
        if self.shared.users <= 0:
            _writers.pop(self.directory, None)
            self.shared.close()
