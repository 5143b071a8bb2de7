"""Can this crawl start? The database, and Redis in distributed mode, checked before any crawl, for
`newscrawl crawl` and `scrapy crawl` alike (one printable line instead of a crawl that fails late)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.errors import DatabaseUnavailable, RedisUnavailable
from crawler.extensions.database import needs_database, open_database

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


def preflight(settings: BaseSettings) -> str | None:
    """Why a crawl with these settings cannot start (one printable line), or None.

    Checks the database when the crawl has an owner for it, and Redis in distributed mode. The
    client opened here stays open for the crawls of this process.
    """
    if needs_database(settings):
        try:
            open_database(settings)
        except DatabaseUnavailable as exc:
            return str(exc)
    if settings.get("REDIS_URL"):
        # imported here: redis is loaded only in distributed mode
        from crawler.distributed.connection import connect_redis

        try:
            connect_redis(settings)
        except RedisUnavailable as exc:
            return str(exc)
    return None
