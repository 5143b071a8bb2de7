"""`newscrawl sites --listings SITE`: what each listing page of a site gave lately, and when it
is visited next (crawler.storage.listings, written by crawler.middlewares.incremental).

SITE is the `source` of the site's articles: a catalogue key, or the host of a `news` crawl.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from crawler.cli.common import project_settings

# listings visited every run whatever they give (README, "What a re-run costs")
_EVERY_RUN = frozenset({"feed", "sitemap", "listing"})


def run_listings(source: str) -> int:
    from crawler.errors import DatabaseUnavailable
    from crawler.extensions.database import open_database
    from crawler.storage.listings import ListingStore

    try:
        documents = ListingStore(open_database(project_settings())).of_source(source)
    except (DatabaseUnavailable, RuntimeError) as exc:
        print(f"newscrawl sites --listings: {exc}", file=sys.stderr)
        return 1
    if not documents:
        print(f"newscrawl sites --listings: no listing recorded for {source!r} (the `source` of "
              "its articles: a catalogue key, or the host a `news` crawl started on)",
              file=sys.stderr)
        return 1
    print_listings(documents, sys.stdout, now=dt.datetime.now(dt.UTC))
    return 0


def print_listings(documents: Iterable[dict[str, Any]], out: TextIO, *,
                   now: dt.datetime) -> None:
    """One row per listing, the most recently fruitful first; times in UTC."""
    rows = [["listing", "kind", "visited", "changed", "last new", "quiet", "next visit"]]
    backed_off = 0
    for document in documents:
        kind = str(document.get("kind") or "-")
        due = document.get("next_visit_at")
        if kind in _EVERY_RUN:
            next_visit = "every run"
        elif isinstance(due, dt.datetime) and _aware(due) > now:
            next_visit = _when(due)
            backed_off += 1
        else:
            next_visit = "next run"
        rows.append([str(document["_id"]), kind, _when(document.get("visited_at")),
                     _when(document.get("changed_at")), _when(document.get("new_at")),
                     str(document.get("quiet_visits", 0)), next_visit])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):  # the layout of `newscrawl sites` (cli.sites imports us)
        out.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")
    out.write(f"\n{len(rows) - 1} listing(s), {backed_off} backed off\n")


def _when(value: Any) -> str:
    return _aware(value).strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else "-"


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
