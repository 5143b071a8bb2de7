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

from crawler.dates.normalise import resolve_item_dates
from crawler.dates.window import DateWindow
from crawler.errors import DatabaseUnavailable, DuplicateArticle, InvalidArticle, OutsideWindow
from crawler.extensions.database import DatabaseOwner
from crawler.links.urls import article_key, canonical_url
from crawler.logs import LogOnce
from crawler.storage.articles import ArticleStore
from crawler.storage.deadletters import append_dead_letters, replay_dead_journals
from crawler.storage.documents import WriteResult, content_hash
from crawler.storage.journal import Journal
from crawler.storage.runs import RunStore

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
    """Upsert articles into MongoDB in batches (size or time threshold, and at close), behind a
    write-ahead journal.

    An item counts as accepted once it is in the run's journal (`crawler.storage.journal`, under
    JOURNAL_DIR): written to the kernel before `process_item` goes on, fsynced once per batch
    before the batch goes to the database, and acknowledged (the journal truncated) once the
    database acknowledged the batch. A run that dies, however it dies, leaves its journal; the
    next run of the site loads the journals of dead runs when it opens, before its first request,
    so that the incremental middleware finds their articles stored and does not download them
    again (`newscrawl replay` with no argument does the same without crawling).

    Writes run on one writer thread, so that the crawl goes on downloading and extracting while
    the database works; an item is done only once its batch is written (in distributed mode,
    with batches of one, a finished request means a stored article).

    A batch that cannot be written because the database went away is retried with backoff for
    STORE_RETRY_SECONDS; what still cannot be written stays in the journal, which the run keeps
    for the next one, and fails the run. A document the server refuses goes to a dead-letter
    JSON-lines file under DEAD_LETTER_DIR (`newscrawl replay FILE`). Nothing extracted is lost
    silently. With JOURNAL_ENABLED off, unwritten batches go to the dead-letter file instead.
    """

    def __init__(self, articles: ArticleStore, stats: StatsCollector, *, batch_size: int,
                 flush_seconds: float, retry_seconds: float, dead_letter_dir: Path,
                 journal_dir: Path | None = None, runs: RunStore | None = None,
                 spider_name: str = "crawl") -> None:
        self.articles = articles
        self.runs = runs
        self.stats = stats
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.retry_seconds = retry_seconds
        self.dead_letter_dir = dead_letter_dir
        self.journal_dir = journal_dir
        self.spider_name = spider_name
        self.run_id = ""
        self.journal: Journal | None = None
        self._buffer: list[tuple[int, dict[str, Any]]] = []  # (journal entry, document)
        self._last_flush = time.monotonic()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        assert crawler.stats is not None
        owner = DatabaseOwner.of(crawler)
        journal = settings.getbool("JOURNAL_ENABLED")
        return cls(owner.articles, crawler.stats,
                   batch_size=settings.getint("STORE_BATCH_SIZE"),
                   flush_seconds=settings.getfloat("STORE_FLUSH_SECONDS"),
                   retry_seconds=settings.getfloat("STORE_RETRY_SECONDS"),
                   dead_letter_dir=Path(settings.get("DEAD_LETTER_DIR")),
                   journal_dir=Path(settings.get("JOURNAL_DIR")) if journal else None,
                   runs=owner.runs,
                   spider_name=getattr(crawler.spidercls, "name", None) or "crawl")

    def open_spider(self) -> None:
        # The run recorder names the run; a crawl without it still gets an id.
        self.run_id = self.stats.get_value("newscrawl/run_id") or uuid.uuid4().hex
        if self.journal_dir is None:
            return
        self._replay_dead_journals(self.journal_dir)
        self.journal = Journal.create(self.journal_dir, spider=self.spider_name, run_id=self.run_id)
        self.stats.set_value("journal/file", str(self.journal.path))

    def _replay_dead_journals(self, directory: Path) -> None:
        """Load what dead runs of this spider accepted but never wrote, before the first request."""
        try:
            replayed = replay_dead_journals(self.articles, directory, self.spider_name,
                                            batch_size=self.batch_size)
        except DatabaseUnavailable as exc:  # kept for the next run
            logger.warning("could not load the journals of dead runs: %s", exc)
            return
        for entry in replayed:
            result = entry.result
            counts = {"held": entry.held, "new": result.inserted, "updated": result.updated,
                      "unchanged": result.unchanged, "refused": len(result.rejected)}
            for name, count in counts.items():
                self.stats.inc_value(f"journal/replayed/{name}", count)
            figures = {**counts, "replayed_by": self.run_id, "replayed_at": dt.datetime.now(dt.UTC)}
            logger.info("loaded the journal of dead run %s (%s): %d articles, %d new, %d updated, "
                        "%d unchanged", entry.run_id, entry.path.name, entry.held, result.inserted,
                        result.updated, result.unchanged)
            for _, message in result.rejected:
                logger.error("the database refused a journalled article of %s: %s", entry.path,
                             message)
            if self.runs is not None and entry.run_id:
                try:
                    self.runs.finish(entry.run_id, {"journal": figures})
                except Exception as exc:  # the articles are stored; only the figures are lost
                    logger.warning("could not note the replay on run %s: %s", entry.run_id, exc)

    async def process_item(self, item: Any) -> Any:
        document = storable(item)
        entry = 0
        if self.journal is not None:
            entry = self.journal.append(document)
            self.stats.inc_value("journal/appended")
            self.stats.set_value("journal/pending", self.journal.pending)
        self._buffer.append((entry, document))
        if (len(self._buffer) >= self.batch_size
                or time.monotonic() - self._last_flush >= self.flush_seconds):
            await self.flush()
        return item

    async def close_spider(self) -> None:
        await self.flush()
        if self.journal is None:
            return
        pending = self.journal.pending
        self.stats.set_value("journal/pending", pending)
        if self.journal.close():
            self.stats.set_value("store/unwritten", pending)
            self.stats.set_value("store/unwritten_file", str(self.journal.path))
            logger.error("%d articles could not be written to the database; kept in %s: the next "
                         "run of %s loads them first (or `newscrawl replay`)", pending,
                         self.journal.path, self.spider_name)

    async def flush(self) -> None:
        """Hand the buffer to the writer thread and wait for it to be written."""
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        await asyncio.get_running_loop().run_in_executor(self._writer, self._write, batch)
        if self.journal is not None:
            self.stats.set_value("journal/pending", self.journal.pending)

    def _write(self, entries: list[tuple[int, dict[str, Any]]]) -> None:
        if self.journal is not None:
            self.journal.sync()
        batch = [document for _, document in entries]
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
        if self.journal is not None:
            # entries of one batch are consecutive: they were appended in the order buffered
            self.journal.acknowledge(entries[0][0], entries[-1][0])
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
                    if self.journal is None:
                        self._dead_letter(batch, str(exc))
                    else:  # stays pending in the journal, which close_spider keeps
                        self.stats.inc_value("store/unwritten_batches")
                        logger.error("could not write %d articles (%s); they stay in the journal "
                                     "%s", len(batch), exc, self.journal.path)
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
