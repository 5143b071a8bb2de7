"""Settings -> a ready database handle: `MONGO_URI`, or the embedded default server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.embedded import EmbeddedServer
from crawler.storage import connect

if TYPE_CHECKING:
    from pymongo.database import Database
    from scrapy.settings import BaseSettings


def database_uri(settings: BaseSettings) -> str:
    """`MONGO_URI`, or the embedded server's URI after making sure it runs."""
    uri = settings.get("MONGO_URI")
    if uri:
        return str(uri)
    server = EmbeddedServer(var_dir=Path(settings.get("VAR_DIR", "var")),
                            port=settings.getint("EMBEDDED_DB_PORT", 27117))
    return server.ensure_running()


def open_database(settings: BaseSettings) -> Database[dict[str, Any]]:
    """Connect (raises `DatabaseUnavailable` with the password masked, or RuntimeError)."""
    return connect(database_uri(settings), settings.get("MONGO_DATABASE", "newscrawl"),
                   timeout_ms=settings.getint("MONGO_TIMEOUT_MS", 5000))
