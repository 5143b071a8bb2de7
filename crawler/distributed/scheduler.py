"""The round scheduler: scrapy-redis's scheduler with rounds, in-flight tracking and idle close."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.connection import (
    RoundKeys,
    TeachingCopies,
    connect_redis,
    decoded,
    new_round_id,
    worker_id,
)
from crawler.distributed.queue import InFlightQueue
from crawler.errors import RedisUnavailable
from crawler.logs import LogOnce
from crawler.scrapy_compat import requests_in_progress, wake_engine

if TYPE_CHECKING:
    from redis import Redis
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# End a round: delete its duplicate filter, and the round key if it still names this round.
_END_ROUND = """
redis.call('DEL', KEYS[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


class RoundScheduler(Scheduler):
    """scrapy-redis's scheduler, with rounds, in-flight tracking and idle close (module docstring).

    Settings: REDIS_URL, REDIS_KEY_PREFIX, SCHEDULER_QUEUE_KEY, SCHEDULER_DUPEFILTER_KEY (may use
    `%(round)s` besides `%(spider)s`), SCHEDULER_IDLE_BEFORE_CLOSE, REDIS_WORKER_TIMEOUT,
    REDIS_ROUND_TTL.
    """

    def __init__(self, server: Redis, crawler: Crawler, *, key_prefix: str, queue_key: str,
                 dupefilter_key: str, idle_before_close: float, worker_timeout: float,
                 round_ttl: int, dupefilter_debug: bool = False) -> None:
        super().__init__(server, persist=True, queue_key=queue_key, dupefilter_key=dupefilter_key)
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.key_prefix = key_prefix
        self.idle_close_seconds = idle_before_close
        self.worker_timeout = worker_timeout
        self.round_ttl = round_ttl
        self.dupefilter_debug = dupefilter_debug
        self.worker = worker_id()
        self.round_id = ""
        self.seeds_round = False
        self.round_over = False
        # the round's budget of teaching copies, read by ParamFilterMiddleware (set at `open`)
        self.teaching_copies: TeachingCopies | None = None
        self._inflight: dict[bytes, Request] = {}  # popped by this worker, not finished yet
        self._idle_since: float | None = None
        self._log_once = LogOnce(logger)
        self._ticker: Any = None
        self._end_round = server.register_script(_END_ROUND)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RoundScheduler:
        settings = crawler.settings
        if not settings.get("MONGO_URI"):
            logger.warning("distributed mode with the embedded database (MONGO_URI empty): workers "
                           "on other machines write into databases of their own (README, Scaling out)")
        return cls(
            connect_redis(settings), crawler,
            key_prefix=settings.get("REDIS_KEY_PREFIX"),
            queue_key=settings.get("SCHEDULER_QUEUE_KEY"),
            dupefilter_key=settings.get("SCHEDULER_DUPEFILTER_KEY"),
            idle_before_close=settings.getfloat("SCHEDULER_IDLE_BEFORE_CLOSE"),
            worker_timeout=settings.getfloat("REDIS_WORKER_TIMEOUT"),
            round_ttl=settings.getint("REDIS_ROUND_TTL"),
            dupefilter_debug=settings.getbool("DUPEFILTER_DEBUG"),
        )

    # --- the scheduler interface ----------------------------------------------------------------

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.keys = RoundKeys(self.key_prefix, spider.name)
        self.queue = InFlightQueue(self.server, spider, self.queue_key % {"spider": spider.name},
                                   self.serializer)
        self.round_id, self.seeds_round = self._join_round()
        self.df = RFPDupeFilter(self.server, debug=self.dupefilter_debug,
                                key=self.dupefilter_key % {"spider": spider.name, "round": self.round_id})
        self.teaching_copies = TeachingCopies(self.server, self.keys, self.round_id, self.round_ttl)
        self._tick()  # heartbeat, then registration
        for name, value in (("round", self.round_id), ("worker", self.worker),
                            ("seeded", int(self.seeds_round))):
            self.stats.set_value(f"distributed/{name}", value)
        # The round names the run: the run record and every article stored carry its id.
        self.stats.set_value("newscrawl/run_id", self.round_id)
        logger.info("%s: worker %s %s round %s (%d requests queued)", spider.name, self.worker,
                    "opened" if self.seeds_round else "joined", self.round_id, len(self.queue))
        self._ticker = create_looping_call(self._heartbeat)
        self._ticker.start(min(1.0, self.worker_timeout / 3), now=False)

    def close(self, reason: str) -> None:
        if not self.round_id:  # never opened
            return
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        try:
            self._leave_round(reason)
        except RedisError as exc:  # the heartbeat expires: another worker re-queues what we held
            self._redis_failed(exc)

    def _leave_round(self, reason: str) -> None:
        # The engine has finished every request it took and the pipelines have flushed: what is
        # left in the hash (nothing, normally) goes back to the queue for the others.
        self._forget_finished()
        requeued = self.queue.requeue(self.keys.inflight(self.worker))
        if requeued:
            logger.warning("%s: %d unfinished requests put back in the queue", self.spider.name, requeued)
        pipe = self.server.pipeline()
        pipe.delete(self.keys.alive(self.worker))
        pipe.srem(self.keys.workers, self.worker)
        pipe.execute()
        if reason == "finished" and not self.round_over and self._drained():
            ended = self._end_round(keys=[self.keys.round, self.df.key], args=[self.round_id])
            self.stats.set_value("distributed/round_ended", True)
            logger.info("%s: round %s is complete%s", self.spider.name, self.round_id,
                        "" if ended else " (already ended by another worker)")

    def enqueue_request(self, request: Request) -> bool:
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
            self.queue.push(request)
        except RedisError as exc:
            self.stats.inc_value("distributed/redis_errors")
            logger.error("%s: request lost, Redis failed: %s (%s)", self.spider.name, request, exc)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.round_over:
            return None
        try:
            # the engine asks right after a request finishes: the best moment to drop it
            self._forget_finished()
            popped = self.queue.pop_into(self.keys.inflight(self.worker), round_key=self.keys.round,
                                         round_id=self.round_id)
        except RedisError as exc:
            self._redis_failed(exc)
            return None
        if popped is False:
            self._round_ended_elsewhere()
            return None
        if not isinstance(popped, tuple):
            return None
        field, request = popped
        self._inflight[field] = request
        self._idle_since = None
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self.round_over:
            return False
        try:
            return len(self.queue) > 0
        except RedisError as exc:
            self._redis_failed(exc)
            return False

    # --- idle close -----------------------------------------------------------------------------

    def spider_idle(self, spider: Spider) -> None:
        """Keep an idle worker open while the round may still bring work."""
        if self.round_over:
            return
        try:
            self._forget_finished()
            busy = len(self.queue) > 0 or self._work_in_flight()
        except RedisError as exc:
            self._redis_failed(exc)
            busy = False
        now = time.monotonic()
        if busy or self._idle_since is None:
            self._idle_since = now
        if busy or now - self._idle_since < self.idle_close_seconds:
            raise DontCloseSpider

    def _drained(self) -> bool:
        return len(self.queue) == 0 and not self._work_in_flight()

    def _work_in_flight(self) -> bool:
        """Whether any worker of the site, alive or dead, holds a request."""
        workers = sorted(self.server.smembers(self.keys.workers))
        pipe = self.server.pipeline()
        for worker in workers:
            pipe.hlen(self.keys.inflight(decoded(worker)))
        return any(pipe.execute())

    # --- the heartbeat --------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        """Every second (at most a third of REDIS_WORKER_TIMEOUT): `_tick`, then a nudge to the
        engine so that an idle worker takes new requests at once rather than at the engine's next
        5-second heartbeat."""
        self._tick()
        wake_engine(self.crawler)

    def _tick(self) -> None:
        """Heartbeat key, finished requests out of the in-flight hash, dead workers' requests
        back in the queue, and whether the round is still the open one."""
        try:
            ttl_ms = int(self.worker_timeout * 1000)
            pipe = self.server.pipeline()
            pipe.set(self.keys.alive(self.worker), self.round_id, px=ttl_ms)
            pipe.sadd(self.keys.workers, self.worker)
            pipe.expire(self.keys.round, self.round_ttl)
            pipe.expire(self.df.key, self.round_ttl)
            pipe.get(self.keys.round)
            current = pipe.execute()[-1]
            if decoded(current or b"") != self.round_id:
                self._round_ended_elsewhere()
            self._forget_finished()
            self._recover_dead_workers()
        except RedisError as exc:
            self._redis_failed(exc)

    def _forget_finished(self) -> None:
        """Drop from the in-flight hash the requests the engine has finished with.

        The engine keeps a request in progress from download to the end of its scraping (callback
        output queued, items through the pipelines); see crawler/scrapy_compat.py.
        """
        active = {id(request) for request in requests_in_progress(self.crawler)}
        finished = [field for field, request in self._inflight.items() if id(request) not in active]
        if not finished:
            return
        self.server.hdel(self.keys.inflight(self.worker), *finished)
        for field in finished:
            del self._inflight[field]

    def _recover_dead_workers(self) -> None:
        others = [decoded(w) for w in self.server.smembers(self.keys.workers)]
        others = [w for w in others if w != self.worker]
        if not others:
            return
        pipe = self.server.pipeline()
        for worker in others:
            pipe.exists(self.keys.alive(worker))
        for worker, alive in zip(others, pipe.execute(), strict=True):
            if alive:
                continue
            count = self.queue.requeue(self.keys.inflight(worker))
            self.server.srem(self.keys.workers, worker)
            if count:
                self.stats.inc_value("distributed/recovered", count)
                self.stats.inc_value(f"distributed/recovered_from/{worker}", count)
                logger.warning("%s: worker %s stopped with %d requests unfinished: back in the queue",
                               self.spider.name, worker, count)

    # --- helpers --------------------------------------------------------------------------------

    def _join_round(self) -> tuple[str, bool]:
        """The open round's id, and whether this worker opened it (and so seeds it)."""
        for _ in range(5):
            candidate = new_round_id(dt.datetime.now(dt.UTC))
            if self.server.set(self.keys.round, candidate, nx=True, ex=self.round_ttl):
                return candidate, True
            current = self.server.get(self.keys.round)
            if current is not None:
                return decoded(current), False
        raise RedisUnavailable(f"could not open or join a round on {self.keys.round}")

    def _round_ended_elsewhere(self) -> None:
        if not self.round_over:
            self.round_over = True
            logger.info("%s: round %s has ended; this worker takes no more requests",
                        self.spider.name, self.round_id)

    def _redis_failed(self, exc: Exception) -> None:
        self.stats.inc_value("distributed/redis_errors")
        self._log_once.warning("redis", "Redis failed: %s", exc)
