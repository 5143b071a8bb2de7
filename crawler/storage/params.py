"""`ParamStore`: the URL parameters learnt per host (`url_params`, crawler.links.params)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.database import Database

from crawler.links.params import MAX_SAMPLE_PAGES, Observation, ParamRecord
from crawler.storage.connection import connection_errors_as_unavailable

logger = logging.getLogger(__name__)

PARAMS_COLLECTION = "url_params"


def _param_document_id(host: str, param: str) -> str:
    return f"{host} {param}"


class ParamStore:
    """The learnt URL parameters (`crawler.links.params`), shared by runs, spiders and workers.

    One document per (host, parameter) in the `url_params` collection:

        {"_id": "example.com replytocom", "host": "example.com", "param": "replytocom",
         "dropped_count": 41,            # times a same-page canonical dropped it
         "kept_count": 0,                # times a canonical kept it: > 0 means never learnt
         "pages": ["https://example.com/a", ...],   # sample of pages it was dropped on (<= 10)
         "first_seen_at": date, "last_seen_at": date,
         "learnt_at": date or null}      # when it became irrelevant for the host

    The decision is `crawler.links.params.ParamLearner`'s; this class only writes its observations
    (counts with `$inc`, pages with `$addToSet`, so two workers' evidence adds up instead of
    overwriting) and reads them back as `ParamRecord`s.
    """

    def __init__(self, database: Database[dict[str, Any]],
                 collection: str = PARAMS_COLLECTION) -> None:
        self.collection = database[collection]

    @connection_errors_as_unavailable
    def ensure_indexes(self) -> None:
        self.collection.create_index([("host", ASCENDING)], name="host")

    @connection_errors_as_unavailable
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

    @connection_errors_as_unavailable
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

    @connection_errors_as_unavailable
    def learnt(self) -> list[dict[str, Any]]:
        """What an operator sees: every learnt parameter, by host, with its evidence."""
        return list(self.collection.find({"learnt_at": {"$ne": None}},
                                         {"_id": 0, "pages": 0}).sort([("host", ASCENDING),
                                                                       ("param", ASCENDING)]))

    @connection_errors_as_unavailable
    def observed(self) -> list[dict[str, Any]]:
        """Every parameter with evidence (learnt, kept or still being learnt), by host."""
        return list(self.collection.find({}, {"_id": 0, "pages": 0}).sort(
            [("host", ASCENDING), ("param", ASCENDING)]))
