"""Connecting to MongoDB: a ready database handle from settings, or `DatabaseUnavailable` with the
URI's password masked; lost connections surfacing as `DatabaseUnavailable` too."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import (
    ConnectionFailure,
    PyMongoError,
)
from pymongo.uri_parser import parse_uri

from crawler.errors import DatabaseUnavailable
from crawler.links.urls import mask_uri

logger = logging.getLogger(__name__)

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _has_credentials(uri: str) -> bool:
    """
    >>> _has_credentials("mongodb://bob:pw@db:27017/"), _has_credentials("mongodb://db/")
    (True, False)
    """
    try:
        return bool(parse_uri(uri, warn=True).get("username"))
    except Exception:  # a malformed URI: its own message says so
        return False


def connect(uri: str, database: str, *, timeout_ms: int = 5000) -> Database[dict[str, Any]]:
    """A database handle after a successful ping, or `DatabaseUnavailable`."""
    try:
        client: MongoClient[dict[str, Any]] = MongoClient(
            uri,
            tz_aware=True,
            tzinfo=dt.UTC,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            appname="newscrawl",
        )
        client.admin.command("ping")
    except PyMongoError as exc:
        reason = str(exc).split(",")[0].split(" (configured timeouts")[0]
        raise DatabaseUnavailable(
            f"cannot reach MongoDB at {mask_uri(uri)}: {mask_uri(reason)}"
        ) from None
    except Exception as exc:  # a malformed URI raises ValueError/ConfigurationError
        if _has_credentials(uri) and not isinstance(exc, ValueError):
            # pymongo's SCRAM exchange against a server without users (the embedded nx-27017
            # answers a login without its `payload`) fails with a bare KeyError('payload')
            raise DatabaseUnavailable(
                f"cannot log in to MongoDB at {mask_uri(uri)}: the server does not support the "
                f"login MONGO_URI gives (a user and password against a server without users, "
                f"such as the embedded database?); remove them from MONGO_URI or create the user"
            ) from None
        raise DatabaseUnavailable(f"cannot use MONGO_URI {mask_uri(uri)}: {mask_uri(str(exc))}") from None
    return client[database]


def connection_errors_as_unavailable(method: _Method) -> _Method:
    """A lost connection surfaces as `DatabaseUnavailable` (password masked), so that callers
    handle an outage without knowing pymongo's exception tree."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except ConnectionFailure as exc:
            raise DatabaseUnavailable(f"lost the database: {mask_uri(str(exc))[:300]}") from None

    return cast("_Method", wrapper)


def drop_database(database: Database[dict[str, Any]]) -> None:
    """Remove a whole database (the demo's, or a test's)."""
    database.client.drop_database(database.name)
