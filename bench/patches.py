"""Bench-only experiments: monkeypatches applied to a crawl process, never to crawler/ itself.

`python bench/patched_crawl.py crawl SITE` runs `scrapy crawl SITE` after applying the patches
named in BENCH_PATCHES (comma-separated). Each patch is the measured form of a change we would
make in crawler/; docs/benchmarks.md reports its effect next to the unpatched crawl.

indexed-filters
    nx-27017 (neosqlite underneath) translates `{"url": x}` into
    `json_extract(data, '$.url') = ? OR EXISTS (SELECT ... json_each(...))` (MongoDB's
    array-membership rule), which SQLite cannot answer from the `url` index: every upsert scans
    and parses the whole collection, so a run of N articles costs O(N²). `{"url": {"$eq": x}}`
    is translated to `json_extract(data, '$.url') = ?` and uses the index; `{"url": {"$in": L}}`
    has no SQL translation at all (Python scan of every document) while `$or` of `$eq` uses the
    index for updates. For `find` (which the server answers on its own path), `$or` and `$in` both
    scan, and only a plain equality uses the index; so a `find` by a set of URLs becomes one
    `find` per URL. The patch rewrites pymongo filters on `url` and `fetched_url` that way. On
    MongoDB the rewritten filters select the same documents (the fields are strings, never
    arrays).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

URL_FIELDS = frozenset({"url", "fetched_url"})


def indexed_filter(query: Any) -> Any:
    """
    >>> indexed_filter({"url": "u"})
    {'url': {'$eq': 'u'}}
    >>> indexed_filter({"url": {"$in": ["a", "b"]}, "rejected_at": 1})
    {'$and': [{'$or': [{'url': {'$eq': 'a'}}, {'url': {'$eq': 'b'}}]}, {'rejected_at': 1}]}
    >>> indexed_filter({"$or": [{"url": {"$in": ["a"]}}, {"fetched_url": {"$in": ["a"]}}]})
    {'$or': [{'$or': [{'url': {'$eq': 'a'}}]}, {'$or': [{'fetched_url': {'$eq': 'a'}}]}]}
    """
    if not isinstance(query, Mapping):
        return query
    parts: list[dict[str, Any]] = []
    for key, value in query.items():
        if key in ("$or", "$and", "$nor") and isinstance(value, list):
            parts.append({key: [indexed_filter(v) for v in value]})
        elif key in URL_FIELDS and isinstance(value, str):
            parts.append({key: {"$eq": value}})
        elif (key in URL_FIELDS and isinstance(value, Mapping) and set(value) == {"$in"}
              and value["$in"]):
            parts.append({"$or": [{key: {"$eq": v}} for v in value["$in"]]})
        else:
            parts.append({key: value})
    if len(parts) == 1:
        return parts[0]
    return {"$and": parts}


def url_disjuncts(query: Any) -> list[dict[str, Any]] | None:
    """A filter that selects by a set of URLs, as one filter per URL (each answered by an index).

    >>> url_disjuncts({"$or": [{"url": {"$in": ["a", "b"]}}, {"fetched_url": {"$in": ["a"]}}]})
    [{'url': {'$eq': 'a'}}, {'url': {'$eq': 'b'}}, {'fetched_url': {'$eq': 'a'}}]
    >>> url_disjuncts({"url": {"$in": ["a"]}, "rejected_at": 1})
    [{'url': {'$eq': 'a'}, 'rejected_at': 1}]
    >>> url_disjuncts({"source": "x"}) is None
    True
    """
    if not isinstance(query, Mapping):
        return None
    disjuncts: list[dict[str, Any]] | None = None
    common: dict[str, Any] = {}
    for key, value in query.items():
        found: list[dict[str, Any]] | None = None
        if key == "$or" and isinstance(value, list):
            found = []
            for branch in value:
                expanded = url_disjuncts(branch)
                if expanded is None:
                    return None
                found.extend(expanded)
        elif (key in URL_FIELDS and isinstance(value, Mapping) and set(value) == {"$in"}
              and isinstance(value["$in"], list)):
            found = [{key: {"$eq": v}} for v in value["$in"]]
        if found is None:
            common[key] = value
        elif disjuncts is not None:
            return None  # two disjunctions: leave the query alone
        else:
            disjuncts = found
    if disjuncts is None:
        return None
    return [{**d, **common} for d in disjuncts]


def _patch_indexed_filters() -> None:
    import itertools

    from pymongo import operations
    from pymongo.collection import Collection

    original_find = Collection.find

    def find(self: Any, filter: Any = None, *args: Any, **kwargs: Any) -> Any:
        disjuncts = url_disjuncts(filter)
        if disjuncts is None:
            return original_find(self, indexed_filter(filter) if filter is not None else filter,
                                 *args, **kwargs)
        return itertools.chain.from_iterable(original_find(self, d, *args, **kwargs)
                                             for d in disjuncts)

    Collection.find = find  # type: ignore[method-assign]
    for name in ("find_one", "update_one", "update_many", "count_documents",
                 "delete_one", "delete_many"):
        original = getattr(Collection, name)

        def wrapper(self: Any, filter: Any = None, *args: Any, _original: Any = original,
                    **kwargs: Any) -> Any:
            return _original(self, indexed_filter(filter) if filter is not None else filter,
                             *args, **kwargs)

        setattr(Collection, name, wrapper)
    for cls_name in ("UpdateOne", "UpdateMany", "ReplaceOne", "DeleteOne", "DeleteMany"):
        cls = getattr(operations, cls_name)
        init = cls.__init__

        def patched_init(self: Any, filter: Any, *args: Any, _init: Any = init,
                         **kwargs: Any) -> None:
            _init(self, indexed_filter(filter), *args, **kwargs)

        cls.__init__ = patched_init


PATCHES = {"indexed-filters": _patch_indexed_filters}


def apply(names: str) -> list[str]:
    applied = []
    for name in (n.strip() for n in names.split(",")):
        if not name:
            continue
        if name not in PATCHES:
            raise SystemExit(f"BENCH_PATCHES: unknown patch {name!r}; known: {', '.join(PATCHES)}")
        PATCHES[name]()
        applied.append(name)
    return applied
