"""The stored article document: content hash, safe keys, the prepared form, the bookkeeping fields."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crawler.logs import LogOnce
from crawler.storage.queries import text_language

logger = logging.getLogger(__name__)
# Process-wide: each kind of storage problem is worth one WARNING per process.
_log_once = LogOnce(logger, suffix=" (further cases are not logged)")

SCHEMA_VERSION = 3  # 2: the `extraction` sub-document (issue 14); 3: `published_local` (issue 22)


# Fields the store owns; everything else in a document comes from the item.
_BOOKKEEPING = ("first_seen_at", "last_seen_at", "changed_at", "run_id", "schema_version", "revision")


# The fields whose change makes a new revision of an article.
HASHED_FIELDS = ("title", "subtitle", "authors", "body", "tags", "section", "image_url",
                 "published_at", "language")


def relative_date(document: Mapping[str, Any]) -> bool:
    """Was `published_at` read from a relative string ("il y a 3 heures", "hier")?"""
    sources = document.get("date_source")
    rule = str(sources.get("published") or "") if isinstance(sources, Mapping) else ""
    return rule.rsplit("/", 1)[-1] in {"relative", "relative-date"}


def content_hash(document: Mapping[str, Any]) -> str:
    """A stable digest of the article's content fields.

    A `published_at` read from a relative string is left out: read again on a later fetch of
    the same page it names a later instant, and every re-fetch of such an article made a
    revision (1 of the 10 fixture articles at each `full=1` run, issue 22).

    >>> content_hash({"title": "a", "body": "b"}) == content_hash({"body": "b", "title": "a"})
    True
    >>> content_hash({"title": "a"}) == content_hash({"title": "b"})
    False
    >>> relative = {"title": "a", "date_source": {"published": "html:date-class/relative"}}
    >>> content_hash({**relative, "published_at": 1}) == content_hash({**relative, "published_at": 2})
    True
    """
    values = [document.get(f) for f in HASHED_FIELDS]
    if relative_date(document):
        values[HASHED_FIELDS.index("published_at")] = None
    material = json.dumps(values, default=str, ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class WriteResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: tuple[tuple[int, str], ...] = ()  # (index in the batch, server's message)
    inserted_indexes: tuple[int, ...] = ()  # the documents of the batch whose URL was new


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
    for field in ("published_at", "updated_at", "published_local", "updated_local"):
        clean.setdefault(field, None)
    clean["text_language"] = text_language(clean.get("language"))
    return clean


def written_fields(document: Mapping[str, Any], *, run_id: str, now: dt.datetime) -> dict[str, Any]:
    """The fields every write of a prepared document sets (bookkeeping from the caller ignored)."""
    fields = {k: v for k, v in document.items() if k not in _BOOKKEEPING and k != "_id"}
    fields.update(last_seen_at=now, run_id=run_id, schema_version=SCHEMA_VERSION)
    return fields


def first_insert(now: dt.datetime) -> dict[str, Any]:
    return {"first_seen_at": now, "revision": 1}


def as_inserted(document: Mapping[str, Any], *, run_id: str, now: dt.datetime) -> dict[str, Any]:
    """The document `ArticleStore.upsert_many` stores for an item whose URL is new (the form
    `newscrawl extract` prints). `document` carries `content_hash` as the store pipeline adds it.
    """
    prepared = prepare_document(document)
    return {"_id": prepared["url"], **written_fields(prepared, run_id=run_id, now=now),
            "changed_at": now, **first_insert(now)}
