"""`newscrawl export`: stream the articles a reader asks for as JSON lines or CSV.

One cursor, read in batches and written line by line, so memory stays flat whatever the size of
the collection. Dates are ISO 8601 in UTC with a `Z` (milliseconds only when there are some, as
BSON keeps them); `_id` is left out: `url` is the key.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crawler.cli.common import at_least, parse_when_argument, project_settings, reader_stores

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


def add_parser(commands: Any) -> None:
    export = commands.add_parser(
        "export", help="matching articles as JSON lines or CSV",
        description="Stream matching articles, newest published first (--changed-since: oldest "
                    "change first; --search: most relevant first). Times: ISO 8601 (UTC unless "
                    "an offset is given) or an age such as 6h, 3d, 2w.")
    export.add_argument("--source", action="append", metavar="S",
                        help="only this source (repeatable)")
    export.add_argument("--since", type=parse_when_argument, metavar="T", help="published_at >= T")
    export.add_argument("--until", type=parse_when_argument, metavar="T", help="published_at < T")
    export.add_argument("--changed-since", type=parse_when_argument, metavar="T",
                        help="inserted or changed (changed_at) at or after T")
    export.add_argument("--section", help="section equal to this value")
    export.add_argument("--tag", help="tags containing this value")
    export.add_argument("--search", metavar="WORDS", help="full-text search in title, subtitle, body")
    export.add_argument("--language", metavar="LANG",
                        help="language equal to LANG (fr, en...); with --search, the words are "
                             "stemmed in it")
    export.add_argument("--limit", type=at_least(0), default=0, metavar="N",
                        help="at most N articles (0: all)")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from crawler.errors import DatabaseUnavailable
    from crawler.storage.queries import ArticleQuery

    query = ArticleQuery(sources=tuple(args.source or ()), since=args.since, until=args.until,
                         changed_since=args.changed_since, section=args.section, tag=args.tag,
                         search=args.search, language=args.language, limit=args.limit)
    try:
        articles, _ = reader_stores(project_settings())
        if not args.output:
            try:
                count = export(articles, query, sys.stdout, fmt=args.format)
                sys.stdout.flush()
            except BrokenPipeError:  # `| head`: the reader has all it wants
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 0
        else:
            partial = Path(f"{args.output}.part")
            with partial.open("w", encoding="utf-8", newline="") as stream:
                count = export(articles, query, stream, fmt=args.format)
            partial.replace(args.output)
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"newscrawl export: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # -o in a missing or read-only directory, a full disk
        print(f"newscrawl export: cannot write {args.output}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2 if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)) else 1
    if args.output:
        print(f"{count} articles written to {args.output}", file=sys.stderr)
    return 0
