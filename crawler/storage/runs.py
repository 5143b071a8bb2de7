"""`RunStore`: the run records (`crawl_runs`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from pymongo import DESCENDING
from pymongo.database import Database
from pymongo.errors import (
    DuplicateKeyError,
)

from crawler.storage.documents import SCHEMA_VERSION

logger = logging.getLogger(__name__)

def _started(record: Mapping[str, Any]) -> str:
    """A sort key for records whose `started_at` the server may return as a date or a string."""
    value = record.get("started_at")
    return value.isoformat() if isinstance(value, dt.datetime) else str(value or "")


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

    def latest(self, spider: str, *, excluding: str | None = None) -> dict[str, Any] | None:
        """The latest run record of `spider` (other than run `excluding`)."""
        query: dict[str, Any] = {"spider": spider}
        if excluding is not None:
            query["run_id"] = {"$ne": excluding}
        return self.collection.find_one(query, {"_id": 0}, sort=[("started_at", DESCENDING)])

    def running(self, spider: str, *, excluding: str | None = None) -> list[dict[str, Any]]:
        """The records of `spider` still marked `running` (other than run `excluding`)."""
        query: dict[str, Any] = {"spider": spider, "status": "running"}
        if excluding is not None:
            query["run_id"] = {"$ne": excluding}
        return list(self.collection.find(query, {"_id": 0}))

    def update(self, run_id: str, update: Mapping[str, Any], *, upsert: bool = False) -> None:
        """Apply an update to one run record (a round's record is shared by its workers)."""
        try:
            self.collection.update_one({"run_id": run_id}, dict(update), upsert=upsert)
        except DuplicateKeyError:
            # two workers creating the record at once: the loser's upsert becomes an update
            self.collection.update_one({"run_id": run_id}, dict(update), upsert=upsert)

    def set_if(self, run_id: str, expected: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
        """`$set` fields only if the record still has the `expected` values; False otherwise."""
        result = self.collection.update_one({"run_id": run_id, **expected}, {"$set": dict(fields)})
        return result.matched_count > 0

    def history(self, spider: str, *, since: Any = None, excluding: str | None = None,
                limit: int = 50, min_health_articles: int | None = None) -> list[dict[str, Any]]:
        """The latest `limit` finished run records of `spider` started since `since`, newest
        first, without their per-worker entries: what drift is judged against and what the report
        draws. With `min_health_articles`, also the latest `limit` runs with at least that many
        new articles counted, however many emptier runs came after them (a cron run every few
        minutes mostly brings none)."""
        query: dict[str, Any] = {"spider": spider, "status": {"$ne": "running"}}
        if since is not None:
            query["started_at"] = {"$gte": since}
        if excluding is not None:
            query["run_id"] = {"$ne": excluding}
        queries = [query]
        if min_health_articles is not None:
            queries.append({**query, "health.articles": {"$gte": min_health_articles}})
        found: dict[str, dict[str, Any]] = {}
        for each in queries:
            for record in self.collection.find(each, {"_id": 0, "workers": 0},
                                               sort=[("started_at", DESCENDING)], limit=limit):
                found.setdefault(str(record.get("run_id")), record)
        return sorted(found.values(), key=_started, reverse=True)

    def spiders(self) -> list[str]:
        """The spiders that have a run record."""
        return sorted(s for s in self.collection.distinct("spider") if isinstance(s, str))

    def last_successful(self, spider: str) -> dict[str, Any] | None:
        """The latest finished run of `spider` that did not fail."""
        return self.collection.find_one({"spider": spider, "failed": False}, {"_id": 0},
                                        sort=[("started_at", DESCENDING)])
