"""`newscrawl export`: stream the articles a reader asks for as JSON lines or CSV.

One cursor, read in batches and written line by line, so memory stays flat whatever the size of
the collection. Dates are ISO 8601 in UTC with a `Z` (milliseconds only when there are some, as
BSON keeps them); `_id` is left out: `url` is the key.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.storage.articles import ArticleStore
    from crawler.storage.queries import ArticleQuery

__all__ = ["CSV_FIELDS", "export", "iso", "jsonable", "write_csv", "write_jsonl"]

BATCH_SIZE = 500
# CSV columns, in order; lists are joined with "; ", nested objects are left out.
CSV_FIELDS = ("url", "source", "section", "crawl_section", "title", "subtitle", "authors", "tags",
              "language", "published_at", "updated_at", "first_seen_at", "last_seen_at",
              "changed_at", "revision", "image_url", "body")


def iso(value: dt.datetime) -> str:
    """ISO 8601 in UTC with `Z`, the form `jq`'s `fromdateiso8601` reads (without fractions).

    >>> iso(dt.datetime(2023, 11, 7, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    '2023-11-07T08:30:00Z'
    >>> iso(dt.datetime(2023, 11, 7, 8, 30, 0, 123000, tzinfo=dt.UTC))
    '2023-11-07T08:30:00.123Z'
    """
    if value.tzinfo is None:  # pymongo without tz_aware returns naive UTC
        value = value.replace(tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    spec = "milliseconds" if value.microsecond else "seconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def jsonable(value: Any) -> Any:
    """`value` with datetimes as ISO 8601 strings and other BSON types as strings.

    >>> jsonable({"a": [dt.datetime(2024, 1, 2, tzinfo=dt.UTC)], "b": None})
    {'a': ['2024-01-02T00:00:00Z'], 'b': None}
    """
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # ObjectId, Decimal128, ...


def write_jsonl(documents: Iterable[Mapping[str, Any]], stream: IO[str]) -> int:
    count = 0
    for document in documents:
        stream.write(json.dumps(jsonable(document), ensure_ascii=False) + "\n")
        count += 1
    return count


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dt.datetime):
        return iso(value)
    return "" if value is None else value


def write_csv(documents: Iterable[Mapping[str, Any]], stream: IO[str]) -> int:
    writer = csv.writer(stream)
    writer.writerow(CSV_FIELDS)
    count = 0
    for document in documents:
        writer.writerow([_cell(document.get(field)) for field in CSV_FIELDS])
        count += 1
    return count


def iter_articles(store: ArticleStore, query: ArticleQuery) -> Iterator[dict[str, Any]]:
    """The matching documents, in the query's order, fetched `BATCH_SIZE` at a time."""
    cursor = store.find(query.filter(), projection={"_id": 0}, sort=query.sort(),
                        limit=query.limit, batch_size=BATCH_SIZE)
    yield from cursor


def export(store: ArticleStore, query: ArticleQuery, stream: IO[str], *,
           fmt: str = "jsonl") -> int:
    """Write the matching articles to `stream`; the number written."""
    writer = {"jsonl": write_jsonl, "csv": write_csv}[fmt]
    return writer(iter_articles(store, query), stream)
