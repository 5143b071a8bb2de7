"""`newscrawl migrate`: bring stored articles to the current `schema_version`, from what they hold.

Version 3 (issue 22) adds `published_local` / `updated_local`. For a document written before, they
are computed by the crawl's own function (`crawler.dates.local.local_time`) from what the
document already holds: the UTC date, the raw string it was read from (its offset), the rule that
read it (`date_source`) and the catalogue time zone of its `source` (none for `news` crawls: the
offset of the raw string, else UTC). The revisions collection gets its indexes. Idempotent: a
second run finds nothing to do. Only `find`, `$set` updates and index creation: the same on
MongoDB and nx-27017.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping
from typing import Any

from crawler.cli.common import at_least, project_settings

BATCH_SIZE = 500
_PROJECTION = {"_id": 1, "source": 1, "published_at": 1, "updated_at": 1, "published_raw": 1,
               "updated_raw": 1, "date_source": 1}


def local_fields(document: Mapping[str, Any], zones: Mapping[str, str]) -> dict[str, Any]:
    """`published_local` / `updated_local` of a stored document.

    >>> local_fields({"source": "s", "published_at": dt.datetime(2024, 5, 16, 9, 26),
    ...               "published_raw": {"text": "16/05/2024 11h26", "where": "text:label"},
    ...               "date_source": {"published": "text:label/text-local-tz"}},
    ...              {"s": "Europe/Paris"})
    {'published_local': '2024-05-16T11:26:00+02:00', 'updated_local': None}
    """
    from crawler.dates.local import local_time

    rules = document.get("date_source") or {}
    fields: dict[str, Any] = {}
    for name in ("published", "updated"):
        value = document.get(f"{name}_at")
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)  # a client without tz_aware
        raw = document.get(f"{name}_raw")
        fields[f"{name}_local"] = local_time(
            value if isinstance(value, dt.datetime) else None,
            rule=rules.get(name) if isinstance(rules, Mapping) else None,
            raw_text=raw.get("text") if isinstance(raw, Mapping) else None,
            timezone=zones.get(str(document.get("source"))), source=document.get("source"))
    return fields


def migrate(articles: Any, zones: Mapping[str, str], *, batch_size: int = BATCH_SIZE,
            dry_run: bool = False) -> tuple[int, int]:
    """(documents migrated, documents already current)."""
    from pymongo import UpdateOne

    from crawler.storage.documents import SCHEMA_VERSION

    current = articles.count({"schema_version": {"$gte": SCHEMA_VERSION}})
    pending: list[Any] = []
    migrated = 0
    cursor = articles.find({"schema_version": {"$lt": SCHEMA_VERSION}}, projection=_PROJECTION,
                           batch_size=batch_size)
    for document in cursor:
        pending.append(UpdateOne({"_id": document["_id"]}, {"$set": {
            **local_fields(document, zones), "schema_version": SCHEMA_VERSION}}))
        migrated += 1
        if len(pending) >= batch_size and not dry_run:
            articles.collection.bulk_write(pending, ordered=False)
            pending = []
    if pending and not dry_run:
        articles.collection.bulk_write(pending, ordered=False)
    return migrated, current


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "migrate", help="fill the fields of the current schema version on stored articles",
        description="Bring every stored article to the current schema_version (docs/schema.md, "
                    "Changelog) from what it already holds; a second run does nothing.")
    parser.add_argument("--dry-run", action="store_true", help="count, write nothing")
    parser.add_argument("--batch-size", type=at_least(1), default=BATCH_SIZE, metavar="N",
                        help=f"documents per bulk write (default {BATCH_SIZE})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from crawler.catalogue.sites import catalogue_files, load_catalogue
    from crawler.cli.common import reader_stores
    from crawler.errors import CatalogueError, DatabaseUnavailable
    from crawler.storage.documents import SCHEMA_VERSION

    settings = project_settings()
    try:
        zones = {key: site.timezone for key, site in load_catalogue(catalogue_files(settings)).items()}
    except CatalogueError as exc:
        print(f"newscrawl migrate: {exc}", file=sys.stderr)
        return 2
    try:
        articles, _ = reader_stores(settings)
        articles.revisions.ensure_indexes()
        migrated, current = migrate(articles, zones, batch_size=args.batch_size,
                                    dry_run=args.dry_run)
    except DatabaseUnavailable as exc:
        print(f"newscrawl migrate: {exc}", file=sys.stderr)
        return 1
    verb = "would migrate" if args.dry_run else "migrated"
    print(f"{verb} {migrated} articles to schema_version {SCHEMA_VERSION} "
          f"({current} already at it)")
    return 0
