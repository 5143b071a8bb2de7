"""`ListingStore`: what each listing page of a site has given lately (`listings` collection).

A listing is any page read for its links: a section front or one of its next pages, a tag or
author page, a feed, a sitemap. One document per URL:

    {"_id": url, "source": "fixture_fr", "kind": "page",
     "visited_at": date,          # last download, 200 or 304
     "changed_at": date,          # last visit that answered with a changed page (200)
     "new_at": date,              # last visit that gave an article the database did not hold
     "quiet_visits": 3,           # visits since then that gave nothing new
     "next_visit_at": date}       # before this, the listing is not downloaded (back-off)

`crawler.middlewares.incremental` decides (`backoff_until`) and writes (`record_visits`) through
it; the workers of a distributed round share it as they share the articles. Read by
`newscrawl sites --listings SITE`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.database import Database

from crawler.storage.connection import connection_errors_as_unavailable

LISTINGS_COLLECTION = "listings"


@dataclass(frozen=True)
class ListingVisit:
    """One download of a listing this run: `changed` False for a 304, `new` its new articles."""

    url: str
    kind: str
    changed: bool
    new: int


def backoff_until(now: dt.datetime, quiet_visits: int, *, first: dt.timedelta,
                  longest: dt.timedelta) -> dt.datetime:
    """When a listing that gave nothing new on its last `quiet_visits` visits is due again:
    at once while it yields, then after `first`, doubled per quiet visit, at most `longest`.

    >>> now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> [str(backoff_until(now, q, first=dt.timedelta(hours=1), longest=dt.timedelta(hours=24))
    ...      - now) for q in (0, 1, 2, 3, 6, 40)]
    ['0:00:00', '1:00:00', '2:00:00', '4:00:00', '1 day, 0:00:00', '1 day, 0:00:00']
    """
    if quiet_visits <= 0:
        return now
    return now + min(first * 2 ** min(quiet_visits - 1, 30), longest)


class ListingStore:
    def __init__(self, database: Database[dict[str, Any]],
                 collection: str = LISTINGS_COLLECTION) -> None:
        self.collection = database[collection]

    @connection_errors_as_unavailable
    def ensure_indexes(self) -> None:
        self.collection.create_index([("source", ASCENDING)], name="source")

    @connection_errors_as_unavailable
    def states(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored state of the listings among `urls`, by URL."""
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return {}
        return {d["_id"]: d for d in self.collection.find({"_id": {"$in": wanted}})}

    @connection_errors_as_unavailable
    def record_visits(self, source: str, visits: Sequence[ListingVisit], *, now: dt.datetime,
                      first: dt.timedelta, longest: dt.timedelta) -> int:
        """Write this run's visits (one bulk write); return how many listings were written."""
        merged: dict[str, ListingVisit] = {}
        for visit in visits:  # a listing read twice in a run (a 304, then a 200): add them up
            before = merged.get(visit.url)
            merged[visit.url] = visit if before is None else ListingVisit(
                visit.url, visit.kind, before.changed or visit.changed, before.new + visit.new)
        if not merged:
            return 0
        quiet = {url: int(d.get("quiet_visits") or 0) for url, d in self.states(merged).items()}
        operations = []
        for url, visit in merged.items():
            fields: dict[str, Any] = {"source": source, "kind": visit.kind, "visited_at": now}
            if visit.changed:
                fields["changed_at"] = now
            if visit.new:
                fields["new_at"] = now
                fields["quiet_visits"] = 0
            else:
                fields["quiet_visits"] = quiet.get(url, 0) + 1
            fields["next_visit_at"] = backoff_until(now, fields["quiet_visits"], first=first,
                                                    longest=longest)
            operations.append(UpdateOne({"_id": url}, {"$set": fields}, upsert=True))
        self.collection.bulk_write(operations, ordered=False)
        return len(operations)

    @connection_errors_as_unavailable
    def of_source(self, source: str) -> list[dict[str, Any]]:
        """Every listing of a source, the most recently fruitful first (for the operator)."""
        documents = list(self.collection.find({"source": source}))
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

        def newest(document: Mapping[str, Any]) -> dt.datetime:
            value = document.get("new_at")
            return _aware(value) if isinstance(value, dt.datetime) else epoch

        return sorted(documents, key=newest, reverse=True)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
