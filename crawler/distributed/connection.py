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
from crawler.urls import mask_uri

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


def decoded(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
