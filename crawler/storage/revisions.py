"""`RevisionStore`: every superseded version of an article (`MONGO_REVISIONS_COLLECTION`).

When a re-fetched article's content changed, `ArticleStore.upsert_many` hands the stored version
to `RevisionStore.keep` before it overwrites it: one document per superseded version, keyed
`"<url>#<revision>"` so that a retried batch writes it once (`$setOnInsert`). At most
`max_per_article` versions are kept per URL, the oldest dropped first. Only operations both
MongoDB and nx-27017 answer alike: upserts with `$setOnInsert`, `delete_many` on an indexed range,
`find` with sort.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, DESCENDING, DeleteMany, UpdateOne
from pymongo.database import Database

from crawler.storage.connection import connection_errors_as_unavailable
from crawler.storage.documents import HASHED_FIELDS, relative_date

__all__ = ["REVISION_FIELDS", "Revision", "RevisionStore", "changed_fields"]

# What a revision keeps of the superseded version: every content field, its dates as the page
# gave them, and when that version was fetched and became current.
REVISION_FIELDS = (*HASHED_FIELDS, "published_raw", "published_local", "updated_at",
                   "updated_raw", "updated_local", "date_source", "content_hash", "fetched_at",
                   "changed_at", "last_seen_at", "run_id")


def _same(old: Any, new: Any) -> bool:
    """Equal as stored: a list and a tuple with the same items, datetimes at the same instant."""
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        return list(old) == list(new)
    if isinstance(old, dt.datetime) and isinstance(new, dt.datetime):
        if (old.tzinfo is None) != (new.tzinfo is None):
            old, new = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)
                        for value in (old, new))
        return old == new
    return bool(old == new)


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The content fields (those of the content hash) that differ, in the hash's order.

    >>> changed_fields({"title": "a", "tags": ["x"]}, {"title": "b", "tags": ("x",)})
    ['title']
    """
    relative = relative_date(old) and relative_date(new)  # not a change: see content_hash
    return [field for field in HASHED_FIELDS if not _same(old.get(field), new.get(field))
            and not (relative and field == "published_at")]


@dataclass(frozen=True)
class Revision:
    """A superseded version as `keep` receives it: the stored document and what replaced it."""

    stored: Mapping[str, Any]  # the article document as it was (at least REVISION_FIELDS)
    replacement: Mapping[str, Any]  # the prepared document that supersedes it
    declared_update: dt.datetime | None  # the replacement page's own `updated_at`, if any


class RevisionStore:
    """The revisions collection: the history of each article, oldest version first."""

    def __init__(self, database: Database[dict[str, Any]],
                 collection: str = "article_revisions", *, max_per_article: int = 20) -> None:
        self.collection = database[collection]
        self.max_per_article = max_per_article

    def ensure_indexes(self) -> None:
        # "This URL's history": one indexed range, in revision order.
        self.collection.create_index([("url", ASCENDING), ("revision", ASCENDING)],
                                     name="url_revision")
        # "What changed since T": the time each version was superseded.
        self.collection.create_index([("superseded_at", DESCENDING)], name="superseded_at")

    @staticmethod
    def document(revision: Revision, *, now: dt.datetime, run_id: str) -> dict[str, Any]:
        """The stored form of one superseded version."""
        stored, new = revision.stored, revision.replacement
        number = int(stored.get("revision") or 1)
        old_update = stored.get("updated_at")
        declared = revision.declared_update
        silent = declared is None or (isinstance(old_update, dt.datetime)
                                      and _same(old_update, declared))
        kept = {field: stored.get(field) for field in REVISION_FIELDS}
        return {
            "_id": f"{stored['url']}#{number}",
            "url": stored["url"],
            "revision": number,
            **kept,
            # `updated_at` may be the fetch time the store filled in; this is the page's own
            "declared_updated_at": old_update if stored.get("updated_raw") else None,
            "changed_fields": changed_fields(stored, new),
            "silent_edit": silent,
            "superseded_at": now,
            "superseded_by_run": run_id,
        }

    @connection_errors_as_unavailable
    def keep(self, revisions: Sequence[Revision], *, now: dt.datetime, run_id: str) -> int:
        """Write the superseded versions (idempotent), then drop each URL's oldest beyond the
        cap. Returns the number of versions written."""
        if not revisions or self.max_per_article <= 0:
            return 0
        documents = [self.document(r, now=now, run_id=run_id) for r in revisions]
        # `_id` only in the filter: MongoDB takes it from there on insert (naming it in
        # `$setOnInsert` too is refused by some server versions).
        self.collection.bulk_write([
            UpdateOne({"_id": d["_id"]},
                      {"$setOnInsert": {k: v for k, v in d.items() if k != "_id"}}, upsert=True)
            for d in documents
        ], ordered=False)
        latest: dict[str, int] = {}
        for d in documents:
            latest[d["url"]] = max(latest.get(d["url"], 0), d["revision"])
        beyond_cap = [DeleteMany({"url": url, "revision": {"$lte": number - self.max_per_article}})
                      for url, number in latest.items() if number > self.max_per_article]
        if beyond_cap:
            self.collection.bulk_write(beyond_cap, ordered=False)
        return len(documents)

    @connection_errors_as_unavailable
    def history(self, url: str) -> list[dict[str, Any]]:
        """The kept versions of `url`, oldest first."""
        return list(self.collection.find({"url": url}, {"_id": 0},
                                         sort=[("revision", ASCENDING)]))

    @connection_errors_as_unavailable
    def since(self, when: dt.datetime, *, limit: int = 0) -> Iterable[dict[str, Any]]:
        """The versions superseded at or after `when`, oldest first."""
        return self.collection.find({"superseded_at": {"$gte": when}}, {"_id": 0},
                                    sort=[("superseded_at", ASCENDING)], limit=limit)

    def count(self, query: Mapping[str, Any] | None = None) -> int:
        return self.collection.count_documents(dict(query or {}))
