"""`ReadPool`: where a crawl reads its pages (parse + extraction): in the crawl process, or in
worker processes beside it.

Reading an article costs about as much CPU as everything else the crawl does for it (1.8 ms a
page against 2.0-2.6 ms for all of bare Scrapy's work per article on the bench trap site,
docs/benchmarks.md), so a crawl that reads in its own process is held near 0.56x bare Scrapy's
throughput whatever else it saves. With `EXTRACT_PROCESSES` workers the crawl process keeps the
downloads, link judging and pipelines, and the workers read.

A worker process costs about a second of CPU to start (Python, lxml, trafilatura), which a
cron run that finds five new articles should not pay: the pool starts only once the crawl has
read `EXTRACT_PROCESSES_AFTER` pages itself, and until its first worker is ready the crawl
keeps reading in process. A pool that breaks (a worker killed, out of memory) is given up with
one warning and the crawl reads in process from then on; no page is lost.

One owner: an extension per crawl, found by `ReadPool.of(crawler)`; the pool is shut down at
`engine_stopped`, after the last callback has had its reading.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import weakref
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.utils.reactor import is_asyncio_reactor_installed

from crawler.reading import PageJob, PageReading, read_page

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_pools: weakref.WeakKeyDictionary[Crawler, ReadPool] = weakref.WeakKeyDictionary()


def _worker_started(log_level: str, log_format: str, log_dateformat: str, log_file: str,
                    parent: int) -> None:
    """Runs first in each worker: Ctrl-C is the crawl's to handle (it stops the pool), the
    worker's log lines look like the crawl's, and a worker whose crawl died (SIGKILL, no
    shutdown) exits instead of waiting for jobs forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handler: logging.Handler = (logging.FileHandler(log_file, encoding="utf-8") if log_file
                                else logging.StreamHandler(sys.stderr))
    handler.setFormatter(logging.Formatter(log_format, log_dateformat))
    logging.basicConfig(level=log_level, handlers=[handler], force=True)

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        signal.raise_signal(signal.SIGTERM)  # the default action: the process ends

    threading.Thread(target=watch_parent, daemon=True, name="newscrawl-parent-watch").start()


def _ready() -> bool:
    """The first job of each worker: returns once its imports are done."""
    return True


class ReadPool:
    """An extension: reads pages in process, or in `EXTRACT_PROCESSES` workers once the crawl
    has read `EXTRACT_PROCESSES_AFTER` pages (README, "Settings")."""

    def __init__(self, crawler: Crawler, processes: int = 0, after: int = 0) -> None:
        self.crawler = crawler
        self.processes = processes
        self.after = after
        self._executor: ProcessPoolExecutor | None = None
        self._warm: Future[bool] | None = None
        self._read_here = 0
        self._given_up = False
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        _pools[crawler] = self

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReadPool:
        settings = crawler.settings
        processes = settings.getint("EXTRACT_PROCESSES")
        if processes and not is_asyncio_reactor_installed():
            logger.info("EXTRACT_PROCESSES=%d needs the asyncio reactor (TWISTED_REACTOR); "
                        "pages are read in the crawl process", processes)
            processes = 0
        return cls(crawler, processes, settings.getint("EXTRACT_PROCESSES_AFTER"))

    @classmethod
    def of(cls, crawler: Crawler) -> ReadPool:
        """The crawl's pool; one that reads in process when the extension is not enabled."""
        pool = _pools.get(crawler)
        return pool if pool is not None else cls(crawler)

    async def read(self, job: PageJob) -> PageReading:
        executor = self._executor_ready()
        if executor is None:
            return read_page(job)
        try:
            reading = await asyncio.wrap_future(executor.submit(read_page, job))
        except BrokenProcessPool as exc:
            self._give_up(f"a worker process died ({exc})")
            return read_page(job)
        self._count("extract/pages_read_by_workers")
        return reading

    def _executor_ready(self) -> ProcessPoolExecutor | None:
        if self._executor is None:
            if self._given_up or not self.processes:
                return None
            self._read_here += 1
            if self._read_here > self.after:
                self._start()
            return None
        assert self._warm is not None
        if not self._warm.done():
            return None
        if self._warm.exception() is not None:
            self._give_up(f"a worker process did not start ({self._warm.exception()})")
            return None
        return self._executor

    def _start(self) -> None:
        settings = self.crawler.settings
        # spawn, not fork: the crawl process runs threads (pymongo, the store writer) whose
        # locks a forked child could inherit held
        self._executor = ProcessPoolExecutor(
            max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_started,
            initargs=(settings.get("LOG_LEVEL"), settings.get("LOG_FORMAT"),
                      settings.get("LOG_DATEFORMAT"), settings.get("LOG_FILE") or "",
                      os.getpid()))
        self._warm = self._executor.submit(_ready)
        self._count("extract/processes", self.processes)
        logger.info("reading pages in %d worker process(es) from now on (%d read in process)",
                    self.processes, self._read_here - 1)

    def _give_up(self, why: str) -> None:
        if self._given_up:
            return
        self._given_up = True
        logger.warning("%s: pages are read in the crawl process from now on", why)
        self._count("extract/pool_given_up")
        self._shutdown()

    def _count(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def _shutdown(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def engine_stopped(self) -> None:
        self._shutdown()
