"""Item pipelines, in order: validate -> dates -> date window -> dedupe -> store.

Each drops bad items with a reason counted under its own stats prefix and logged once per kind
(then only counted), so a run never loses an item silently.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawler.database import DatabaseOwner
from crawler.dates import resolve_item_dates
from crawler.deadletters import append_dead_letters
from crawler.errors import DatabaseUnavailable, DuplicateArticle, InvalidArticle, OutsideWindow
from crawler.logs import LogOnce
from crawler.storage import ArticleStore, WriteResult, content_hash
from crawler.urls import article_key, canonical_url
from crawler.window import DateWindow

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# Fields the extraction fills but the database does not keep.
_TRANSIENT_FIELDS = ("timezone_hint",)


def storable(item: Any) -> dict[str, Any]:
    """The item as handed to the store: transient fields dropped, `content_hash` added."""
    document = {k: v for k, v in ItemAdapter(item).items() if k not in _TRANSIENT_FIELDS}
    document["content_hash"] = content_hash(document)
    return document


class ValidatePipeline:
    """Drop items without a URL, a title or a body."""

    REQUIRED = ("url", "title", "body")

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.log = LogOnce(logger)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for field in self.REQUIRED:
            value = adapter.get(field)
            if not isinstance(value, str) or not value.strip():
                self.stats.inc_value(f"validate/dropped/no_{field}")
                self.log.warning(f"no_{field}", "dropped an item without %s: %s", field,
                              adapter.get("url"))
                raise InvalidArticle(f"no {field}")
        self.stats.inc_value("validate/ok")
        return item


class DatesPipeline:
    """Raw date strings -> aware UTC `published_at` / `updated_at`, with the rule that decided.

    The time zone is the catalogue site's, else the page's own hint, else UTC; relative dates are
    resolved against the item's fetch time. Unusable dates are left empty and counted.
    """

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.log = LogOnce(logger)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatesPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        site = getattr(self.crawler.spider, "site", None)
        fetched_at = adapter.get("fetched_at") or dt.datetime.now(dt.UTC)
        timezone = site.timezone if site is not None else adapter.get("timezone_hint")
        language = adapter.get("language") or (site.language if site is not None else None)
        errors = resolve_item_dates(adapter, language=language, timezone=timezone,
                                    fetched_at=fetched_at)
        for which in ("published", "updated"):
            if adapter.get(f"{which}_at") is not None:
                self.stats.inc_value(f"dates/{which}/parsed")
        for which, error in errors.items():
            self.stats.inc_value(f"dates/{which}/{error}")
            raw = adapter.get(f"{which}_raw") or {}
            self.log.warning(f"{which}:{error}", "%s date %r (%s) of %s: %s", which,
                          raw.get("text"), raw.get("where"), adapter.get("url"), error)
        return item


class DedupePipeline:
    """Key each article by its canonical URL; drop the second item with the same key in a run.

    The page's rel=canonical is trusted only when it points at the same host as the page.
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        fetched = adapter.get("fetched_url") or adapter["url"]
        key = article_key(fetched, adapter.get("canonical_url"))
        if key is None:
            self.stats.inc_value("dedupe/dropped/bad_url")
            raise DropItem(f"no usable URL: {fetched!r}")
        adapter["url"] = key
        adapter["fetched_url"] = canonical_url(fetched) or fetched
        if key in self.seen:
            self.stats.inc_value("dedupe/dropped/duplicate")
            logger.debug("duplicate of an article already seen in this run: %s", key)
            raise DuplicateArticle(f"duplicate: {key}")
        self.seen.add(key)
        return item


