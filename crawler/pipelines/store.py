"""`StorePipeline`: accepted articles journalled, then written to the database in batches."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.errors import DatabaseUnavailable
from crawler.extensions.database import DatabaseOwner
from crawler.health.fields import HealthTally
from crawler.pipelines.validate import storable
from crawler.storage.articles import ArticleStore
from crawler.storage.deadletters import append_dead_letters, replay_dead_journals
from crawler.storage.documents import WriteResult
from crawler.storage.journal import Journal
from crawler.storage.runs import RunStore

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


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
                 spider_name: str = "crawl", health: HealthTally | None = None) -> None:
        self.articles = articles
        self.runs = runs
        self.stats = stats
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.retry_seconds = retry_seconds
        self.dead_letter_dir = dead_letter_dir
        self.journal_dir = journal_dir
        self.spider_name = spider_name
        self.health = health  # counts the fields of each new article (the run record's `health`)
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
                   spider_name=getattr(crawler.spidercls, "name", None) or "crawl",
                   health=HealthTally(crawler.stats,
                                      min_body_words=settings.getint("HEALTH_MIN_BODY_WORDS"),
                                      trusted_confidence=settings.getfloat("HEALTH_TRUSTED_CONFIDENCE")))

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
        if self.health is not None:
            refused = {index for index, _ in result.rejected}
            for index in result.inserted_indexes:
                if index not in refused:
                    self.health.count(batch[index])
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


