"""The queries readers run on the articles collection, and the index behind each.

Pure data, no pymongo: `ArticleStore.ensure_schema()` creates `READER_INDEXES`, `newscrawl
export` and the README ("Reading the database") run `ArticleQuery`. Each documented query is
served by one index:

==========================================  ===================================================
query                                       index (name: keys)
==========================================  ===================================================
latest of a source (``published_at`` desc)  ``source_published_at``: source, published_at -1
latest of all sources                       ``published_at``: published_at -1
changed since T (``changed_at`` >= T)       ``changed_at``: changed_at -1 (created by the store)
updated by the publisher since T            ``updated_at``: updated_at -1
seen by the crawler since T                 ``last_seen_at``: last_seen_at -1
new since T (stats)                         ``first_seen_at``: first_seen_at -1
by section within a source                  ``source_section_published_at``
by tag within a source                      ``source_tags_published_at`` (multikey on tags)
full text over title, subtitle, body        ``text_search``: text index, per-document language
==========================================  ===================================================

The text index reads each document's language from `text_language` (a MongoDB text-search
language name, or "none"), never from `language`: MongoDB refuses to index a document whose
override field names a language it does not stem, and `language` may hold any BCP 47 tag.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["READER_INDEXES", "TEXT_INDEX", "ArticleQuery", "parse_when", "text_language"]

DESCENDING = -1

# (keys, options) for create_index; the unique url index and changed_at live in ensure_indexes.
READER_INDEXES: tuple[tuple[list[tuple[str, Any]], dict[str, Any]], ...] = (
    ([("updated_at", DESCENDING)], {"name": "updated_at"}),
    ([("last_seen_at", DESCENDING)], {"name": "last_seen_at"}),
    ([("first_seen_at", DESCENDING)], {"name": "first_seen_at"}),
    ([("source", 1), ("section", 1), ("published_at", DESCENDING)],
     {"name": "source_section_published_at"}),
    ([("source", 1), ("tags", 1), ("published_at", DESCENDING)],
     {"name": "source_tags_published_at"}),
)
TEXT_INDEX: tuple[list[tuple[str, Any]], dict[str, Any]] = (
    [("title", "text"), ("subtitle", "text"), ("body", "text")],
    {"name": "text_search", "default_language": "none", "language_override": "text_language",
     "weights": {"title": 10, "subtitle": 5, "body": 1}},
)

# BCP 47 primary language tag -> MongoDB (community server) text-search language.
_TEXT_LANGUAGES = {
    "da": "danish", "nl": "dutch", "en": "english", "fi": "finnish", "fr": "french",
    "de": "german", "hu": "hungarian", "it": "italian", "nb": "norwegian", "no": "norwegian",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "es": "spanish", "sv": "swedish",
    "tr": "turkish",
}


def text_language(language: object) -> str:
    """The `text_language` value for a document's `language`: a stemming language or "none".

    >>> text_language("fr"), text_language("en-GB"), text_language("PT_br")
    ('french', 'english', 'portuguese')
    >>> text_language("ja"), text_language(None), text_language("")
    ('none', 'none', 'none')
    """
    if not isinstance(language, str):
        return "none"
    primary = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]
    return _TEXT_LANGUAGES.get(primary, "none")


_RELATIVE_RE = re.compile(r"(\d+)\s*([smhdw])", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """An aware UTC datetime from ISO 8601 (a date, or a time without offset = UTC) or "3d" ago.

    >>> parse_when("2023-11-07")
    datetime.datetime(2023, 11, 7, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_when("2023-11-07T09:30:00+01:00")
    datetime.datetime(2023, 11, 7, 8, 30, tzinfo=datetime.timezone.utc)
    >>> parse_when("2023-11-07T08:30:00.123Z")
    datetime.datetime(2023, 11, 7, 8, 30, 0, 123000, tzinfo=datetime.timezone.utc)
    >>> parse_when("36h", now=dt.datetime(2023, 11, 7, 12, tzinfo=dt.UTC))
    datetime.datetime(2023, 11, 6, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_when("yesterday")
    Traceback (most recent call last):
    ValueError: 'yesterday': expected an ISO 8601 date or time, or an age such as 6h, 3d, 2w
    """
    raw = text.strip()
    relative = _RELATIVE_RE.fullmatch(raw)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2).lower()
        return (now or dt.datetime.now(dt.UTC)) - dt.timedelta(**{_UNITS[unit]: amount})
    try:
        value = dt.datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{text!r}: expected an ISO 8601 date or time, or an age such as 6h, "
                         "3d, 2w") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


@dataclass(frozen=True)
class ArticleQuery:
    """What a reader asks for; `filter()` and `sort()` are the indexed MongoDB query.

    Order: `changed_since` -> oldest change first (`changed_at`, so an incremental reader can
    keep the last value it saw as its next T); `search` -> relevance; else newest
    `published_at` first (articles without a date last).

    >>> ArticleQuery(sources=("a",), since=dt.datetime(2023, 1, 1, tzinfo=dt.UTC)).filter()
    ... # doctest: +ELLIPSIS
    {'source': 'a', 'published_at': {'$gte': datetime.datetime(2023, 1, 1, 0, 0, tzinfo=...)}}
    >>> ArticleQuery(sources=("a", "b"), tag="IA").filter(), ArticleQuery().sort()
    ({'source': {'$in': ['a', 'b']}, 'tags': 'IA'}, [('published_at', -1)])
    >>> q = ArticleQuery(search="Quantique", language="fr")
    >>> q.filter(), q.sort()
    ({'$text': {'$search': 'quantique', '$language': 'french'}, 'language': 'fr'}, \
[('score', {'$meta': 'textScore'})])
    """

    sources: tuple[str, ...] = ()
    since: dt.datetime | None = None  # published_at >= since
    until: dt.datetime | None = None  # published_at < until
    changed_since: dt.datetime | None = None  # changed_at >= changed_since
    section: str | None = None
    tag: str | None = None
    search: str | None = None
    language: str | None = None  # BCP 47; filters, and stems the search words
    limit: int = 0  # 0 = no limit

    def filter(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if self.search:
            # MongoDB stems the words in one language per query: documents are indexed in their
            # own, so a search names the language it targets. Lower case: MongoDB's search
            # ignores case anyway, nx-27017's does not.
            query["$text"] = {"$search": self.search.lower(),
                              "$language": text_language(self.language)}
        if self.language is not None:
            query["language"] = self.language
        if len(self.sources) == 1:
            query["source"] = self.sources[0]
        elif self.sources:
            query["source"] = {"$in": list(self.sources)}
        if self.section is not None:
            query["section"] = self.section
        if self.tag is not None:
            query["tags"] = self.tag
        published: dict[str, dt.datetime] = {}
        if self.since is not None:
            published["$gte"] = self.since
        if self.until is not None:
            published["$lt"] = self.until
        if published:
            query["published_at"] = published
        if self.changed_since is not None:
            query["changed_at"] = {"$gte": self.changed_since}
        return query

    def sort(self) -> list[tuple[str, Any]]:
        if self.changed_since is not None:
            return [("changed_at", 1)]
        if self.search:
            return [("score", {"$meta": "textScore"})]
        return [("published_at", DESCENDING)]
