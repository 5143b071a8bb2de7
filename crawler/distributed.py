"""Distributed mode: many workers on many machines share one crawl per site through Redis.

Loaded only when `REDIS_URL` is set (crawler/settings.py, "Distributed mode"); without it nothing
here is imported and Redis is not needed. The queue and the duplicate filter are scrapy-redis's;
this module adds what a cron-driven fleet of workers needs around them:

- **Rounds.** The first worker to start on a site opens a round: `SET <prefix>:<site>:round <id>
  NX` succeeds for it alone, so it alone seeds the section pages (`SeedOncePerRound`); workers that
  start while the round is open join it and only consume. The round's duplicate filter is keyed
  by the round id, so each URL is scheduled once per round across all workers, and the next round
  starts with an empty filter and sees the new articles on the same section URLs.
- **In-flight requests survive a dead worker.** A request is moved from the shared queue into the
  worker's in-flight hash in one atomic step (a Lua script) and leaves it only once the engine has
  finished with it: response parsed, new requests queued, item stored. Each worker keeps a
  heartbeat key alive; any worker that sees a heartbeat expire moves that worker's in-flight
  requests back into the queue, again atomically. In distributed mode `STORE_BATCH_SIZE` defaults
  to 1, so "item processed" means "item in the database".
- **Idle close.** A worker closes once the shared queue has been empty, and no worker has had a
  request in flight, for `SCHEDULER_IDLE_BEFORE_CLOSE` seconds; the last one out ends the round
  (deletes the round key and the round's duplicate filter). A worker stopped earlier (time limit)
  leaves the round open, and the next worker started joins it and carries on.
- **One run record per round** (`RoundRunRecorder`): `run_id` is the round id, each worker writes
  its own figures under `workers.<worker id>`, and the round's totals and verdict are recomputed
  by every worker that closes.

Redis keys, per site (`REDIS_KEY_PREFIX` defaults to `newscrawl`): `<prefix>:<site>:requests`
(the scrapy-redis priority queue), `<prefix>:<site>:dupefilter:<round>`, `<prefix>:<site>:round`,
`<prefix>:<site>:workers` (a set), `<prefix>:<site>:alive:<worker>` (heartbeat, expires after
`REDIS_WORKER_TIMEOUT` s) and `<prefix>:<site>:inflight:<worker>` (a hash).

Stats: distributed/round, distributed/worker, distributed/seeded, distributed/recovered (requests
of dead workers put back in the queue by this one), distributed/recovered_from/<worker>,
distributed/round_ended, distributed/redis_errors.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.runs import RunRecorder, judge_run, summarise_stats
from crawler.storage import SCHEMA_VERSION

if TYPE_CHECKING:
    from redis import Redis
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


class RedisUnavailable(RuntimeError):
    """Redis cannot be reached; the message is safe to print (password masked)."""


def mask_redis_url(url: str) -> str:
    """
    >>> mask_redis_url("redis://:s3cret@cache.example:6379/2")
    'redis://:***@cache.example:6379/2'
    >>> mask_redis_url("rediss://crawler:s3cret@cache.example/0")
    'rediss://crawler:***@cache.example/0'
    >>> mask_redis_url("redis://127.0.0.1:6379")
    'redis://127.0.0.1:6379'
    """
    return re.sub(r"(?<=://)([^:/@]*):([^@]*)@", r"\1:***@", url)


def connect_redis(settings: BaseSettings) -> Redis:
    """The client `REDIS_URL` names, after a successful ping, or `RedisUnavailable`."""
    url = str(settings.get("REDIS_URL") or "")
    client = get_redis_from_settings(settings)
    try:
        client.ping()
    except RedisError as exc:
        raise RedisUnavailable(f"cannot reach Redis at {mask_redis_url(url)}: {exc}") from None
    return client


def worker_id() -> str:
    """This process's name in Redis keys and run records: host, pid and a random suffix (no dots,
    which MongoDB would read as a path)."""
    host = re.sub(r"[^\w-]", "-", socket.gethostname())
    return f"{host}-{os.getpid()}-{secrets.token_hex(2)}"


def new_round_id(now: dt.datetime) -> str:
    """
    >>> new_round_id(dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.UTC))[:17]
    '20240501T083000Z-'
    """
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class RoundKeys:
    """The Redis keys of one site.

    >>> keys = RoundKeys("newscrawl", "techactu")
    >>> keys.round, keys.inflight("w1")
    ('newscrawl:techactu:round', 'newscrawl:techactu:inflight:w1')
    """

    prefix: str
    site: str

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, self.site, *parts))

    @property
    def round(self) -> str:
        return self._key("round")

    @property
    def workers(self) -> str:
        return self._key("workers")

    def alive(self, worker: str) -> str:
        return self._key("alive", worker)

    def inflight(self, worker: str) -> str:
        return self._key("inflight", worker)


# Pop the best request and record it in the worker's in-flight hash, in one step: a worker killed
# at any point leaves each request either in the queue or in its in-flight hash. The hash field
# carries the queue score, so the request goes back with its priority. Returns 0, popping nothing,
# once the worker's round (ARGV[1]) is no longer the open one.
_POP_INTO = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
redis.call('ZREM', KEYS[1], item[1])
local field = item[2] .. ':' .. redis.sha1hex(item[1])
redis.call('HSET', KEYS[2], field, item[1])
return {field, item[1]}
"""

