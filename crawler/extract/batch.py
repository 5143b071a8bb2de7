"""Extract many saved pages in one process: a manifest in, one JSON line per page out.

The manifest is JSON lines `{"file": path relative to the manifest's folder, "url": ...,
"id": optional}` (the format of the evaluation sets). Each output line holds every
`ArticlePage.to_item()` field, `published_at` / `updated_at` as the stored `published_local` /
`updated_local` (ISO 8601 in the publisher's offset, `crawler.dates.local`), the
scorer's aliases `published` and `lang`, and the `id` echoed.

    newscrawl extract --manifest truth.jsonl > pred.jsonl
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.extract.article import article_item
from crawler.extract.page import ArticlePage


def extract_html(html: str | bytes, url: str, *, id: str | None = None,
                 fetched_at: datetime | None = None) -> dict[str, Any]:
    """One page's JSON-ready prediction (see the module docstring)."""
    fetched_at = fetched_at or datetime.now(UTC)
    page = ArticlePage(url, html, fetched_at=fetched_at)
    item, _ = article_item(page)
    item["timezone_hint"] = page.timezone_hint  # shown, for the one reading the output
    # The publisher's wall clock, as the store keeps it (`published_local`, crawler.dates.local):
    # what the scorer compares, and the same function the crawl's reader runs.
    item["published_at"] = item["published_local"]
    item["updated_at"] = item["updated_local"]
    item["fetched_at"] = fetched_at.isoformat()
    item["published"] = item["published_at"]
    item["lang"] = item["language"]
    item["is_article"], item["verdict"] = page.article_verdict()
    if id is not None:
        item["id"] = id
    return item


def extract_file(path: str | Path, url: str, *, id: str | None = None) -> dict[str, Any]:
    """`extract_html` on a saved page, decoded like a download (BOM, UTF-8, declared charset)."""
    html = Path(path).read_bytes()
    return extract_html(html, url, id=id)


def iter_manifest(manifest_path: str | Path) -> Iterator[dict[str, Any]]:
    """One prediction per manifest line; a missing file gives a record with an `error`."""
    manifest_path = Path(manifest_path)
    folder = manifest_path.parent
    with manifest_path.open(encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            try:
                yield extract_file(folder / entry["file"], entry.get("url") or "",
                                   id=entry.get("id"))
            except OSError as error:
                yield {"id": entry.get("id"), "url": entry.get("url"), "error": str(error)}


def main(argv: list[str] | None = None) -> int:
    """`python -m crawler.extract.batch --manifest truth.jsonl > pred.jsonl`: the predictions
    `score.py` reads, the same `tests/test_quality.py` scores."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--manifest", required=True, help="a JSON-lines file of {file, url, id}")
    args = parser.parse_args(argv)
    try:
        for prediction in iter_manifest(args.manifest):
            sys.stdout.write(json.dumps(prediction, default=str, ensure_ascii=False) + "\n")
    except (OSError, ValueError) as error:  # no manifest, or a line that is not JSON
        print(f"crawler.extract.batch: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
