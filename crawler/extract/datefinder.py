"""Find the raw publication and update date strings of a page, and say where each was found.

Order of trust: the article's JSON-LD, publication meta tags, `itemprop` markup, `<time
datetime>`, visible labels ("Publié le", "Updated"), and last the URL. Strings are returned as
found; turning them into datetimes is `crawler.dates.normalise`' job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypedDict

from crawler.extract.context import in_other_content
from crawler.extract.jsonld import as_text
from crawler.extract.text import clean_text, text_content

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

    from crawler.extract.jsonld import JsonLd
    from crawler.extract.metatags import MetaTags


class RawDate(TypedDict):
    text: str
    where: str


PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "article:published", "published_time", "article.published", "datepublished",
    "date_published", "publication_date", "publish-date", "publish_date", "publishdate",
    "pubdate", "article_date_original", "original-publish-date", "dc.date.issued",
    "dcterms.issued", "dc.date.created", "dcterms.created", "dc.date", "dcterms.date",
    "sailthru.date", "parsely-pub-date", "cxenseparse:recs:publishtime", "date",
    "created", "article:post_date", "og:pubdate", "bt:pubdate", "rnews:datepublished",
)
UPDATED_META = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "article:modified",
    "modified_time", "datemodified", "date_modified", "last-modified-date", "dcterms.modified",
    "dc.date.modified", "article.updated", "lastmod", "bt:moddate", "eomportal-lastupdate",
)

_MONTH = r"[^\W\d_]{3,12}\.?"
_TIME = (r"(?:\s*(?:,|\||à|a|um|at|-|–|—|a\s+las|alle|kl\.?|o|klo|às|,\s*at)?\s*"
         r"\d{1,2}\s*[:h.]\s*\d{2}(?::\d{2})?(?:\s*[aApP]\.?\s*[mM]\.?)?"
         r"(?:\s*(?:Uhr|h|heures|(?-i:[A-Z]{2,5})(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2})"
         r"(?![^\W\d_]))?)?")
DATE_TEXT_RE = re.compile(
    r"(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}[./-]\s?\d{1,2}[./-]\s?\d{2,4}" + _TIME +
    r"|(?:[^\W\d_]+,?\s+)?\d{1,2}(?:er|\.|º|st|nd|rd|th)?\s+(?:de\s+)?" + _MONTH +
    r"\s+(?:de\s+)?\d{4}" + _TIME +
    r"|(?:[^\W\d_]+,?\s+)?" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}" + _TIME +
    r"|\d{4}年\s*\d{1,2}月\s*\d{1,2}日(?:\s*\d{1,2}[:時]\d{2}分?)?"
    r"|\d{4}\.\s?\d{1,2}\.\s?\d{1,2}\.?" + _TIME + r")",
)
_PUBLISHED_LABEL = (
    r"publié\s+le|publié|mis\s+en\s+ligne\s+le|published\s+on|published|posted\s+on|posted|"
    r"first\s+published|veröffentlicht\s+am|veröffentlicht|erstellt\s+am|publicado\s+el|"
    r"publicado|pubblicato\s+il|pubblicato|gepubliceerd\s+op|gepubliceerd|opublikowano|"
    r"publikováno|publicerad|publisert|julkaistu|yayınlanma|опубликовано|дата\s+публикации"
)
_UPDATED_LABEL = (
    r"mis\s+à\s+jour\s+le|mis\s+à\s+jour|mise\s+à\s+jour\s+le|mise\s+à\s+jour|"
    r"dernière\s+mise\s+à\s+jour|updated\s+on|last\s+updated|updated|aktualisiert\s+am|"
    r"aktualisiert|actualizado\s+el|actualizado|aggiornato\s+il|aggiornato|bijgewerkt|"
    r"zaktualizowano|aktualizováno|uppdaterad|oppdatert|päivitetty|güncelleme|обновлено"
)
_LABEL_RE = re.compile(
    r"(?P<label>" + _PUBLISHED_LABEL + r"|" + _UPDATED_LABEL + r")\s*[:：]?\s*"
    r"(?:le\s+|on\s+|am\s+|el\s+|il\s+|op\s+)?(?P<date>" + DATE_TEXT_RE.pattern + r")",
    re.IGNORECASE,
)
_UPDATED_LABEL_RE = re.compile(_UPDATED_LABEL, re.IGNORECASE)
_URL_DATE_RE = re.compile(
    r"/((?:19|20)\d{2})[/-]([01]?\d)[/-]([0-3]?\d)(?:/|-|$)|/((?:19|20)\d{2})([01]\d)([0-3]\d)/"
    r"|[/_-]((?:19|20)\d{2})-([01]\d)-([0-3]\d)[/_.-]"
)
_COMPACT_DATE_RE = re.compile(r"((?:19|20)\d{2})([01]\d)([0-3]\d)")


def _found(text: str | None, where: str) -> RawDate | None:
    """A raw date; a compact "20231102" (some meta tags) is written as 2023-11-02.

    >>> _found("20231102", "meta:pubdate")
    {'text': '2023-11-02', 'where': 'meta:pubdate'}
    """
    text = clean_text(text)
    compact = _COMPACT_DATE_RE.fullmatch(text)
    if compact:
        text = "-".join(compact.groups())
    return RawDate(text=text, where=where) if text else None


def itemprop_date(root: Element, prop: str) -> RawDate | None:
    for element in root.iterfind(f".//*[@itemprop='{prop}']"):
        if element.tag == "meta" or not in_other_content(element):
            value = element.get("content") or element.get("datetime") or text_content(element)
            found = _found(value, f"itemprop:{prop}")
            if found:
                return found
    return None


def time_element_date(root: Element, *, updated: bool) -> RawDate | None:
    """The first `<time datetime>` outside asides; one marked as the update time for updates."""
    candidates = []
    for element in root.iter("time"):
        value = element.get("datetime")
        if not value or not clean_text(value) or in_other_content(element):
            continue
        names = f"{element.get('class') or ''} {element.get('itemprop') or ''}".lower()
        context = clean_text((text_content(element.getparent()) if element.getparent()
                              is not None else "") or "")[:80]
        is_update = ("modif" in names or "updat" in names
                     or bool(_UPDATED_LABEL_RE.search(context) and not re.search(
                         _PUBLISHED_LABEL, context, re.IGNORECASE)))
        candidates.append((value, is_update, element.get("pubdate") is not None
                           or "publish" in names))
    if updated:
        for value, is_update, _ in candidates:
            if is_update:
                return _found(value, "time[datetime]")
        return None
    # `pubdate` / a "publish" class marks the article's time, unless several times carry it:
    # then it marks the items of a list (issue 14c, one wide page: 20 "pubdate" times below
    # the article's own unmarked time)
    marked_values = [value for value, _, marked in candidates if marked]
    if 1 <= len(marked_values) <= 2 and len(set(marked_values)) == 1:
        return _found(marked_values[0], "time[datetime]")
    for value, is_update, _ in candidates:
        if not is_update:
            return _found(value, "time[datetime]")
    return None


_DATE_CLASS_RE = re.compile(r"(?:^|[\s_-])(?:date|dateline|time|timestamp|published|publish-date|"
                            r"pubdate|post-date|entry-date|posted-on|article-date)(?:$|[\s_-])",
                            re.IGNORECASE)
_UPDATE_CLASS_RE = re.compile(r"updat|modif", re.IGNORECASE)


def date_class_text(root: Element) -> RawDate | None:
    """The text of the first small element whose class says it is the date ("byline__date").

    Relative dates ("il y a 3 heures", "2 hours ago") are often only found this way.
    """
    for count, element in enumerate(root.iter("span", "p", "div", "time", "li", "small")):
        if count > 5000:
            break
        names = f"{element.get('class') or ''} {element.get('id') or ''}"
        if not names.strip() or not _DATE_CLASS_RE.search(names) or _UPDATE_CLASS_RE.search(names):
            continue
        text = clean_text(text_content(element))
        if 4 <= len(text) <= 80 and re.search(r"\d", text) and not in_other_content(element):
            # only the date when one is written: the element often also holds a place, an
            # outlet or a reading time ("Unica.md, 20 septembrie 2020 16:20", "2019年2月27日
            # 読了時間 3 分") that the date parser cannot skip; relative dates are kept whole
            match = DATE_TEXT_RE.search(text)
            return RawDate(text=match.group(0) if match else text, where="html:date-class")
    return None


_BYLINE_XPATH = (
    ".//*[contains(concat(' ', normalize-space(@class), ' '), ' author ')"
    " or @rel='author' or contains(concat(' ', normalize-space(@itemprop), ' '), ' author ')"
    " or contains(@class, 'byline')]"
)


def byline_date(root: Element) -> RawDate | None:
    """A date written on the byline line ("Par X | 30 septembre 2018")."""
    for element in root.xpath(_BYLINE_XPATH)[:5]:
        if in_other_content(element):
            continue
        line = element.getparent() if element.getparent() is not None else element
        text = clean_text(text_content(line))
        if len(text) > 300:
            text = clean_text(text_content(element))
            if len(text) > 300:
                continue
        match = DATE_TEXT_RE.search(text)
        if match:
            return RawDate(text=match.group(0), where="text:byline")
    return None


# The literal start of every label alternative, lowercase, up to its first space
# (tests/test_extract.py checks that each alternative starts with one).
_LABEL_STARTS = (
    "publi", "pubbl", "mis", "posted", "first", "veröffentlicht", "erstellt", "gepubliceerd",
    "opublikowano", "julkaistu", "yay", "опубликовано", "дата", "dernière", "updated", "last",
    "aktuali", "actualizado", "aggiornato", "bijgewerkt", "zaktualizowano", "uppdaterad",
    "oppdatert", "päivitetty", "güncelleme", "обновлено",
)
# characters the case-insensitive label regex takes for a letter of `_LABEL_STARTS` although
# str.lower() does not give that letter ("ſ" for "s", "ı" for "i", old Cyrillic forms)
_CASE_ODDITIES = "ıſᲀᲁᲂᲄᲅ"


def _label_matches(text: str, lower: str, start: int) -> Iterator[re.Match[str]]:
    """`_LABEL_RE.finditer(text, start)`, trying the regex only where a label can start.

    Scanning every position costs 0.9 ms on a page's text (median of the eval pages that
    need it); the label starts are found with `str.find` and the regex matched there. The
    same matches: a label begins with one of `_LABEL_STARTS` in the lowercased text, as long
    as lowercasing keeps every character in place and maps each case variant the regex
    accepts (else the full scan).
    """
    if len(lower) != len(text) or any(odd in text for odd in _CASE_ODDITIES):
        yield from _LABEL_RE.finditer(text, start)
        return
    positions: set[int] = set()
    for stem in _LABEL_STARTS:
        position = lower.find(stem, start)
        while position >= 0:
            positions.add(position)
            position = lower.find(stem, position + 1)
    end = start
    for position in sorted(positions):
        if position < end:
            continue  # inside the previous match: finditer does not overlap
        match = _LABEL_RE.match(text, position)
        if match:
            yield match
            end = match.end()


def label_dates(text: str) -> tuple[RawDate | None, RawDate | None]:
    """(published, updated) from visible "Publié le ..." / "Updated ..." labels in the text.

    >>> label_dates("Publié le 12 mars 2024 à 10h15 Mis à jour le 13 mars 2024")[1]
    {'text': '13 mars 2024', 'where': 'text:label'}
    >>> label_dates("Publié le 20 novembre 2023 Mise à jour : 22 novembre 2023 à 10h15")[1]
    {'text': '22 novembre 2023 à 10h15', 'where': 'text:label'}
    """
    published: RawDate | None = None
    updated: RawDate | None = None
    text = text[:200_000]
    for match in _label_matches(text, text.lower(), 0):
        is_update = bool(_UPDATED_LABEL_RE.fullmatch(match.group("label").strip(" :")))
        found = _found(match.group("date"), "text:label")
        if is_update and updated is None:
            updated = found
        elif not is_update and published is None:
            published = found
        if published and updated:
            break
    return published, updated


def url_date(url: str) -> RawDate | None:
    """A date written in the URL path, as YYYY-MM-DD.

    >>> url_date("https://example.com/2020/02/19/title/")
    {'text': '2020-02-19', 'where': 'url'}
    """
    match = _URL_DATE_RE.search(url or "")
    if not match:
        return None
    groups = [g for g in match.groups() if g]
    year, month, day = groups[:3]
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    return RawDate(text=f"{year}-{int(month):02d}-{int(day):02d}", where="url")


# a time of day: "14:07", "10h15", "11時30分", "klo 14.00" (a dot only after a time word:
# "30.04.2024" is a day)
_CLOCK_RE = re.compile(r"(?<![\d.])\d{1,2}\s*(?::|h|時)\s*\d{2}(?!\d)"
                       r"|\b(?:klo|kl\.?|um|à|at|o)\s+\d{1,2}\.\d{2}(?![\d.])", re.IGNORECASE)
_TIME_ATTRIBUTES = ("datetime", "data-published", "data-datetime", "data-time", "content",
                    "data-timestamp", "title")


def has_clock_time(text: str | None) -> bool:
    """True when a date string also gives a time of day.

    >>> has_clock_time("2016-12-09"), has_clock_time("30.04.2024")
    (False, False)
    >>> has_clock_time("Dec 9, 2016 9:13 AM"), has_clock_time("19.2.2020 klo 14.00")
    (True, True)
    """
    return bool(text and _CLOCK_RE.search(text.partition("T")[2] if re.match(
        r"\d{4}-\d{2}-\d{2}T", text) else text))


def timed_dates(root: Element, visible_text: Callable[[], str]) -> list[RawDate]:
    """Date strings of the page that give a time of day, most trusted first: `<time>`
    attributes, `itemprop` dates, then the first dates of the visible text (the date line
    and the byline are there; their own finders cost 1 ms more). For pages whose publication
    date has no time (a meta day, the URL)."""
    found: list[RawDate] = []
    for element in root.iter("time"):
        if in_other_content(element):
            continue
        for name in _TIME_ATTRIBUTES:
            value = clean_text(element.get(name))
            if value and has_clock_time(value) and DATE_TEXT_RE.search(value):
                found.append(RawDate(text=value, where=f"time[{name}]"))
    for prop in ("datePublished", "dateCreated"):
        hit = itemprop_date(root, prop)
        if hit and has_clock_time(hit["text"]):
            found.append(hit)
    # from each of the first clock times back to the date before it: the date regex over the
    # whole text cost 7 ms on some pages, from the clock times it costs 0.1 ms
    text = visible_text()[:20_000]
    for count, clock in enumerate(_CLOCK_RE.finditer(text)):
        if count >= 8:
            break
        start = max(0, clock.start() - 60)
        for match in DATE_TEXT_RE.finditer(text, start, clock.end() + 20):
            if match.start() <= clock.start() < match.end() and has_clock_time(match.group(0)):
                found.append(RawDate(text=match.group(0), where="text:date"))
                break
    return found


def find_dates(*, root: Element | None, jsonld: JsonLd, meta: MetaTags, url: str,
               visible_text: Callable[[], str], selectors: dict[str, str | None]) -> tuple[
                   RawDate | None, RawDate | None]:
    """(published_raw, updated_raw) by the order of trust above."""
    published = _found(selectors.get("published"), "css") if selectors.get("published") else None
    updated = _found(selectors.get("updated"), "css") if selectors.get("updated") else None
    if published is None:
        published = _found(as_text(jsonld.get("datePublished")), "jsonld") or _found(
            as_text(jsonld.get("dateCreated")), "jsonld:dateCreated")
    if updated is None:
        updated = _found(as_text(jsonld.get("dateModified")), "jsonld")
    if published is None:
        hit = meta.first_with_key(*PUBLISHED_META)
        if hit:
            published = _found(hit[1], f"meta:{hit[0]}")
    if updated is None:
        hit = meta.first_with_key(*UPDATED_META)
        if hit:
            updated = _found(hit[1], f"meta:{hit[0]}")
    if root is not None:
        if published is None:
            published = itemprop_date(root, "datePublished")
        if updated is None:
            updated = itemprop_date(root, "dateModified")
        if published is None:
            published = time_element_date(root, updated=False)
        if updated is None:
            updated = time_element_date(root, updated=True)
    if published is None or updated is None:
        label_published, label_updated = label_dates(visible_text())
        published = published or label_published
        updated = updated or label_updated
    if published is None and root is not None:
        published = date_class_text(root) or byline_date(root)
    if published is None:
        published = url_date(url)
    return published, updated
