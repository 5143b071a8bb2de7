"""Redis for distributed mode: the client, masked URLs, worker and round names, the keys of a site."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from scrapy_redis.connection import get_redis_from_settings

from crawler.errors import RedisUnavailable
from crawler.links.urls import mask_uri

if TYPE_CHECKING:
    from redis import Redis
    from scrapy.settings import BaseSettings


def connect_redis(settings: BaseSettings) -> Redis:
    """The client `REDIS_URL` names, after a successful ping, or `RedisUnavailable`."""
    url = str(settings.get("REDIS_URL") or "")
    client = get_redis_from_settings(settings)
    try:
        client.ping()
    except RedisError as exc:
        raise RedisUnavailable(f"cannot reach Redis at {mask_uri(url)}: {exc}") from None
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

    def teaching(self, round_id: str, host: str, param: str) -> str:
        return self._key("teaching", round_id, host, param)


class TeachingCopies:
    """The pages whose parameter copies the workers of one round sent to learn a parameter
    from: one budget for every worker, so that two workers do not each send `limit` copies.

    A claim adds the page to the (host, parameter) set and reads its size in one transaction;
    it is granted when the page is new to the set and the set holds at most `limit` pages. The
    sets expire with the round.
    """

    def __init__(self, server: Redis, keys: RoundKeys, round_id: str, ttl: int) -> None:
        self.server = server
        self.keys = keys
        self.round_id = round_id
        self.ttl = ttl

    def claim(self, host: str, param: str, page: str, limit: int) -> tuple[bool, bool] | None:
        """(granted, budget spent), or None when Redis failed (the caller then counts alone)."""
        key = self.keys.teaching(self.round_id, host, param)
        pipe = self.server.pipeline(transaction=True)
        pipe.sadd(key, page)
        pipe.scard(key)
        pipe.expire(key, self.ttl)
        try:
            added, size, _ = pipe.execute()
        except RedisError:
            return None
        return bool(added) and int(size) <= limit, int(size) >= limit


def decoded(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
