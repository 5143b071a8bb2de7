"""Conditional requests: a page the server says has not changed costs a 304, not a download.

`ConditionalRequestMiddleware` (a downloader middleware) keeps the validators (`ETag`,
`Last-Modified`) of every listing, feed, sitemap and article it sees answered with a 200
(`crawler.storage.validators`), and sends them back on the next visit (`If-None-Match`,
`If-Modified-Since`): listings, feeds and sitemaps every time (robots.txt never: it names
sitemaps without saying whether they changed), an article when it is re-fetched (`refresh`).
A 304 to such a request is "seen, unchanged": it is counted, the incremental middleware is
told (`crawler.links.kinds.page_not_modified`) and the request ends there (`IgnoreRequest`,
which Scrapy neither logs nor counts as an error), so the page is not parsed.

Not a cache (Scrapy's HttpCacheMiddleware keeps bodies; nothing here needs one): only the
validators are kept, a few hundred bytes a page.

Bad servers, each counted and never a lost page:
- a 304 to a request that carried no validator cannot be a "not modified": the request is made
  once more without any condition (`Cache-Control: no-cache`); a second 304 drops it, with a
  warning (the page stays unknown, so the next run asks again);
- an ETag that changes on every answer while the body does not is marked unstable and no longer
  sent (the Last-Modified still is);
- a Last-Modified in the future is not kept (sent back, it could hide every later change).

A listing's validators are not sent after a run that did not finish cleanly (killed,
interrupted, cut by the time limit, a failed download or a 5xx): that run may have read links it
never followed, and a 304 would hide them until the listing changed. That run's successor reads
its listings in full once (`conditional/withheld_after_unclean_run`).

Switched off with INCREMENTAL_ENABLED; `-a full=1` sends no validator (it still keeps them).
Stats: conditional/sent, conditional/not_modified, conditional/not_modified/<kind>,
conditional/saved, conditional/unexpected_304, conditional/unexpected_304_dropped,
conditional/unstable_etag, conditional/future_last_modified, conditional/save_failed,
conditional/withheld_after_unclean_run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from twisted.internet import threads

from crawler.errors import DatabaseUnavailable
from crawler.extensions.database import DatabaseOwner
from crawler.extensions.runs import run_key
from crawler.links.kinds import Kind, page_not_modified
from crawler.logs import LogOnce

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

    from crawler.storage.validators import ValidatorStore

logger = logging.getLogger(__name__)
_log_once = LogOnce(logger)

_CONDITION_HEADERS = (b"If-None-Match", b"If-Modified-Since")
# A Last-Modified this far ahead of our clock is a wrong clock or a wrong header, not a page
# written in the future; an hour covers ordinary clock skew.
_FUTURE_SLACK = dt.timedelta(hours=1)
_SAVE_BATCH = 50
# An article's body, kept until its validators are written, to be hashed there (below).
_BODY = "_body"


class ConditionalRequestMiddleware:
    def __init__(self, crawler: Crawler, store: ValidatorStore) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.store = store
        self._listings: dict[str, dict[str, Any]] = {}  # this source's, loaded at open
        self._pending: list[dict[str, Any]] = []
        # Batches are written on one thread beside the reactor, in order; at concurrency 64 the
        # reactor waited for each bulk write in 7% of its busy time (py-spy, docs/benchmarks.md).
        self._writer: ThreadPoolExecutor | None = None
        self._writes: list[Future[int]] = []
        self._source = ""
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        if not crawler.settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        return cls(crawler, DatabaseOwner.of(crawler).validators)

    def spider_opened(self) -> None:
        spider = self.crawler.spider
        assert spider is not None
        self._source = run_key(spider)
        try:
            self._listings = self.store.of_source(self._source, exclude_kind=Kind.ARTICLE.value)
        except DatabaseUnavailable as exc:  # costs full downloads this run, nothing else
            logger.warning("cannot read the stored validators (%s): no conditional request", exc)

    def spider_closed(self) -> Any:
        # on a thread: the reactor goes on closing the crawl (Scrapy waits for the Deferred)
        return threads.deferToThread(self.finish_writes)

    def finish_writes(self) -> None:
        """The last batch written, and every write waited for (the run's validators are kept
        before the database connection closes at `engine_stopped`)."""
        self._save()
        self._harvest(wait=True)
        if self._writer is not None:
            self._writer.shutdown()
            self._writer = None

    # ------------------------------------------------------------------ requests

    def process_request(self, request: Request) -> None:
        kind = Kind.of(request)
        if kind is None or request.meta.get("unconditional") or self._full_run():
            return
        if request.url.endswith("/robots.txt"):
            # it names sitemaps without saying whether they changed: an unchanged robots.txt
            # must not hide them (and it is a few hundred bytes)
            return
        record = self._validators(request, kind)
        if not record:
            return
        etag, modified = record.get("etag"), record.get("last_modified")
        if etag and not record.get("etag_unstable"):
            request.headers[b"If-None-Match"] = etag
        if modified:
            request.headers[b"If-Modified-Since"] = modified
        if any(h in request.headers for h in _CONDITION_HEADERS):
            request.meta["conditional"] = True
            self.stats.inc_value("conditional/sent")

    def _validators(self, request: Request, kind: Kind) -> dict[str, Any] | None:
        if kind is not Kind.ARTICLE:
            if not self.stats.get_value("newscrawl/previous_run_clean", True):
                # the last run was killed, cut short or lost downloads: a 304 now would hide the
                # links it read but never followed, so its listings are read in full once
                self.stats.inc_value("conditional/withheld_after_unclean_run")
                return None
            return self._listings.get(request.url)
        if not request.meta.get("refresh"):
            return None  # a new article has none; a stored one is only asked for on a refresh
        try:
            record = self.store.one(request.url)
        except DatabaseUnavailable:
            return None
        if record:
            request.meta["stored_validators"] = {"etag": record.get("etag"),
                                                 "body_sha1": record.get("body_sha1")}
        return record

    # ------------------------------------------------------------------ responses

    def process_response(self, request: Request, response: Response) -> Response | Request:
        kind = Kind.of(request)
        if kind is None:
            return response
        if response.status == 304:
            return self._not_modified(request, kind)
        if 200 <= response.status < 300:
            self._keep(request, response, kind)
        return response

    def _not_modified(self, request: Request, kind: Kind) -> Request:
        if request.meta.get("conditional"):
            self.stats.inc_value("conditional/not_modified")
            self.stats.inc_value(f"conditional/not_modified/{kind.value}")
            if kind is Kind.LISTING and request.meta.get("page") == 1 and request.meta.get("section"):
                # its links are those of the last run (the run record's layout check needs them)
                self.stats.inc_value(f"listing/section_unchanged/{request.meta['section']}")
            logger.debug("not modified: %s", request.url)
            self.crawler.signals.send_catch_log(page_not_modified, url=request.url, kind=kind,
                                                request=request)
            raise IgnoreRequest(f"not modified: {request.url}")
        self.stats.inc_value("conditional/unexpected_304")
        if not request.meta.get("unconditional"):
            _log_once.warning("unexpected_304", "%s answered 304 Not Modified to a request "
                              "without validators: asked again without conditions", request.url)
            headers = request.headers.copy()
            for name in _CONDITION_HEADERS:
                headers.pop(name, None)
            headers[b"Cache-Control"] = b"no-cache"
            return request.replace(headers=headers, dont_filter=True,
                                   meta={**request.meta, "unconditional": True,
                                         "conditional": False})
        self.stats.inc_value("conditional/unexpected_304_dropped")
        _log_once.warning("unexpected_304_dropped", "%s answered 304 Not Modified again to a "
                          "request without conditions: not downloaded this run", request.url)
        raise IgnoreRequest(f"304 without validators: {request.url}")

    def _keep(self, request: Request, response: Response, kind: Kind) -> None:
        etag = _header(response, b"ETag")
        modified = _header(response, b"Last-Modified")
        if modified and _in_future(modified):
            self.stats.inc_value("conditional/future_last_modified")
            _log_once.warning("future_last_modified", "%s: Last-Modified %r is in the future: "
                              "not kept", response.url, modified)
            modified = None
        if not etag and not modified:
            return
        before = (self._listings.get(request.url) if kind is not Kind.ARTICLE
                  else request.meta.get("stored_validators")) or {}
        unstable = bool(before.get("etag_unstable"))
        compare = bool(etag and before.get("etag") and etag != before["etag"])
        # An article's body is hashed on the writing thread (hashlib lets go of the GIL there),
        # unless the hash is needed now; a listing's now, as a later visit of the run compares it.
        body_sha1 = (hashlib.sha1(response.body).hexdigest()
                     if compare or kind is not Kind.ARTICLE else None)
        if compare and before.get("body_sha1") == body_sha1:
            unstable = True
            self.stats.inc_value("conditional/unstable_etag")
            _log_once.warning("unstable_etag", "%s: a new ETag for the same body: its ETag is "
                              "not sent again", response.url)
        record: dict[str, Any] = {
            "url": request.url, "source": self._source, "kind": kind.value, "etag": etag,
            "last_modified": modified, "body_sha1": body_sha1, "etag_unstable": unstable}
        if body_sha1 is None:
            record[_BODY] = response.body
        if kind is not Kind.ARTICLE:
            self._listings[request.url] = record
        self._pending.append(record)
        if len(self._pending) >= _SAVE_BATCH:
            self._save()

    def _save(self) -> None:
        """Hand the pending records to the writing thread; count the writes that ended."""
        records, self._pending = self._pending, []
        if records:
            if self._writer is None:
                self._writer = ThreadPoolExecutor(max_workers=1,
                                                  thread_name_prefix="validators")
            self._writes.append(self._writer.submit(self._write, records,
                                                    dt.datetime.now(dt.UTC)))
        self._harvest(wait=False)

    def _write(self, records: list[dict[str, Any]], now: dt.datetime) -> int:
        """On the writing thread: hash the bodies left to hash, write the batch; the number of
        records it could not write is the exception's."""
        for record in records:
            body = record.pop(_BODY, None)
            if body is not None:
                record["body_sha1"] = hashlib.sha1(body).hexdigest()
        try:
            return self.store.save(records, now=now)
        except DatabaseUnavailable as exc:
            raise _SaveFailed(len(records), exc) from exc

    def _harvest(self, *, wait: bool) -> None:
        """Count the writes that ended (all of them, waiting, with `wait`), in their order."""
        while self._writes and (wait or self._writes[0].done()):
            write = self._writes.pop(0)
            try:
                saved = write.result()
            except _SaveFailed as failed:  # costs a full download next run, nothing else
                self.stats.inc_value("conditional/save_failed", failed.records)
                logger.warning("could not keep the validators of %d pages: %s", failed.records,
                               failed.cause)
                continue
            self.stats.inc_value("conditional/saved", saved)

    def _full_run(self) -> bool:
        return bool(getattr(self.crawler.spider, "full", False))


class _SaveFailed(Exception):
    """A batch of validators that could not be written (`records` of them)."""

    def __init__(self, records: int, cause: DatabaseUnavailable) -> None:
        super().__init__(str(cause))
        self.records = records
        self.cause = cause


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    if not value:
        return None
    text = value.decode("latin-1").strip()
    return text[:200] or None


def _in_future(http_date: str) -> bool:
    """Whether an HTTP date is ahead of our clock (an unreadable date counts as not).

    >>> _in_future("Tue, 08 Dec 2099 00:00:00 GMT"), _in_future("Tue, 08 Dec 2020 00:00:00 GMT")
    (True, False)
    >>> _in_future("yesterday")
    False
    """
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when > dt.datetime.now(dt.UTC) + _FUTURE_SLACK