class StorePipeline:
    """Upsert articles into MongoDB in batches (size or time threshold, and at close).

    Writes run on one writer thread, so that the crawl goes on downloading and extracting while
    the database works; an item is done only once its batch is written (in distributed mode,
    with batches of one, a finished request means a stored article).

    A batch that cannot be written because the database went away is retried with backoff for
    STORE_RETRY_SECONDS; what still cannot be written, and any document the server refuses, goes
    to a dead-letter JSON-lines file under DEAD_LETTER_DIR (load it with `newscrawl replay FILE`)
    and fails the run. Nothing extracted is lost silently.
    """

    def __init__(self, articles: ArticleStore, stats: StatsCollector, *, batch_size: int,
                 flush_seconds: float, retry_seconds: float, dead_letter_dir: Path,
                 spider_name: str = "crawl") -> None:
        self.articles = articles
        self.stats = stats
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.retry_seconds = retry_seconds
        self.dead_letter_dir = dead_letter_dir
        self.spider_name = spider_name
        self.run_id = ""
        self._buffer: list[dict[str, Any]] = []
        self._last_flush = time.monotonic()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        assert crawler.stats is not None
        return cls(DatabaseOwner.of(crawler).articles, crawler.stats,
                   batch_size=settings.getint("STORE_BATCH_SIZE"),
                   flush_seconds=settings.getfloat("STORE_FLUSH_SECONDS"),
                   retry_seconds=settings.getfloat("STORE_RETRY_SECONDS"),
                   dead_letter_dir=Path(settings.get("DEAD_LETTER_DIR")),
                   spider_name=getattr(crawler.spidercls, "name", None) or "crawl")

    def open_spider(self) -> None:
        # The run recorder names the run; a crawl without it still gets an id.
        self.run_id = self.stats.get_value("newscrawl/run_id") or uuid.uuid4().hex

    async def process_item(self, item: Any) -> Any:
        self._buffer.append(storable(item))
        if (len(self._buffer) >= self.batch_size
                or time.monotonic() - self._last_flush >= self.flush_seconds):
            await self.flush()
        return item

    async def close_spider(self) -> None:
        await self.flush()

    async def flush(self) -> None:
        """Hand the buffer to the writer thread and wait for it to be written."""
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        await asyncio.get_running_loop().run_in_executor(self._writer, self._write, batch)

    def _write(self, batch: list[dict[str, Any]]) -> None:
        result = self._write_with_retries(batch)
        if result is None:
            return
        self.stats.inc_value("store/inserted", result.inserted)
        self.stats.inc_value("store/updated", result.updated)
        self.stats.inc_value("store/unchanged", result.unchanged)
        if result.rejected:
            for _, message in result.rejected:
                logger.error("the database refused an article: %s", message)
            self._dead_letter([batch[index] for index, _ in result.rejected], "refused by the server")
        logger.debug("stored %d articles: %d new, %d updated, %d unchanged", len(batch),
                     result.inserted, result.updated, result.unchanged)

    def _write_with_retries(self, batch: list[dict[str, Any]]) -> WriteResult | None:
        deadline = time.monotonic() + self.retry_seconds
        pause = 0.5
        while True:
            try:
                return self.articles.upsert_many(batch, run_id=self.run_id,
                                                 now=dt.datetime.now(dt.UTC))
            except DatabaseUnavailable as exc:
                if time.monotonic() + pause > deadline:
                    self._dead_letter(batch, str(exc))
                    return None
                self.stats.inc_value("store/retries")
                logger.warning("database write failed (%s); retrying in %.1f s", exc, pause)
                # Holds this batch's items (on the writer thread) while the database is away.
                time.sleep(pause)
                pause = min(pause * 2, 10.0)

    def _dead_letter(self, documents: list[dict[str, Any]], reason: str) -> None:
        path = self.dead_letter_dir / f"{self.spider_name}-{self.run_id}.jsonl"
        written = append_dead_letters(path, documents, run_id=self.run_id, reason=reason)
        self.stats.inc_value("store/dead_lettered", written)
        self.stats.set_value("store/dead_letter_file", str(path))
        logger.error("%d articles could not be written (%s); kept in %s, load them with "
                     "`newscrawl replay %s`", written, reason, path, path)


class DateWindowPipeline:
    """Drop articles published outside the spider's `date_window` (after the dates pipeline).

    Listings that give a date are filtered before download by the spider; this catches the
    articles found on section pages, whose date is only known once extracted. Articles without a
    `published_at` are kept and counted: a window is not a reason to lose data silently.
    """

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DateWindowPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        window = getattr(self.crawler.spider, "date_window", None)
        if not isinstance(window, DateWindow) or not window.bounded:
            return item
        published = ItemAdapter(item).get("published_at")
        if not isinstance(published, dt.datetime):
            self.stats.inc_value("window/kept_undated")
            return item
        if published.tzinfo is None:  # the dates pipeline gives aware UTC; be safe anyway
            published = published.replace(tzinfo=dt.UTC)
        if not window.contains(published):
            self.stats.inc_value("window/dropped_after_download")
            logger.debug("outside the date window %s: %s (%s)", window.describe(),
                         ItemAdapter(item).get("url"), published.isoformat())
            raise OutsideWindow(f"published outside the date window {window.describe()}")
        self.stats.inc_value("window/kept")
        return item
