"""`ReadPool`: where a crawl reads its pages (parse + extraction): in the crawl process, or in
worker processes beside it.

Reading an article costs about as much CPU as everything else the crawl does for it (1.8 ms
against 2.0-2.6 ms a page, docs/benchmarks.md): in process, a crawl is held near 0.56x bare
Scrapy. With `EXTRACT_PROCESSES` workers the crawl process keeps the downloads, link judging and
pipelines, and the workers read.

The workers are `python -m crawler.reading.worker` processes fed through their standard input and
read from their standard output by the reactor's own event loop: no thread in the crawl process
(`ProcessPoolExecutor`'s threads wait for the GIL the reactor holds: the worker was busy 45% of
the crawl; docs/benchmarks.md, "Reading pages in worker processes").

A worker costs 0.15 s of CPU to start, which a cron run that finds five new articles need not
pay: the pool starts once the crawl has read `EXTRACT_PROCESSES_AFTER` article pages itself (20;
100 was 0.55x bare Scrapy, 0 was 0.63x; listings do not count), and until a worker says it is
ready the crawl keeps reading in process. A worker that dies (killed, out of memory) costs no page: its
pages are read in process, with one warning, and so is every page after once no worker is left.

One owner: the workers are the process's (`_Workers`), shared by the crawls of the process
(`newscrawl crawl --all` runs every site at once) and stopped at the `engine_stopped` of the
last crawl using them; each crawl's `ReadPool` (an extension, found by `ReadPool.of(crawler)`)
decides when its crawl joins them and counts its pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import pickle
import sys
from collections import deque
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.utils.reactor import is_asyncio_reactor_installed

from crawler.reading.reader import PageJob, PageReading, read_page
from crawler.reading.worker import HEADER, READY

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

class WorkerGone(Exception):
    """A worker process ended before answering."""


class PageFailed(Exception):
    """`read_page` raised in a worker: a bug, read again in process to raise it there."""


class _Worker:
    """One worker process: jobs written to its input, answers read by `answers`."""

    def __init__(self, process: asyncio.subprocess.Process, pool: _Workers) -> None:
        self.process = process
        self.pool = pool
        self.ready = False
        self.waiting: dict[int, asyncio.Future[PageReading]] = {}
        self.reader: asyncio.Task[None] | None = None

    def send(self, number: int, job: PageJob, future: asyncio.Future[PageReading]) -> None:
        assert self.process.stdin is not None
        payload = pickle.dumps((number, job), protocol=pickle.HIGHEST_PROTOCOL)
        # buffered by the transport, written as the pipe takes it: the reactor never blocks
        self.process.stdin.write(len(payload).to_bytes(HEADER, "big") + payload)
        self.waiting[number] = future

    async def answers(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            if pickle.loads(await _frame(stdout)) != READY:
                raise WorkerGone("it did not start")
            self.ready = True
            self.pool.dispatch()
            while True:
                number, reading, error = pickle.loads(await _frame(stdout))
                future = self.waiting.pop(number)
                if future.done():  # its reader went away (the crawl is stopping)
                    pass
                elif error is None:
                    future.set_result(reading)
                else:
                    future.set_exception(PageFailed(error))
                self.pool.dispatch()
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            self.fail(WorkerGone(f"it ended ({exc.__class__.__name__})"))
        except WorkerGone as exc:
            self.fail(exc)

    def fail(self, exc: WorkerGone) -> None:
        self.ready = False
        why = f"a page-reading worker process stopped: {exc}"
        waiting, self.waiting = self.waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(WorkerGone(why))
        self.pool.worker_gone(why)

    async def stop(self) -> None:
        if not self.ready:  # still starting (or gone): nothing to finish, no start to wait for
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()  # end of input: the worker ends
        try:
            await asyncio.wait_for(self.process.wait(), timeout=10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        if self.reader is not None:
            await self.reader


# Pages in a worker's pipe at once: enough that it never waits for the reactor to write the next,
# few enough that a listing queued behind them is read soon (20: 0.60x bare Scrapy against 0.57x
# at 8 and 0.51x at 64; docs/benchmarks.md).
IN_PIPE = 20
# A job is a whole page (47 KB on the bench site) and a Linux pipe holds 64 KB: the worker sat idle
# half the crawl. 1 MB (the unprivileged limit, /proc/sys/fs/pipe-max-size) holds about 20.
PIPE_SIZE = 1 << 20


def _widen_input(process: asyncio.subprocess.Process) -> None:
    assert process.stdin is not None
    pipe = process.stdin.transport.get_extra_info("pipe")
    # not Linux, or above the limit: slower, not wrong
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)


async def _frame(stream: asyncio.StreamReader) -> bytes:
    header = await stream.readexactly(HEADER)
    return await stream.readexactly(int.from_bytes(header, "big"))


class _Workers:
    """The worker processes of this process, shared by its crawls (`newscrawl crawl --all` runs
    every site at once: one set of workers, not one per site), and the queue of pages for them."""

    def __init__(self, processes: int, command: list[str]) -> None:
        self.processes = processes
        self.command = command
        self.workers: list[_Worker] = []
        self.users = 0
        self.broken: str | None = None  # why, once no worker is left
        self.starting = asyncio.ensure_future(self._start())
        self._urgent: deque[tuple[PageJob, asyncio.Future[PageReading]]] = deque()
        self._queued: deque[tuple[PageJob, asyncio.Future[PageReading]]] = deque()
        self._jobs = 0

    async def _start(self) -> None:
        try:
            for _ in range(self.processes):
                process = await asyncio.create_subprocess_exec(
                    *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
                _widen_input(process)
                worker = _Worker(process, self)
                worker.reader = asyncio.ensure_future(worker.answers())
                self.workers.append(worker)
        except OSError as exc:
            self.worker_gone(f"a page-reading worker process could not start ({exc})")

    def ready(self) -> bool:
        return any(worker.ready for worker in self.workers)

    def submit(self, job: PageJob, *, urgent: bool) -> asyncio.Future[PageReading]:
        future: asyncio.Future[PageReading] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._queued).append((job, future))
        self.dispatch()
        return future

    def dispatch(self) -> None:
        """Send queued pages, urgent first, to the ready workers with room in their pipe."""
        while self._urgent or self._queued:
            ready = [worker for worker in self.workers if worker.ready]
            if not ready:
                return
            worker = min(ready, key=lambda worker: len(worker.waiting))
            if len(worker.waiting) >= IN_PIPE:
                return
            job, future = (self._urgent or self._queued).popleft()
            if not future.done():
                self._jobs += 1
                worker.send(self._jobs, job, future)

    def worker_gone(self, why: str) -> None:
        """A worker ended: its pages were given back to their crawls, which read them; with none
        left ready, so are the queued pages, and every crawl reads in process from now on."""
        if self.ready():
            logger.warning("%s; %d worker process(es) left", why,
                           sum(worker.ready for worker in self.workers))
            self.dispatch()
            return
        if self.broken is None:
            self.broken = why
        if _shared.get(self.command[-1]) is self:  # the next crawl starts new workers
            del _shared[self.command[-1]]
        for queue in (self._urgent, self._queued):
            while queue:
                _, future = queue.popleft()
                if not future.done():
                    future.set_exception(WorkerGone(why))

    async def stop(self) -> None:
        await self.starting
        self.broken = self.broken or "stopped"
        if _shared.get(self.command[-1]) is self:
            del _shared[self.command[-1]]
        workers, self.workers = self.workers, []
        for worker in workers:
            await worker.stop()


# The process's workers, by log file (the part of their command a crawl can change); leased by
# each crawl's ReadPool, stopped with the last.
_shared: dict[str, _Workers] = {}


class ReadPool:
    """An extension: reads a crawl's pages in process, or in the process's `EXTRACT_PROCESSES`
    workers once the crawl has read `EXTRACT_PROCESSES_AFTER` pages (README, "Settings")."""

    def __init__(self, crawler: Crawler, processes: int = 0, after: int = 0) -> None:
        self.crawler = crawler
        self.processes = processes
        self.after = after
        self._workers: _Workers | None = None
        self._read_here = 0
        self._given_up = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReadPool:
        settings = crawler.settings
        processes = settings.getint("EXTRACT_PROCESSES")
        if processes and not is_asyncio_reactor_installed():
            logger.info("EXTRACT_PROCESSES=%d needs the asyncio reactor (TWISTED_REACTOR); "
                        "pages are read in the crawl process", processes)
            processes = 0
        pool = cls(crawler, processes, settings.getint("EXTRACT_PROCESSES_AFTER"))
        crawler.signals.connect(pool.engine_stopped, signal=signals.engine_stopped)
        return pool

    @classmethod
    def of(cls, crawler: Crawler) -> ReadPool:
        """The crawl's pool (`crawler.get_extension`); one that reads in process when the
        extension is not enabled."""
        pool = crawler.get_extension(cls)
        return pool if pool is not None else cls(crawler)

    async def read(self, job: PageJob, *, urgent: bool = False) -> PageReading:
        """The page read by a worker, or in process while none is ready. `urgent`: a page whose
        links the crawl waits for (a listing), read before the articles queued."""
        workers = self._ready_workers(counted=job.article and not urgent)
        if workers is None:
            return read_page(job)
        try:
            reading = await workers.submit(job, urgent=urgent)
        except WorkerGone:  # the page is not lost
            if workers.broken is not None:
                self._give_up(workers.broken)
            return read_page(job)
        except PageFailed:  # read again here, to fail here with the crawl's own traceback
            return read_page(job)
        self._count("extract/pages_read_by_workers")
        return reading

    def _ready_workers(self, *, counted: bool) -> _Workers | None:
        """The workers to read with, or None (read in process). `counted`: an article page,
        one of the `after` the crawl reads itself; a listing is not (a second run of `news`
        reads 70 listings and no article: it starts no process)."""
        if self._given_up or not self.processes:
            return None
        if self._workers is None:
            self._read_here += counted
            if self._read_here > self.after:
                self._lease()
            return None
        if self._workers.broken is not None:
            self._give_up(self._workers.broken)
            return None
        return self._workers if self._workers.ready() else None

    def _lease(self) -> None:
        settings = self.crawler.settings
        command = [sys.executable, "-m", "crawler.reading.worker",
                   "--log-level", settings.get("LOG_LEVEL"),
                   "--log-format", settings.get("LOG_FORMAT"),
                   "--log-dateformat", settings.get("LOG_DATEFORMAT"),
                   "--log-file", settings.get("LOG_FILE") or ""]
        workers = _shared.get(command[-1])
        if workers is None:
            workers = _shared[command[-1]] = _Workers(self.processes, command)
            self._count("extract/processes", self.processes)
            logger.info("reading pages in %d worker process(es) once started (%d article pages "
                        "read in process)", self.processes, self._read_here - 1)
        workers.users += 1
        self._workers = workers

    def _give_up(self, why: str) -> None:
        if self._given_up:
            return
        self._given_up = True
        logger.warning("%s; pages are read in the crawl process from now on", why)
        self._count("extract/pool_given_up")

    def _count(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    async def engine_stopped(self) -> None:
        self._given_up = True  # stopping the workers below is no failure to report
        workers, self._workers = self._workers, None
        if workers is not None:
            workers.users -= 1
            if workers.users == 0:
                await workers.stop()
