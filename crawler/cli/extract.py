"""`newscrawl extract`: a saved page as the database would store it, without a crawl.

The page goes through the same steps as in a crawl, by the same functions: the crawl reader's
`crawler.extract.article.article_item` (dates in the page's own time-zone hint, as for a `news`
crawl), the dedupe pipeline's `article_key`, the store pipeline's `storable` and the store's
`as_inserted`; then `newscrawl export`'s JSON form (dates in UTC with `Z`, `_id` left out). The
bookkeeping fields are those of a first insert at the extraction time, with `run_id` "extract".

`debug=True` adds a `debug` object with the extraction's evidence: the article verdict and the
rule that decided it, the time-zone hint, whether the crawl would store the page, and the
decisions of the title and byline rules (`evidence`, per field).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.cli.export import jsonable
from crawler.extract.article import article_item
from crawler.extract.page import ArticlePage
from crawler.links.urls import article_key, canonical_url, host_of
from crawler.pipelines.validate import ValidatePipeline, storable
from crawler.storage.documents import as_inserted

PREVIEW_RUN_ID = "extract"


class PreviewError(ValueError):
    """A page or manifest that cannot be read; the message is one line naming it."""


@dataclass(frozen=True)
class SavedPage:
    file: Path
    url: str
    id: str | None = None


def stored_form(html: str | bytes, url: str, *, now: dt.datetime | None = None,
                debug: bool = False) -> dict[str, Any]:
    """The JSON form of the document a crawl would store for this page."""
    now = now or dt.datetime.now(dt.UTC)
    page = ArticlePage(url, html, source=host_of(url) or None, fetched_at=now)
    item, _ = article_item(page)
    item["crawl_section"] = None  # as in a `news` crawl: no catalogue section led to the page
    item["url"] = article_key(url, item.get("canonical_url")) or url
    item["fetched_url"] = canonical_url(url) or url
    document = as_inserted(storable(item), run_id=PREVIEW_RUN_ID, now=now)
    document.pop("_id")  # as `newscrawl export`: `url` is the key
    output: dict[str, Any] = jsonable(document)
    if debug:
        is_article, verdict = page.article_verdict()
        missing = [f for f in ValidatePipeline.REQUIRED
                   if not isinstance(item.get(f), str) or not item[f].strip()]
        output["debug"] = {
            "is_article": is_article,
            "verdict": verdict,
            "timezone_hint": page.timezone_hint,
            "stored_by_a_crawl": not missing,
            "dropped_because": f"no {missing[0]}" if missing else None,
            "evidence": page.evidence(),
        }
    return output


def read_page(page: SavedPage, *, debug: bool = False) -> dict[str, Any]:
    try:
        html = page.file.read_bytes()
    except OSError as exc:
        raise PreviewError(f"cannot read {page.file}: {exc.strerror or exc}") from None
    output = stored_form(html, page.url, debug=debug)
    if page.id is not None:
        # the manifest entry's id, so that a batch's output joins back to its input
        output["id"] = page.id
        if debug:
            output["debug"]["id"] = page.id
    return output


def read_manifest(path: Path) -> list[SavedPage]:
    """Every entry of a JSON-lines manifest `{"file", "url", "id"}` (files relative to it),
    checked before any page is extracted."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PreviewError(f"cannot read manifest {path}: "
                           f"{getattr(exc, 'strerror', None) or exc}") from None
    pages = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PreviewError(f"{path}, line {number}: not JSON ({exc.msg}); expected "
                               '{"file": ..., "url": ..., "id": ...}') from None
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise PreviewError(f"{path}, line {number}: expected an object with \"file\" and "
                               '"url"')
        file = path.parent / entry["file"]
        if not file.is_file():
            raise PreviewError(f"{path}, line {number}: no such file: {file}")
        page_id = entry.get("id")
        pages.append(SavedPage(file, str(entry.get("url") or ""),
                               None if page_id is None else str(page_id)))
    return pages


def preview(pages: list[SavedPage], *, debug: bool = False) -> Iterator[dict[str, Any]]:
    for page in pages:
        yield read_page(page, debug=debug)


def add_parser(commands: Any) -> None:
    extract = commands.add_parser(
        "extract", help="saved pages as the stored documents, as JSON lines",
        description="Print each saved page as the document a crawl would store (the keys and "
                    "UTC dates of `newscrawl export`; docs/schema.md).")
    extract.add_argument("file", nargs="?", help="a saved HTML page (with --url)")
    extract.add_argument("--url", help="the URL the page was saved from")
    extract.add_argument("--manifest", help="a JSON-lines file of {file, url, id}")
    extract.add_argument("--debug", action="store_true",
                         help="add a `debug` object: article verdict, time-zone hint, whether a "
                              "crawl would store the page")
    extract.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print each saved page as the document a crawl would store (crawler/cli/extract.py)."""
    try:
        pages = (read_manifest(Path(args.manifest)) if args.manifest
                 else [SavedPage(Path(args.file), args.url)])
        if not args.manifest and not pages[0].file.is_file():
            raise PreviewError(f"no such file: {pages[0].file}")
        for document in preview(pages, debug=args.debug):
            sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    except PreviewError as exc:
        print(f"newscrawl extract: {exc}", file=sys.stderr)
        return 2
    return 0
