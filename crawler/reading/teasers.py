"""A listing page's own date for each article link: the machine-readable date of its teaser.

Issue 23 (item 3): a stored article is fetched again when a source says it changed after our
last fetch. Feeds and sitemaps say so with their dates; a section, tag or news listing says so
with the `<time datetime>` (or `dateModified` / `datePublished` microdata) of the teaser around
the link. `teaser_dates` finds it for each link; the spiders carry it as the request's
`listing_lastmod`, which `crawler.middlewares.incremental` compares with our last fetch.

Conservative: a date belongs to a link only when the smallest element around the date that
holds any article link holds exactly one (its image link and its title link to the same URL
count once); a date beside several article links, or outside any teaser, belongs to none.
An "updated" date (class or itemprop containing updated / modified) wins over the others.

Cost: one C-level walk of the tree for `time` and `meta` elements, then, for each date, its
ancestors up to the first holding an article link (no parsel object, no XPath).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from crawler.dates.normalise import normalise_date

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

__all__ = ["parse_listing_dates", "teaser_dates"]

_DATE_PROPS = ("datepublished", "datemodified", "dateupdated", "datecreated")
_UPDATED = ("updated", "modified")
# elements a teaser is never smaller than: past them, the date is the page's, not a link's
_PAGE_LEVEL = frozenset({"body", "html", "main", "head"})


def _date_of(element: Element) -> tuple[str, bool] | None:
    """The raw date an element carries, and whether it is marked as an update."""
    prop = (element.get("itemprop") or "").lower()
    if element.tag == "time":
        raw = element.get("datetime") or element.get("content")
    elif prop.startswith(_DATE_PROPS):
        raw = element.get("content")
    else:
        return None
    if not raw or not raw.strip():
        return None
    marks = f"{prop} {(element.get('class') or '').lower()}"
    return raw.strip(), any(word in marks for word in _UPDATED)


def _link_of(element: Element, is_article: Callable[[str], bool] | None) -> str | None:
    """The one article href of the smallest ancestor of `element` that holds any (None when
    that ancestor holds several, or when none does below the page level)."""
    for ancestor in element.iterancestors():
        if not isinstance(ancestor.tag, str) or ancestor.tag in _PAGE_LEVEL:
            return None
        found: str | None = None
        for anchor in ancestor.iter("a"):
            href = anchor.get("href")
            if not href:
                continue
            href = href.strip()
            key = href.split("#", 1)[0]
            if not key or (is_article is not None and not is_article(href)):
                continue
            if found is None:
                found = href
            elif found.split("#", 1)[0] != key:
                return None  # several article links: whose date is it?
        if found is not None:
            return found
    return None


def teaser_dates(root: Element | None,
                 is_article: Callable[[str], bool] | None = None) -> dict[str, str]:
    """For each article link (its href as written) whose teaser carries a date, the raw date:
    an updated one when the teaser marks one, else the first other. `is_article(href)` says
    which links count as article links (None: every link with an href)."""
    if root is None:
        return {}
    found: dict[str, tuple[str | None, str | None]] = {}  # href: (updated, other)
    for element in root.iter("time", "meta"):
        date = _date_of(element)
        if date is None:
            continue
        href = _link_of(element, is_article)
        if href is None:
            continue
        raw, updated = date
        had_updated, had_other = found.get(href, (None, None))
        found[href] = ((had_updated or raw, had_other) if updated
                       else (had_updated, had_other or raw))
    return {href: chosen for href, (updated, other) in found.items()
            if (chosen := updated or other) is not None}


def parse_listing_dates(raw: dict[str, str], *, timezone: str | None,
                        fetched_at: dt.datetime) -> dict[str, dt.datetime]:
    """`raw` (URL: date string) read as aware UTC datetimes in the site's zone; a date that does
    not parse (or is in the future) is left out, never raised."""
    dates = {}
    for url, text in raw.items():
        value = normalise_date(text, language=None, timezone=timezone, fetched_at=fetched_at).value
        if value is not None:
            dates[url] = value
    return dates
