"""scrapy-redis's priority queue, popped into a worker's in-flight hash in one atomic step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy_redis.queue import PriorityQueue

from crawler.scrapy_compat import decode_queued_request

if TYPE_CHECKING:
    from redis import Redis
    from scrapy import Request, Spider


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
        return field, decode_queued_request(self, data)

    def requeue(self, inflight_key: str) -> int:
        """Put every request of `inflight_key` back; the number of requests."""
        return int(self._requeue(keys=[inflight_key, self.key]))
