"""Extract many saved pages in one process: a manifest in, one JSON line per page out.

The manifest is JSON lines `{"file": path relative to the manifest's folder, "url": ...,
"id": optional}` (the format of the evaluation sets). Each output line holds every
`ArticlePage.to_item()` field, `published_at` / `updated_at` as ISO 8601 with an offset, the
scorer's aliases `published` and `lang`, and the `id` echoed.

    newscrawl extract --manifest truth.jsonl > pred.jsonl
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from crawler.dates.normalise import zone_for
from crawler.extract.article import article_item
from crawler.extract.page import ArticlePage

_OFFSET_RE = re.compile(r"(?:\d{2}:\d{2}(?::\d{1,2}(?:[.,]\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2}|GMT|UTC)\s*$",
                        re.I)


def _display_zone(raw: dict[str, str] | None, fallback: str | None,
                  local: str | None = None) -> tzinfo | None:
    """Show a date in the offset it was written with, else in the zone it was read in; a date
    written in UTC in the site's own zone when the page says which (`ArticlePage.local_zone`)."""
    text = (raw or {}).get("text") or ""
    match = _OFFSET_RE.search(text)
    if match:
        offset = match.group(1)
        if offset.upper() in ("Z", "GMT", "UTC") or offset.replace(":", "") in ("+0000", "-0000"):
            return zone_for(local) if local else UTC
        return zone_for(offset)
    return zone_for(fallback)


# dates.py rules for strings that gave a day but no time of day
_DAY_ONLY_RULES = ("date-local-tz", "relative-date")


def _iso(value: datetime | None, zone: tzinfo | None, rule: str | None) -> str | None:
    """ISO 8601 in the page's own offset; a day without a time of day as its local midnight
    without offset ("2024-04-30T00:00:00").

    The stored date of such a page is that midnight already (`crawler.dates.normalise`); without an offset
    it claims a wall-clock day, not an instant. It is also how the evaluation truths write a
    day (fundus "2024-04-30T00:00:00", Mercury "2016-11-18T00:00:00.000Z"), which the scorer
    counts for minutes: on the 4 pages of 4 sites whose truth is such a midnight (dev 2, wide
    2) the bare date scored a wrong minute; no day changes (issue 14c).
    """
    if value is None:
        return None
    local = value.astimezone(zone) if zone is not None else value
    if rule and rule.endswith(_DAY_ONLY_RULES):
        return f"{local.date().isoformat()}T00:00:00"
    return local.isoformat()


def extract_html(html: str | bytes, url: str, *, id: str | None = None,
                 fetched_at: datetime | None = None) -> dict[str, Any]:
    """One page's JSON-ready prediction (see the module docstring)."""
    fetched_at = fetched_at or datetime.now(UTC)
    page = ArticlePage(url, html, fetched_at=fetched_at)
    item, _ = article_item(page)
    zone_name = item["timezone_hint"] = page.timezone_hint  # shown, for the one reading the output
    rules = item.get("date_source") or {}
    item["published_at"] = _iso(item["published_at"],
                                _display_zone(item["published_raw"], zone_name,
                                              page.local_zone),
                                rules.get("published"))
    item["updated_at"] = _iso(item["updated_at"], _display_zone(item["updated_raw"], zone_name),
                              rules.get("updated"))
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
