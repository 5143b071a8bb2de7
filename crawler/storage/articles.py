"""`ArticleStore`: the articles collection (the storage package is the only pymongo user).

`connect()` turns settings into a ready database handle (or raises `DatabaseUnavailable` with the
URI's password masked); `ArticleStore`, `RunStore` and `ParamStore` (the URL parameters learnt
from the sites, `crawler.links.params`) receive that handle. Only operations that
behave the same on MongoDB and on the embedded nx-27017 server are used: bulk `UpdateOne` upserts
with `$set`/`$setOnInsert`, `find` with `$in`, plain indexes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymongo import DESCENDING, UpdateOne
from pymongo.database import Database
from pymongo.errors import (
    BulkWriteError,
    CollectionInvalid,
    OperationFailure,
)

from crawler.logs import LogOnce
from crawler.storage.connection import connection_errors_as_unavailable
from crawler.storage.documents import (
    WriteResult,
    first_insert,
    prepare_document,
    relative_date,
    written_fields,
)
from crawler.storage.queries import READER_INDEXES, TEXT_INDEX
from crawler.storage.revisions import REVISION_FIELDS, Revision, RevisionStore
from crawler.storage.schema import mongo_validator

logger = logging.getLogger(__name__)


# Process-wide: each kind of storage problem is worth one WARNING per process.
_log_once = LogOnce(logger, suffix=" (further cases are not logged)")


class ArticleStore:
    """The articles collection: one document per canonical URL.

    The canonical URL is both `url` (unique index, the readers' key) and `_id`: every lookup and
    write by URL goes through the `_id` index, which every server answers from its index, sets of
    URLs included (`$in`), so a crawl's cost per article does not grow with the collection.
    """

    def __init__(self, database: Database[dict[str, Any]], collection: str = "articles", *,
                 revisions: RevisionStore | None = None) -> None:
        self.collection = database[collection]
        # Where a changed article's superseded version goes before it is overwritten (issue 22).
        self.revisions = revisions
        # Pages that matched an article pattern but were not articles (hubs, empty pages), so
        # that incremental runs do not download them again before they are due for a re-check.
        self.rejected = database[f"{collection}_rejected"]
        # Fetched URL -> canonical URL, where they differ, so that a listing's link to an article
        # stored under its rel=canonical is recognised before download.
        self.aliases = database[f"{collection}_aliases"]

    def ensure_indexes(self) -> None:
        self.collection.create_index("url", unique=True, name="url_unique")
        self.collection.create_index(
            [("source", 1), ("published_at", DESCENDING)], name="source_published_at"
        )
        self.collection.create_index([("published_at", DESCENDING)], name="published_at")
        self.collection.create_index("fetched_url", name="fetched_url")
        # "What changed since T": one indexed range query on changed_at.
        self.collection.create_index([("changed_at", DESCENDING)], name="changed_at")

    @connection_errors_as_unavailable
    def remember_rejected(self, pages: Mapping[str, str], *, now: dt.datetime) -> None:
        """Record pages (URL -> reason) that are not articles."""
        if pages:
            self.rejected.bulk_write([
                UpdateOne({"_id": url}, {"$set": {"url": url, "reason": reason, "rejected_at": now}},
                          upsert=True)
                for url, reason in pages.items()
            ], ordered=False)

    @connection_errors_as_unavailable
    def recently_rejected(self, urls: Iterable[str], *, since: dt.datetime) -> set[str]:
        """The URLs among `urls` rejected as not articles after `since`."""
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return set()
        return {d["_id"] for d in self.rejected.find(
            {"_id": {"$in": wanted}}, {"_id": 1, "rejected_at": 1})
            if isinstance(d.get("rejected_at"), dt.datetime) and d["rejected_at"] >= since}

    @connection_errors_as_unavailable
    def known(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored articles among `urls`, by canonical URL or by the URL they were fetched
        from; two indexed queries whatever the number of URLs.

        Maps each given URL that is known to {"url", "first_seen_at", "last_seen_at",
        "published_at"}.
        """
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return {}
        projection = {"_id": 0, "url": 1, "first_seen_at": 1, "last_seen_at": 1,
                      "published_at": 1}
        found = {d["url"]: d for d in self.collection.find({"_id": {"$in": wanted}}, projection)}
        missing = [url for url in wanted if url not in found]
        if missing:
            targets = {a["_id"]: a["url"] for a in self.aliases.find({"_id": {"$in": missing}})}
            if targets:
                by_url = {d["url"]: d for d in self.collection.find(
                    {"_id": {"$in": list(set(targets.values()))}}, projection)}
                found.update({alias: by_url[url] for alias, url in targets.items() if url in by_url})
        return {url: found[url] for url in wanted if url in found}

    @connection_errors_as_unavailable
    def upsert_many(self, documents: Sequence[Mapping[str, Any]], *, run_id: str,
                    now: dt.datetime) -> WriteResult:
        """Insert new articles, revise changed ones, touch unchanged ones; one bulk write.

        Each document carries `content_hash`. New URL: inserted with `first_seen_at`,
        `changed_at` and `revision` 1. Known URL with another hash: its fields are `$set`,
        `revision` incremented, `changed_at` set, and `updated_at` taken from the page or, when the
        page gives none, from the fetch time. Same hash: only `last_seen_at` moves.
        With a `RevisionStore`, a revised article's stored version is kept there first.
        """
        if not documents:
            return WriteResult()
        stored = {
            d["_id"]: d
            for d in self.collection.find(
                {"_id": {"$in": [doc["url"] for doc in documents]}},
                {"_id": 1, "content_hash": 1, "published_at": 1, "published_local": 1,
                 "date_source": 1},
            )
        }
        operations: list[UpdateOne] = []
        aliases: dict[str, str] = {}
        inserted = updated = unchanged = 0
        inserted_indexes: list[int] = []
        superseded: list[tuple[dict[str, Any], Any]] = []  # (new document, declared update)
        for index, document in enumerate(map(prepare_document, documents)):
            url = document["url"]
            fields = written_fields(document, run_id=run_id, now=now)
            if fields.get("fetched_url") and fields["fetched_url"] != url:
                aliases[fields["fetched_url"]] = url
            if url not in stored:
                inserted += 1
                inserted_indexes.append(index)
                operations.append(UpdateOne(
                    {"_id": url},
                    {"$set": {**fields, "changed_at": now}, "$setOnInsert": first_insert(now)},
                    upsert=True,
                ))
            elif stored[url].get("content_hash") != document.get("content_hash"):
                updated += 1
                superseded.append((document, fields.get("updated_at")))
                if relative_date(document) and relative_date(stored[url]):
                    # "il y a 3 heures" read again later is vaguer ("il y a 2 jours"): the
                    # first reading stays (the date is not part of the content hash either)
                    fields["published_at"] = stored[url].get("published_at")
                    fields["published_local"] = stored[url].get("published_local")
                if fields.get("updated_at") is None:
                    fields["updated_at"] = document.get("fetched_at") or now
                operations.append(UpdateOne(
                    {"_id": url},
                    {"$set": {**fields, "changed_at": now}, "$inc": {"revision": 1}},
                ))
            else:
                unchanged += 1
                operations.append(UpdateOne({"_id": url}, {"$set": {"last_seen_at": now}}))
        if superseded and self.revisions is not None:
            self._keep_revisions(superseded, run_id=run_id, now=now)
        rejected: list[tuple[int, str]] = []
        try:
            self.collection.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            # Another writer inserted one of these URLs between our read and our write: its
            # upsert lost on the unique index; retried, it updates the winner's document.
            races = [e for e in errors if e.get("code") == 11000]
            if races:
                self.collection.bulk_write([operations[e["index"]] for e in races], ordered=False)
            # Anything else (a validator refusing a document) loses only that document.
            rejected = [(e["index"], str(e.get("errmsg", "rejected"))[:300])
                        for e in errors if e.get("code") != 11000]
        if aliases:
            self.aliases.bulk_write([UpdateOne({"_id": fetched}, {"$set": {"url": url}}, upsert=True)
                                     for fetched, url in aliases.items()], ordered=False)
        return WriteResult(inserted=inserted, updated=updated, unchanged=unchanged,
                           rejected=tuple(rejected), inserted_indexes=tuple(inserted_indexes))

    def _keep_revisions(self, superseded: Sequence[tuple[dict[str, Any], Any]], *, run_id: str,
                        now: dt.datetime) -> None:
        """The stored versions of the articles about to be revised, to the revision store,
        before the overwrite: a crash in between leaves the revision written and the article as it
        was, and the retried batch writes that revision once (its `_id` is url#revision)."""
        assert self.revisions is not None
        projection = dict.fromkeys(("url", "revision", *REVISION_FIELDS), 1)
        stored = {d["_id"]: d for d in self.collection.find(
            {"_id": {"$in": [document["url"] for document, _ in superseded]}}, projection)}
        self.revisions.keep([Revision(stored[document["url"]], document, declared)
                             for document, declared in superseded if document["url"] in stored],
                            now=now, run_id=run_id)

    @connection_errors_as_unavailable
    def seen_unchanged(self, urls: Iterable[str], *, now: dt.datetime) -> None:
        """The server said these stored articles did not change (a 304): `last_seen_at` moves,
        as for a download whose content hash was the same."""
        wanted = list(dict.fromkeys(urls))
        if wanted:
            self.collection.update_many({"_id": {"$in": wanted}}, {"$set": {"last_seen_at": now}})

    @connection_errors_as_unavailable
    def published_since(self, source: str, since: dt.datetime) -> list[dict[str, Any]]:
        """A source's articles published since `since` (index `source_published_at`), with the
        dates the age schedule of re-fetches needs."""
        return list(self.collection.find(
            {"source": source, "published_at": {"$gte": since}},
            {"_id": 0, "url": 1, "published_at": 1, "first_seen_at": 1, "last_seen_at": 1}))

    def count(self, query: Mapping[str, Any] | None = None) -> int:
        return self.collection.count_documents(dict(query or {}))

    def find(self, query: Mapping[str, Any] | None = None, **kwargs: Any) -> Iterable[dict[str, Any]]:
        return self.collection.find(dict(query or {}), **kwargs)

    def ensure_schema(self) -> None:
        """The readers' contract: the JSON Schema validator and the indexes of their queries.

        The validator (crawler/storage/schema/article.schema.json, `validationLevel` moderate) is
        applied with `collMod`; a server that refuses it (no privilege, no validation support)
        only costs a warning, once: the tests validate what the crawl stores anyway.
        """
        validator = {"$jsonSchema": mongo_validator()}
        options: dict[str, Any] = {"validator": validator, "validationLevel": "moderate",
                                   "validationAction": "error"}
        database, name = self.collection.database, self.collection.name
        try:
            try:
                database.command("collMod", name, **options)
            except OperationFailure as exc:
                if exc.code != 26:  # NamespaceNotFound: the first run on an empty database
                    raise
                try:
                    database.create_collection(name, **options)
                except CollectionInvalid:  # created meanwhile by another process
                    database.command("collMod", name, **options)
        except OperationFailure as exc:
            _log_once.warning("validator", "the server did not accept the articles validator (%s); "
                       "documents are not checked on write", exc.details or exc)
        for keys, index_options in READER_INDEXES:
            self.collection.create_index(keys, **index_options)
        self._ensure_text_index()

    def _ensure_text_index(self) -> None:
        keys, options = TEXT_INDEX
        try:
            self.collection.create_index(keys, **options)
        except OperationFailure as exc:
            try:  # nx-27017 refuses to create its full-text tables twice: is it there?
                self.collection.find_one({"$text": {"$search": "newscrawl"}}, {"_id": 1})
            except OperationFailure:
                _log_once.warning("text_index", "no full-text index on %s (%s): `export --search` "
                           "will fail", self.collection.name, exc.details or exc)


# ------------------------------------------------------------------------------ URL parameters


