"""`ValidatorStore`: the HTTP validators of every page fetched (`http_validators` collection).

One document per URL, written after each 200 that carried an `ETag` or a `Last-Modified`:

    {"_id": url, "source": "fixture_fr", "kind": "sitemap",
     "etag": '"5f1c..."' or None,
     "last_modified": "Tue, 08 Dec 2026 00:12:00 GMT" or None,   # as the server wrote it
     "body_sha1": "...",          # to tell a changing ETag from a changed page
     "etag_unstable": False,      # the ETag changed while the body did not: not sent again
     "stored_at": date}

`crawler.middlewares.conditional` sends them back (`If-None-Match`, `If-Modified-Since`). A
site's listings are loaded once per run (`of_source`, a few dozen documents); an article's are
asked for when it is re-fetched (`one`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.database import Database

from crawler.storage.connection import connection_errors_as_unavailable

VALIDATORS_COLLECTION = "http_validators"


class ValidatorStore:
    def __init__(self, database: Database[dict[str, Any]],
                 collection: str = VALIDATORS_COLLECTION) -> None:
        self.collection = database[collection]

    @connection_errors_as_unavailable
    def ensure_indexes(self) -> None:
        self.collection.create_index([("source", ASCENDING), ("kind", ASCENDING)],
                                     name="source_kind")

    @connection_errors_as_unavailable
    def of_source(self, source: str, *, exclude_kind: str) -> dict[str, dict[str, Any]]:
        """The validators of a source's pages, but those of kind `exclude_kind`, by URL."""
        return {d["_id"]: d for d in self.collection.find(
            {"source": source, "kind": {"$ne": exclude_kind}})}

    @connection_errors_as_unavailable
    def one(self, url: str) -> dict[str, Any] | None:
        return self.collection.find_one({"_id": url})

    @connection_errors_as_unavailable
    def save(self, records: Sequence[Mapping[str, Any]], *, now: dt.datetime) -> int:
        """Upsert one document per record (each has `url`); return how many were written."""
        latest = {record["url"]: record for record in records}
        if not latest:
            return 0
        self.collection.bulk_write([
            UpdateOne({"_id": url}, {"$set": {**{k: v for k, v in record.items() if k != "url"},
                                              "stored_at": now}}, upsert=True)
            for url, record in latest.items()], ordered=False)
        return len(latest)
