"""A page as the item a crawl stores: extracted, its dates resolved, in one place.

`article_item` is what the crawl's reader (`crawler.reading.reader.read_page`, in process or in a
worker), `newscrawl extract` and the batch scorer (`crawler.extract.batch`) call: the date
strings are parsed where the page is read, once, and the crawl's pipelines only validate,
window, dedupe and store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crawler.dates.normalise import resolve_item_dates

if TYPE_CHECKING:
    from crawler.extract.page import ArticlePage


def article_item(page: ArticlePage) -> tuple[dict[str, Any], dict[str, str]]:
    """`page.to_item()` with `published_at`, `updated_at` and `date_source` filled, and the date
    errors ({"published": "unparseable", ...}: strings present but rejected) for the caller to
    count and report.

    The zone is the catalogue site's (`ArticlePage(timezone=...)`), else the page's own
    `timezone_hint`, else UTC; the language the page's, else the catalogue's; relative dates
    ("2 hours ago") are resolved against the fetch time.
    """
    item = page.to_item()
    errors = resolve_item_dates(item, language=item.get("language") or page.default_language,
                                timezone=page.timezone or page.timezone_hint,
                                fetched_at=item.get("fetched_at") or datetime.now(UTC),
                                local_zone=page.local_zone)
    return item, errors
