"""`newscrawl reextract [SITE ...] [--since T] [--dry-run]`: the database re-derived from the archive.

Reads the WARC archive (ARCHIVE_DIR) and reads every archived article page again with the current
extractor, touching no network: the page as a crawl would have read it (the Scrapy response the
downloader gave, `crawler.reading.responses.page_job` and `crawler.reading.reader.read_page`, in
the catalogue entry's language, time zone and selectors), then the pipelines' own steps (the
validator's required fields, the dates pipeline's `resolve_item_dates` at the archived fetch time,
the dedupe pipeline's `article_key`, the store pipeline's `storable`), written like a crawl
writes, through `ArticleStore.upsert_many`.

Of several archived fetches of one URL the newest is read (a first pass indexes the archive's
records, a second reads the chosen ones). A document whose content is unchanged is left as it
is (not even `last_seen_at` moves); a changed one is rewritten as a new revision with
`extractor_version`; a missing one is inserted: the articles collection can be rebuilt from the
archive alone. Damaged records (a file cut by a kill, a file that is not a WARC) are skipped,
one line each on stderr, and counted as unreadable.

Exit codes: 0 done (damage counted, not an error), 1 the database cannot be reached or refused
documents, 2 a usage mistake.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from crawler.archive.reader import ArchivedPage, Damaged, read_archive
from crawler.archive.writer import SUFFIX
from crawler.cli.common import parse_when_argument, project_settings

RUN_ID_PREFIX = "reextract"
BATCH = 100
ARTICLE_KINDS = ("article", "page")


def extractor_version() -> str:
    """`newscrawl <version>+<digest of the reading code>`: changes whenever the extraction does.

    >>> extractor_version().startswith("newscrawl ")
    True
    """
    try:
        version = metadata.version("newscrawl")
    except metadata.PackageNotFoundError:
        version = "0"
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("extract", "reading", "dates"):
        for path in sorted((package / folder).glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"newscrawl {version}+{digest.hexdigest()[:12]}"


@dataclass
class Tally:
    read: int = 0
    unchanged: int = 0
    updated: int = 0
    inserted: int = 0
    unreadable: int = 0
    not_articles: int = 0
    refused: int = 0
    damaged: list[Damaged] = field(default_factory=list)

    def line(self) -> str:
        return (f"read {self.read}, unchanged {self.unchanged}, updated {self.updated}, inserted "
                f"{self.inserted}, unreadable {self.unreadable}, not articles {self.not_articles}")


def archive_files(directory: Path) -> list[Path]:
    """The archive's WARC files, oldest first (the names start with the writer's start time)."""
    return sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: (p.stat().st_mtime, p.name))


def _wanted(page: ArchivedPage, sites: set[str], since: dt.datetime | None) -> bool:
    if page.fields.get("Kind") not in ARTICLE_KINDS or page.status != 200:
        return False
    if sites and page.fields.get("Source") not in sites:
        return False
    return since is None or (page.fetched_at is not None and page.fetched_at >= since)


def newest_records(pages: Iterable[ArchivedPage | Damaged], sites: set[str],
                   since: dt.datetime | None, tally: Tally) -> set[tuple[str, int]]:
    """First pass: the (file, offset) of the newest archived fetch of each URL; damage counted."""
    newest: dict[str, tuple[dt.datetime, str, int]] = {}
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    for page in pages:
        if isinstance(page, Damaged):
            tally.unreadable += 1
            tally.damaged.append(page)
            continue
        if not _wanted(page, sites, since):
            continue
        when = page.fetched_at or epoch
        seen = newest.get(page.url)
        if seen is None or when >= seen[0]:
            newest[page.url] = (when, page.location.file, page.location.offset)
    return {(file, offset) for _, file, offset in newest.values()}


def document_of(page: ArchivedPage, catalogue: dict[str, Any], *, version: str) -> dict[str, Any] | None:
    """The document a crawl would have stored for this archived page, or None (not an article,
    or one the validator or the site's age limit would have dropped)."""
    from scrapy.http import Headers, TextResponse
    from scrapy.responsetypes import responsetypes

    from crawler.dates.normalise import resolve_item_dates
    from crawler.items import ArticleItem
    from crawler.links.urls import article_key, canonical_url
    from crawler.pipelines.validate import ValidatePipeline, storable
    from crawler.reading.reader import read_page
    from crawler.reading.responses import page_job

    headers = Headers([(k, v) for k, v in page.headers
                       if k.lower() not in ("content-encoding", "content-length")])
    response = responsetypes.from_args(headers=headers, url=page.url, body=page.body)(
        url=page.url, status=page.status, headers=headers, body=page.body)
    if not isinstance(response, TextResponse):  # a crawl reads no article from it either
        return None
    source = page.fields.get("Source") or ""
    section = page.fields.get("Section")
    site = catalogue.get(source)
    options: dict[str, Any] = {"source": source, "section": section}
    if site is not None:
        options.update(language=site.language, timezone=site.timezone, selectors=site.selectors)
    fetched_at = page.fetched_at or dt.datetime.now(dt.UTC)
    job = dataclasses.replace(page_job(response, **options), fetched_at=fetched_at)
    reading = read_page(job)
    if not reading.is_article or reading.item is None:
        return None
    item = ArticleItem(**reading.item, crawl_section=section, archive=page.location.as_document())
    if any(not isinstance(item.get(f), str) or not item[f].strip() for f in ValidatePipeline.REQUIRED):
        return None
    resolve_item_dates(item, language=item.get("language") or (site.language if site else None),
                       timezone=site.timezone if site is not None else item.get("timezone_hint"),
                       fetched_at=fetched_at)
    published = item.get("published_at")
    if (site is not None and site.max_age_days and isinstance(published, dt.datetime)
            and published < fetched_at - dt.timedelta(days=site.max_age_days)):
        return None  # the crawl drops (and remembers) what is older than the entry allows
    key = article_key(page.url, item.get("canonical_url"))
    if key is None:
        return None
    item["url"], item["fetched_url"] = key, canonical_url(page.url) or page.url
    document = storable(item)
    document["extractor_version"] = version
    return document


def rebuilt_documents(files: list[Path], chosen: set[tuple[str, int]], catalogue: dict[str, Any],
                      tally: Tally, *, version: str, progress: Any) -> Iterator[dict[str, Any]]:
    """Second pass: the documents of the chosen records."""
    for page in read_archive(files):
        if isinstance(page, Damaged) or (page.location.file, page.location.offset) not in chosen:
            continue
        tally.read += 1
        document = document_of(page, catalogue, version=version)
        progress(tally)
        if document is None:
            tally.not_articles += 1
            continue
        yield document


def write(store: Any, documents: list[dict[str, Any]], tally: Tally, *, dry_run: bool,
          run_id: str) -> None:
    """Unchanged documents are left alone; changed and missing ones go through `upsert_many`."""
    by_url = {d["url"]: d for d in documents}  # two fetched URLs of one article: the later
    stored = {d["_id"]: d.get("content_hash") for d in store.find(
        {"_id": {"$in": list(by_url)}}, projection={"_id": 1, "content_hash": 1})}
    changed = []
    for url, document in by_url.items():
        if url in stored and stored[url] == document["content_hash"]:
            tally.unchanged += 1
        else:
            changed.append(document)
    if dry_run:
        tally.updated += sum(1 for d in changed if d["url"] in stored)
        tally.inserted += sum(1 for d in changed if d["url"] not in stored)
        return
    if changed:
        result = store.upsert_many(changed, run_id=run_id, now=dt.datetime.now(dt.UTC))
        tally.updated += result.updated
        tally.inserted += result.inserted
        tally.unchanged += result.unchanged
        tally.refused += len(result.rejected)
        for _, message in result.rejected:
            print(f"newscrawl reextract: refused by the server: {message}", file=sys.stderr)


def _progress_printer(enabled: bool) -> Any:
    last = [0.0]

    def show(tally: Tally) -> None:
        now = time.monotonic()
        if enabled and now - last[0] >= 0.5:
            last[0] = now
            sys.stderr.write(f"\rreextract: {tally.line()}\x1b[K")
            sys.stderr.flush()

    return show


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "reextract", help="re-derive stored articles from the WARC archive (no network)",
        description="Read every archived article page again with the current extractor: unchanged "
                    "documents stay, changed ones become a new revision, missing ones are inserted.")
    parser.add_argument("sites", nargs="*", metavar="SITE", help="only these sources (default: all)")
    parser.add_argument("--since", type=parse_when_argument,
                        help="only pages archived at or after T (2024-03-01, or an age: 6h, 3d)")
    parser.add_argument("--dry-run", action="store_true",
                        help="count what would change, write nothing")
    parser.add_argument("--archive-dir", help="the archive to read (default: ARCHIVE_DIR)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from crawler.catalogue.sites import catalogue_files, load_catalogue
    from crawler.errors import CatalogueError, DatabaseUnavailable

    settings = project_settings()
    directory = Path(args.archive_dir or settings.get("ARCHIVE_DIR"))
    if not directory.is_dir():
        print(f"newscrawl reextract: no archive at {directory} (ARCHIVE_DIR)", file=sys.stderr)
        return 2
    try:
        catalogue = load_catalogue(catalogue_files(settings))
    except CatalogueError as exc:
        print(f"newscrawl reextract: {exc}", file=sys.stderr)
        return 2
    files = archive_files(directory)
    tally = Tally()
    chosen = newest_records(read_archive(files), set(args.sites), args.since, tally)
    for damage in tally.damaged:
        print(f"newscrawl reextract: {damage.file} at byte {damage.offset}: {damage.reason} "
              f"(skipped)", file=sys.stderr)
    version = extractor_version()
    run_id = f"{RUN_ID_PREFIX}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    progress = _progress_printer(sys.stderr.isatty())
    try:
        from crawler.cli.common import reader_stores

        store, _ = reader_stores(settings)
        if not args.dry_run:
            store.ensure_indexes()
        batch: list[dict[str, Any]] = []
        for document in rebuilt_documents(files, chosen, catalogue, tally, version=version,
                                          progress=progress):
            batch.append(document)
            if len(batch) >= BATCH:
                write(store, batch, tally, dry_run=args.dry_run, run_id=run_id)
                batch = []
        write(store, batch, tally, dry_run=args.dry_run, run_id=run_id)
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"newscrawl reextract: {exc}", file=sys.stderr)
        return 1
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
    what = "would be (dry run)" if args.dry_run else "done"
    print(f"reextract {what}: {tally.line()} ({len(files)} files in {directory}, {version})")
    return 1 if tally.refused else 0
