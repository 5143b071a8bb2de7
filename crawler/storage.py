"""MongoDB storage: the only module that uses pymongo.

`connect()` turns settings into a ready database handle (or raises `DatabaseUnavailable` with the
URI's password masked); `ArticleStore`, `RunStore` and `ParamStore` (the URL parameters learnt
from the sites, `crawler.params`) receive that handle. Only operations that
behave the same on MongoDB and on the embedded nx-27017 server are used: bulk `UpdateOne` upserts
with `$set`/`$setOnInsert`, `find` with `$in`, plain indexes.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pymongo import ASCENDING, DESCENDING, MongoClient, UpdateOne
from pymongo.database import Database
from pymongo.errors import (
    BulkWriteError,
    CollectionInvalid,
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
)
from pymongo.uri_parser import parse_uri

from crawler.errors import DatabaseUnavailable
from crawler.logs import LogOnce
from crawler.params import MAX_SAMPLE_PAGES, Observation, ParamRecord
from crawler.queries import READER_INDEXES, TEXT_INDEX, text_language
from crawler.schema import mongo_validator
from crawler.urls import mask_uri

logger = logging.getLogger(__name__)
_Method = TypeVar("_Method", bound=Callable[..., Any])

SCHEMA_VERSION = 2  # 2: the `extraction` sub-document (issue 14)
# Fields the store owns; everything else in a document comes from the item.
_BOOKKEEPING = ("first_seen_at", "last_seen_at", "changed_at", "run_id", "schema_version", "revision")


# The fields whose change makes a new revision of an article.
HASHED_FIELDS = ("title", "subtitle", "authors", "body", "tags", "section", "image_url",
                 "published_at", "language")


def content_hash(document: Mapping[str, Any]) -> str:
    """A stable digest of the article's content fields.

    >>> content_hash({"title": "a", "body": "b"}) == content_hash({"body": "b", "title": "a"})
    True
    >>> content_hash({"title": "a"}) == content_hash({"title": "b"})
    False
    """
    material = json.dumps([document.get(f) for f in HASHED_FIELDS], default=str, ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


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


def _connection_errors_as_unavailable(method: _Method) -> _Method:
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


@dataclass(frozen=True)
class WriteResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: tuple[tuple[int, str], ...] = ()  # (index in the batch, server's message)


# Process-wide: each kind of storage problem is worth one WARNING per process.
_log_once = LogOnce(logger, suffix=" (further cases are not logged)")


def _unsafe_key(key: object) -> bool:
    return not isinstance(key, str) or key.startswith("$") or "." in key or "\x00" in key


def sanitise(value: Any, path: str = "") -> Any:
    """`value` without the dict keys MongoDB would read as an operator or a path, at any depth.

    Page content (a JSON-LD key such as `$where` or `a.b`) must never become a field name.

    >>> sanitise({"a": {"$where": "1", "b.c": 2, "d": [{"$gt": 1, "e": 3}]}, "f": "$x"})
    {'a': {'d': [{'e': 3}]}, 'f': '$x'}
    """
    if isinstance(value, Mapping):
        clean = {}
        for key, item in value.items():
            if _unsafe_key(key):
                _log_once.warning("unsafe_key", "dropped the key %r at %s: page content cannot be a "
                           "field name", key, path or "the top level")
                continue
            clean[key] = sanitise(item, f"{path}.{key}" if path else key)
        return clean
    if isinstance(value, list | tuple):
        return [sanitise(item, path) for item in value]
    return value


def prepare_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """An item as the schema stores it (docs/schema.md): safe keys, lists always lists, the
    dates always present, and `text_language` for the full-text index.

    >>> d = prepare_document({"url": "u", "authors": None, "language": "fr", "x.y": 1})
    >>> d["authors"], d["tags"], d["published_at"], d["text_language"], "x.y" in d
    ([], [], None, 'french', False)
    """
    clean: dict[str, Any] = sanitise(document)
    for field in ("authors", "tags"):
        value = clean.get(field)
        clean[field] = [value] if isinstance(value, str) else list(value or [])
    for field in ("published_at", "updated_at"):
        clean.setdefault(field, None)
    clean["text_language"] = text_language(clean.get("language"))
    return clean


def _written_fields(document: Mapping[str, Any], *, run_id: str, now: dt.datetime) -> dict[str, Any]:
    """The fields every write of a prepared document sets (bookkeeping from the caller ignored)."""
    fields = {k: v for k, v in document.items() if k not in _BOOKKEEPING and k != "_id"}
    fields.update(last_seen_at=now, run_id=run_id, schema_version=SCHEMA_VERSION)
    return fields


def _first_insert(now: dt.datetime) -> dict[str, Any]:
    return {"first_seen_at": now, "revision": 1}


def as_inserted(document: Mapping[str, Any], *, run_id: str, now: dt.datetime) -> dict[str, Any]:
    """The document `ArticleStore.upsert_many` stores for an item whose URL is new (the form
    `newscrawl extract` prints). `document` carries `content_hash` as the store pipeline adds it.
    """
    prepared = prepare_document(document)
    return {"_id": prepared["url"], **_written_fields(prepared, run_id=run_id, now=now),
            "changed_at": now, **_first_insert(now)}


class ArticleStore:
    """The articles collection: one document per canonical URL.

    The canonical URL is both `url` (unique index, the readers' key) and `_id`: every lookup and
    write by URL goes through the `_id` index, which every server answers from its index, sets of
    URLs included (`$in`), so a crawl's cost per article does not grow with the collection.
    """

    def __init__(self, database: Database[dict[str, Any]], collection: str = "articles") -> None:
        self.collection = database[collection]
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

    @_connection_errors_as_unavailable
    def remember_rejected(self, pages: Mapping[str, str], *, now: dt.datetime) -> None:
        """Record pages (URL -> reason) that are not articles."""
        if pages:
            self.rejected.bulk_write([
                UpdateOne({"_id": url}, {"$set": {"url": url, "reason": reason, "rejected_at": now}},
                          upsert=True)
                for url, reason in pages.items()
            ], ordered=False)

    @_connection_errors_as_unavailable
    def recently_rejected(self, urls: Iterable[str], *, since: dt.datetime) -> set[str]:
        """The URLs among `urls` rejected as not articles after `since`."""
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return set()
        return {d["_id"] for d in self.rejected.find(
            {"_id": {"$in": wanted}}, {"_id": 1, "rejected_at": 1})
            if isinstance(d.get("rejected_at"), dt.datetime) and d["rejected_at"] >= since}

    @_connection_errors_as_unavailable
    def known(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored articles among `urls`, by canonical URL or by the URL they were fetched
        from; two indexed queries whatever the number of URLs.

        Maps each given URL that is known to {"url", "first_seen_at", "last_seen_at"}.
        """
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return {}
        projection = {"_id": 0, "url": 1, "first_seen_at": 1, "last_seen_at": 1}
        found = {d["url"]: d for d in self.collection.find({"_id": {"$in": wanted}}, projection)}
        missing = [url for url in wanted if url not in found]
        if missing:
            targets = {a["_id"]: a["url"] for a in self.aliases.find({"_id": {"$in": missing}})}
            if targets:
                by_url = {d["url"]: d for d in self.collection.find(
                    {"_id": {"$in": list(set(targets.values()))}}, projection)}
                found.update({alias: by_url[url] for alias, url in targets.items() if url in by_url})
        return {url: found[url] for url in wanted if url in found}

    @_connection_errors_as_unavailable
    def upsert_many(self, documents: Sequence[Mapping[str, Any]], *, run_id: str,
                    now: dt.datetime) -> WriteResult:
        """Insert new articles, revise changed ones, touch unchanged ones; one bulk write.

        Each document carries `content_hash`. New URL: inserted with `first_seen_at`,
        `changed_at` and `revision` 1. Known URL with another hash: its fields are `$set`,
        `revision` incremented, `changed_at` set, and `updated_at` taken from the page or, when the
        page gives none, from the fetch time. Same hash: only `last_seen_at` moves.
        """
        if not documents:
            return WriteResult()
        stored = {
            d["_id"]: d.get("content_hash")
            for d in self.collection.find(
                {"_id": {"$in": [doc["url"] for doc in documents]}}, {"_id": 1, "content_hash": 1},
            )
        }
        operations: list[UpdateOne] = []
        aliases: dict[str, str] = {}
        inserted = updated = unchanged = 0
        for document in map(prepare_document, documents):
            url = document["url"]
            fields = _written_fields(document, run_id=run_id, now=now)
            if fields.get("fetched_url") and fields["fetched_url"] != url:
                aliases[fields["fetched_url"]] = url
            if url not in stored:
                inserted += 1
                operations.append(UpdateOne(
                    {"_id": url},
                    {"$set": {**fields, "changed_at": now}, "$setOnInsert": _first_insert(now)},
                    upsert=True,
                ))
            elif stored[url] != document.get("content_hash"):
                updated += 1
                if fields.get("updated_at") is None:
                    fields["updated_at"] = document.get("fetched_at") or now
                operations.append(UpdateOne(
                    {"_id": url},
                    {"$set": {**fields, "changed_at": now}, "$inc": {"revision": 1}},
                ))
            else:
                unchanged += 1
                operations.append(UpdateOne({"_id": url}, {"$set": {"last_seen_at": now}}))
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
                           rejected=tuple(rejected))

    def count(self, query: Mapping[str, Any] | None = None) -> int:
        return self.collection.count_documents(dict(query or {}))

    def find(self, query: Mapping[str, Any] | None = None, **kwargs: Any) -> Iterable[dict[str, Any]]:
        return self.collection.find(dict(query or {}), **kwargs)

    def ensure_schema(self) -> None:
        """The readers' contract: the JSON Schema validator and the indexes of their queries.

        The validator (crawler/schema/article.schema.json, `validationLevel` moderate) is
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

    def spiders(self) -> list[str]:
        """The spiders that have a run record."""
        return sorted(s for s in self.collection.distinct("spider") if isinstance(s, str))

    def last_successful(self, spider: str) -> dict[str, Any] | None:
        """The latest finished run of `spider` that did not fail."""
        return self.collection.find_one({"spider": spider, "failed": False}, {"_id": 0},
                                        sort=[("started_at", DESCENDING)])


# ------------------------------------------------------------------------------ URL parameters

PARAMS_COLLECTION = "url_params"


def _param_document_id(host: str, param: str) -> str:
    return f"{host} {param}"


class ParamStore:
    """The learnt URL parameters (`crawler.params`), shared by runs, spiders and workers.

    One document per (host, parameter) in the `url_params` collection:

        {"_id": "example.com replytocom", "host": "example.com", "param": "replytocom",
         "dropped_count": 41,            # times a same-page canonical dropped it
         "kept_count": 0,                # times a canonical kept it: > 0 means never learnt
         "pages": ["https://example.com/a", ...],   # sample of pages it was dropped on (<= 10)
         "first_seen_at": date, "last_seen_at": date,
         "learnt_at": date or null}      # when it became irrelevant for the host

    The decision is `crawler.params.ParamLearner`'s; this class only writes its observations
    (counts with `$inc`, pages with `$addToSet`, so two workers' evidence adds up instead of
    overwriting) and reads them back as `ParamRecord`s.
    """

    def __init__(self, database: Database[dict[str, Any]],
                 collection: str = PARAMS_COLLECTION) -> None:
        self.collection = database[collection]

    @_connection_errors_as_unavailable
    def ensure_indexes(self) -> None:
        self.collection.create_index([("host", ASCENDING)], name="host")

    @_connection_errors_as_unavailable
    def record(self, observations: Sequence[Observation], *, now: dt.datetime) -> int:
        """Add the learner's observations; return how many documents were written."""
        merged: dict[str, dict[str, Any]] = {}
        for seen in observations:
            key = _param_document_id(seen.host, seen.param)
            entry = merged.setdefault(key, {"host": seen.host, "param": seen.param, "dropped": 0,
                                            "kept": 0, "pages": set(), "learnt": False})
            if seen.kept:
                entry["kept"] += 1
            else:
                entry["dropped"] += 1
                if len(entry["pages"]) < MAX_SAMPLE_PAGES:
                    entry["pages"].add(seen.page)
            entry["learnt"] = entry["learnt"] or seen.learnt
        operations = []
        for key, entry in merged.items():
            update: dict[str, Any] = {
                "$setOnInsert": {"host": entry["host"], "param": entry["param"],
                                 "first_seen_at": now},
                "$set": {"last_seen_at": now},
                "$inc": {"dropped_count": entry["dropped"], "kept_count": entry["kept"]},
            }
            if entry["pages"]:
                update["$addToSet"] = {"pages": {"$each": sorted(entry["pages"])}}
            if entry["kept"]:
                update["$set"]["learnt_at"] = None  # a kept parameter is never irrelevant
            elif entry["learnt"]:
                update["$set"]["learnt_at"] = now
            else:
                update["$setOnInsert"]["learnt_at"] = None
            operations.append(UpdateOne({"_id": key}, update, upsert=True))
        if operations:
            self.collection.bulk_write(operations, ordered=False)
        return len(operations)

    @_connection_errors_as_unavailable
    def load(self, hosts: Iterable[str] | None = None) -> list[ParamRecord]:
        """Stored evidence, for `ParamLearner.load()`; all hosts when `hosts` is None."""
        query: dict[str, Any] = {} if hosts is None else {"host": {"$in": sorted(set(hosts))}}
        records = []
        for document in self.collection.find(query):
            learnt_at = document.get("learnt_at")
            if isinstance(learnt_at, dt.datetime) and learnt_at.tzinfo is None:
                learnt_at = learnt_at.replace(tzinfo=dt.UTC)  # pymongo gives naive UTC
            records.append(ParamRecord(
                host=document["host"], param=document["param"],
                pages=set(document.get("pages") or ()),
                dropped=int(document.get("dropped_count") or 0),
                kept=int(document.get("kept_count") or 0),
                learnt_at=learnt_at if isinstance(learnt_at, dt.datetime) else None))
        return records

    @_connection_errors_as_unavailable
    def learnt(self) -> list[dict[str, Any]]:
        """What an operator sees: every learnt parameter, by host, with its evidence."""
        return list(self.collection.find({"learnt_at": {"$ne": None}},
                                         {"_id": 0, "pages": 0}).sort([("host", ASCENDING),
                                                                       ("param", ASCENDING)]))

    @_connection_errors_as_unavailable
    def observed(self) -> list[dict[str, Any]]:
        """Every parameter with evidence (learnt, kept or still being learnt), by host."""
        return list(self.collection.find({}, {"_id": 0, "pages": 0}).sort(
            [("host", ASCENDING), ("param", ASCENDING)]))
