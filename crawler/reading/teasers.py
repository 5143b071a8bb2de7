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

Cost: no walk of its own in the `news` reader (`page_links` collects the `time` and microdata
elements in its walk of the anchors), then, for each date, its teaser's subtree (no parsel
object, no XPath).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from crawler.dates.normalise import normalise_date

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

__all__ = ["date_elements", "parse_listing_dates", "teaser_dates"]

_DATE_PROPS = ("datepublished", "datemodified", "dateupdated", "datecreated")
_UPDATED = ("updated", "modified")
# elements a teaser is never smaller than: past them, the date is the page's, not a link's
_PAGE_LEVEL = frozenset({"body", "html", "main", "head"})
# a teaser's date sits at most this many levels below the element that holds its link
_MAX_CLIMB = 5
_EARLIEST = dt.datetime(1995, 1, 1, tzinfo=dt.UTC)  # as normalise_date: older is no news date


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


def _link_of(element: Element, key_of: Callable[[str], str | None]) -> str | None:
    """The one article link (its key) of the smallest ancestor of `element` that holds any
    (None when that ancestor holds several, or when none does within `_MAX_CLIMB` levels below
    the page level). Each level reads only the subtrees the level below did not: the cost is
    the size of the teaser, not its depth times its size."""
    found: str | None = None
    below = element
    for level, ancestor in enumerate(element.iterancestors()):
        if level >= _MAX_CLIMB or not isinstance(ancestor.tag, str) or ancestor.tag in _PAGE_LEVEL:
            return None
        anchors = [ancestor] if ancestor.tag == "a" else []  # a date inside the link itself
        for child in ancestor:
            if child is not below:
                anchors.extend(child.iter("a"))
        for anchor in anchors:
            href = anchor.get("href")
            key = key_of(href) if href else None
            if key is None:
                continue
            if found is None:
                found = key
            elif found != key:
                return None  # several article links: whose date is it?
        if found is not None:
            return found
        below = ancestor
    return None


def date_elements(root: Element | None) -> list[Element]:
    """The elements of a tree that may carry a teaser's date (`page_links` collects the same
    in its walk)."""
    if root is None:
        return []
    return [e for e in root.iter("time", "meta") if e.tag == "time" or e.get("itemprop")]


def teaser_dates(elements: Iterable[Element],
                 is_article: Callable[[str], bool] | None = None) -> dict[str, str]:
    """For each article link (its href, stripped, without its fragment) whose teaser carries a
    date, the raw date:
    an updated one when the teaser marks one, else the first other. `elements`: the `time` and
    microdata elements of the page (`date_elements`, or those `page_links` collected);
    `is_article(key)` says which links count as article links (None: every link)."""
    found: dict[str, tuple[str | None, str | None]] = {}  # href: (updated, other)
    keys: dict[str, str | None] = {}  # href as written: its key if an article link, else None

    def key_of(href: str) -> str | None:
        if href not in keys:
            key = href.strip().split("#", 1)[0]  # its image and its comments count once
            keys[href] = key if key and (is_article is None or is_article(key)) else None
        return keys[href]

    for element in elements:
        date = _date_of(element)
        if date is None:
            continue
        href = _link_of(element, key_of)
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
        try:  # an ISO date with its offset, as `datetime` attributes mostly are: no parsing rules
            value: dt.datetime | None = dt.datetime.fromisoformat(text)
        except ValueError:
            value = None
        if value is None or value.tzinfo is None or not (
                _EARLIEST < value <= fetched_at + dt.timedelta(days=1)):
            value = normalise_date(text, language=None, timezone=timezone,
                                   fetched_at=fetched_at).value
        else:
            value = value.astimezone(dt.UTC)
        if value is not None:
            dates[url] = value
    return dates
