"""MongoDB storage: the only module that uses pymongo.

`connect()` turns settings into a ready database handle (or raises `DatabaseUnavailable` with the
URI's password masked); `ArticleStore` and `RunStore` receive that handle. Only operations that
behave the same on MongoDB and on the embedded nx-27017 server are used: bulk `UpdateOne` upserts
with `$set`/`$setOnInsert`, `find` with `$in`, plain indexes.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import DESCENDING, MongoClient, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, PyMongoError

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# Fields the store owns; everything else in a document comes from the item.
_BOOKKEEPING = ("first_seen_at", "last_seen_at", "run_id", "schema_version", "revision")


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the message is safe to print (password masked)."""


def mask_uri(uri: str) -> str:
    """
    >>> mask_uri("mongodb://bob:s3cret@db.example:27017/x?authSource=admin")
    'mongodb://bob:***@db.example:27017/x?authSource=admin'
    >>> mask_uri("mongodb://127.0.0.1:27017")
    'mongodb://127.0.0.1:27017'
    """
    return re.sub(r"(?<=://)([^:/@]+):([^@]*)@", r"\1:***@", uri)


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
        raise DatabaseUnavailable(f"cannot use MONGO_URI {mask_uri(uri)}: {mask_uri(str(exc))}") from None
    return client[database]


@dataclass(frozen=True)
class WriteResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


class ArticleStore:
    """The articles collection: one document per canonical URL (`url`, unique)."""

    def __init__(self, database: Database[dict[str, Any]], collection: str = "articles") -> None:
        self.collection = database[collection]

    def ensure_indexes(self) -> None:
        self.collection.create_index("url", unique=True, name="url_unique")
        self.collection.create_index(
            [("source", 1), ("published_at", DESCENDING)], name="source_published_at"
        )
        self.collection.create_index([("published_at", DESCENDING)], name="published_at")

    def upsert_many(self, documents: Sequence[Mapping[str, Any]], *, run_id: str,
                    now: dt.datetime) -> WriteResult:
        """Insert new articles and refresh known ones, in one unordered bulk write.

        `first_seen_at` is set only on insert; everything else, `last_seen_at` and `run_id`
        included, is `$set`, so writing the same article twice leaves one document.
        """
        if not documents:
            return WriteResult()
        operations = []
        for document in documents:
            fields = {k: v for k, v in document.items() if k not in _BOOKKEEPING and k != "_id"}
            fields.update(last_seen_at=now, run_id=run_id, schema_version=SCHEMA_VERSION)
            operations.append(
                UpdateOne(
                    {"url": document["url"]},
                    {"$set": fields, "$setOnInsert": {"first_seen_at": now, "revision": 1}},
                    upsert=True,
                )
            )
        try:
            result = self.collection.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            # Two writers inserting the same new URL at once: the loser's upsert hits the unique
            # index; retrying it turns it into an update of the winner's document.
            details = exc.details
            retry = [operations[e["index"]] for e in details.get("writeErrors", []) if e.get("code") == 11000]
            if len(retry) != len(details.get("writeErrors", [])):
                raise
            self.collection.bulk_write(retry, ordered=False)
            return WriteResult(inserted=details.get("nUpserted", 0), updated=len(documents) - details.get("nUpserted", 0))
        return WriteResult(inserted=result.upserted_count,
                           updated=len(documents) - result.upserted_count)

    def count(self, query: Mapping[str, Any] | None = None) -> int:
        return self.collection.count_documents(dict(query or {}))

    def find(self, query: Mapping[str, Any] | None = None, **kwargs: Any) -> Iterable[dict[str, Any]]:
        return self.collection.find(dict(query or {}), **kwargs)


class RunStore:
    """The crawl_runs collection: one document per spider run."""

    def __init__(self, database: Database[dict[str, Any]], collection: str = "crawl_runs") -> None:
        self.collection = database[collection]

    def ensure_indexes(self) -> None:
        self.collection.create_index("run_id", unique=True, name="run_id_unique")
        self.collection.create_index(
            [("spider", 1), ("started_at", DESCENDING)], name="spider_started_at"
        )

    def start(self, record: Mapping[str, Any]) -> None:
        self.collection.insert_one({**record, "schema_version": SCHEMA_VERSION})

    def finish(self, run_id: str, fields: Mapping[str, Any]) -> None:
        self.collection.update_one({"run_id": run_id}, {"$set": dict(fields)})

    def get(self, run_id: str) -> dict[str, Any] | None:
        return self.collection.find_one({"run_id": run_id}, {"_id": 0})

    def latest(self, spider: str) -> dict[str, Any] | None:
        return self.collection.find_one({"spider": spider}, {"_id": 0}, sort=[("started_at", DESCENDING)])