# Move every request of an in-flight hash back into the queue, and delete the hash.
_REQUEUE = """
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  redis.call('ZADD', KEYS[2], string.match(entries[i], '^(.-):'), entries[i + 1])
end
redis.call('DEL', KEYS[1])
return #entries / 2
"""

# End a round: delete its duplicate filter, and the round key if it still names this round.
_END_ROUND = """
redis.call('DEL', KEYS[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


class InFlightQueue(PriorityQueue):
    """scrapy-redis's priority queue, popped into an in-flight hash instead of into thin air."""

    def __init__(self, server: Redis, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self._pop_into = server.register_script(_POP_INTO)
        self._requeue = server.register_script(_REQUEUE)

    def pop_into(self, inflight_key: str, *, round_key: str,
                 round_id: str) -> tuple[bytes, Request] | bool | None:
        """(hash field, request); None when the queue is empty; False when the round is over."""
        popped = self._pop_into(keys=[self.key, inflight_key, round_key], args=[round_id])
        if popped == 0:
            return False
        if not popped:
            return None
        field, data = popped
        return field, self._decode_request(data)

    def requeue(self, inflight_key: str) -> int:
        """Put every request of `inflight_key` back; the number of requests."""
        return int(self._requeue(keys=[inflight_key, self.key]))


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
        self._inflight: dict[bytes, Request] = {}  # popped by this worker, not finished yet
        self._idle_since: float | None = None
        self._redis_error_logged = False
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
            key_prefix=settings.get("REDIS_KEY_PREFIX", "newscrawl"),
            queue_key=settings.get("SCHEDULER_QUEUE_KEY", "newscrawl:%(spider)s:requests"),
            dupefilter_key=settings.get("SCHEDULER_DUPEFILTER_KEY",
                                        "newscrawl:%(spider)s:dupefilter:%(round)s"),
            idle_before_close=settings.getfloat("SCHEDULER_IDLE_BEFORE_CLOSE", 10.0),
            worker_timeout=settings.getfloat("REDIS_WORKER_TIMEOUT", 30.0),
            round_ttl=settings.getint("REDIS_ROUND_TTL", 86400),
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
            pipe.hlen(self.keys.inflight(_text(worker)))
        return any(pipe.execute())

    # --- the heartbeat --------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        """Every second (at most a third of REDIS_WORKER_TIMEOUT): `_tick`, then a nudge to the
        engine so that an idle worker takes new requests at once rather than at the engine's next
        5-second heartbeat."""
        self._tick()
        slot = getattr(self.crawler.engine, "_slot", None)  # Scrapy has no public "wake up"
        if slot is not None and slot.closing is None:
            slot.nextcall.schedule()

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
            if _text(current or b"") != self.round_id:
                self._round_ended_elsewhere()
            self._forget_finished()
            self._recover_dead_workers()
        except RedisError as exc:
            self._redis_failed(exc)

    def _forget_finished(self) -> None:
        """Drop from the in-flight hash the requests the engine has finished with.

        The engine keeps a request in its slot's `inprogress` set from download to the end of its
        scraping (callback output queued, items through the pipelines); there is no public
        equivalent.
        """
        slot = getattr(self.crawler.engine, "_slot", None)
        in_progress: Iterable[Request] = slot.inprogress if slot is not None else ()
        active = {id(request) for request in in_progress}
        finished = [field for field, request in self._inflight.items() if id(request) not in active]
        if not finished:
            return
        self.server.hdel(self.keys.inflight(self.worker), *finished)
        for field in finished:
            del self._inflight[field]

    def _recover_dead_workers(self) -> None:
        others = [_text(w) for w in self.server.smembers(self.keys.workers)]
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
                return _text(current), False
        raise RedisUnavailable(f"could not open or join a round on {self.keys.round}")

    def _round_ended_elsewhere(self) -> None:
        if not self.round_over:
            self.round_over = True
            logger.info("%s: round %s has ended; this worker takes no more requests",
                        self.spider.name, self.round_id)

    def _redis_failed(self, exc: Exception) -> None:
        self.stats.inc_value("distributed/redis_errors")
        if not self._redis_error_logged:
            self._redis_error_logged = True
            logger.warning("Redis failed: %s (further failures are counted, not logged)", exc)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class SeedOncePerRound:
    """A spider middleware: start requests (section pages, feeds, sitemaps) go to the shared queue
    only from the worker that opened the round; the others consume."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeedOncePerRound:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        if not getattr(scheduler, "seeds_round", True):
            logger.debug("joined an open round: its start requests are already queued")
            return
        async for item_or_request in start:
            yield item_or_request


def merge_figures(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Sum run-record figures: numbers add up, nested mappings add up key by key.

    >>> merge_figures([{"requests": 3, "articles": {"new": 2}, "dropped": {}},
    ...                {"requests": 4, "articles": {"new": 1, "updated": 1}, "dropped": {"x": 1}}])
    {'requests': 7, 'articles': {'new': 3, 'updated': 1}, 'dropped': {'x': 1}}
    """
    total: dict[str, Any] = {}
    for entry in entries:
        for key, value in entry.items():
            if isinstance(value, Mapping):
                before = total.get(key)
                total[key] = merge_figures([before if isinstance(before, Mapping) else {}, value])
            elif isinstance(value, int | float) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return total


_FIGURES = ("requests", "responses", "responses_by_status", "articles", "dropped",
            "date_parse_failures", "errors", "download_errors", "section_article_links")


class RoundRunRecorder(RunRecorder):
    """One run record per round: `run_id` is the round id; each worker `$set`s its figures under
    `workers.<worker id>` and recomputes the round's totals; once the round has ended they carry
    its verdict. A worker that found nothing left to do has not failed."""

    def spider_opened(self, spider: Spider) -> None:
        self.run_id = self.stats.get_value("newscrawl/run_id") or self.run_id
        self.worker = self.stats.get_value("distributed/worker") or worker_id()
        self.previous = self.runs.latest(spider.name, excluding=self.run_id)
        entry = {"host": socket.gethostname(), "pid": os.getpid(), "started_at": self.started_at,
                 "status": "running", "seeded": bool(self.stats.get_value("distributed/seeded"))}
        self._update({"$setOnInsert": {
            "run_id": self.run_id, "spider": spider.name, "host": entry["host"], "distributed": True,
            "started_at": self.started_at, "status": "running", "schema_version": SCHEMA_VERSION,
        }, "$set": {f"workers.{self.worker}": entry}}, upsert=True)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        finished_at = dt.datetime.now(dt.UTC)
        stats = self.stats.get_stats()
        figures = summarise_stats(stats)
        figures["recovered_requests"] = int(stats.get("distributed/recovered", 0))
        nothing_to_do = reason == "finished" and figures["requests"] == 0
        failure = None if nothing_to_do else judge_run(figures, reason, self.previous,
                                                       max_error_rate=self.max_error_rate)
        if failure is None and stats.get("distributed/redis_errors"):
            failure = (f"Redis failed {stats['distributed/redis_errors']} times: "
                       "the round may be incomplete")
        status = "interrupted" if reason == "shutdown" else ("failed" if failure else "ok")
        self.stats.set_value("newscrawl/status", status)
        self.stats.set_value("newscrawl/failure_reason", failure)
        entry = {
            "host": socket.gethostname(), "pid": os.getpid(), "started_at": self.started_at,
            "seeded": bool(stats.get("distributed/seeded")), **figures,
            "finished_at": finished_at, "finish_reason": reason,
            "duration_s": round((finished_at - self.started_at).total_seconds(), 3),
            "status": status, "failed": failure is not None, "failure_reason": failure,
        }
        updates: dict[str, Any] = {f"workers.{self.worker}": entry}
        for key, count in stats.items():
            if key.startswith("distributed/recovered_from/"):
                lost = key.rsplit("/", 1)[1]
                updates[f"workers.{lost}.status"] = "lost"
                updates[f"workers.{lost}.requeued_requests"] = int(count)
        try:
            self._update({"$set": updates, "$inc": {"closed_workers": 1}})
            self._update_round(spider, ended=bool(stats.get("distributed/round_ended")))
        except Exception as exc:  # the articles are stored; losing the record is logged
            logger.error("could not write the run record %s: %s", self.run_id, exc)
        if failure:
            logger.error("worker %s of round %s of %s failed: %s", self.worker, self.run_id,
                         spider.name, failure)

    def _update(self, update: Mapping[str, Any], *, upsert: bool = False) -> None:
        self.runs.update(self.run_id, update, upsert=upsert)

    def _update_round(self, spider: Spider, *, ended: bool) -> None:
        """Totals over the workers that closed; the write is conditional on no other worker having
        closed meanwhile (that one writes fresher totals itself)."""
        for _ in range(5):
            record = self.runs.get(self.run_id) or {}
            done = [w for w in (record.get("workers") or {}).values() if "finished_at" in w]
            totals = merge_figures({k: w[k] for k in _FIGURES if k in w} for w in done)
            fields: dict[str, Any] = {**totals, "workers_count": len(record.get("workers") or {})}
            if ended or record.get("round_ended"):
                finished_at = max(w["finished_at"] for w in done)
                failure = judge_run(totals, "finished", self.previous,
                                    max_error_rate=self.max_error_rate)
                started_at = record.get("started_at") or self.started_at
                fields.update(
                    round_ended=True, finished_at=finished_at, finish_reason="finished",
                    duration_s=round((finished_at - started_at).total_seconds(), 3),
                    status="failed" if failure else "ok", failed=failure is not None,
                    failure_reason=failure,
                )
            if self.runs.set_if(self.run_id, {"closed_workers": record.get("closed_workers")},
                                fields):
                if fields.get("failed"):
                    logger.error("round %s of %s failed: %s", self.run_id, spider.name,
                                 fields["failure_reason"])
                return
