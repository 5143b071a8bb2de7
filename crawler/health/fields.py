"""Field health: which fields each new article has, and how they were found.

The store counts every article it inserts (`HealthTally.count`, into the crawl's stats under
`health/...`); the run recorder turns those counts into the run record's `health` sub-document
(`health_from_stats`). The record keeps counts, so that a distributed round's totals are the sum
of its workers' (`with_shares` recomputes the shares after summing).

A field is *trusted* when the extraction's evidence (the document's `extraction`, docs/schema.md)
gives it a confidence of at least the trusted threshold (HEALTH_TRUSTED_CONFIDENCE, 0.7: a CSS
selector, JSON-LD, a meta tag or a byline rule for authors; the trafilatura second opinion and
loose text rules stay below). A redesign that hides the byline shows as a fall of the trusted
share of `authors` even when a weaker rule still finds a name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

# The fields followed, in display order, and the document field each one looks at.
FIELDS = ("title", "authors", "published", "updated", "section", "image", "language", "body")
_DOCUMENT_FIELD = {"published": "published_at", "updated": "updated_at", "image": "image_url"}
# The fields whose method and confidence the extraction records.
EVIDENCE_FIELDS = ("title", "authors", "published", "body", "language")
_PREFIX = "health/"


class _Stats(Protocol):
    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...


def word_count(text: Any) -> int:
    """
    >>> word_count("Un deux  trois."), word_count(None)
    (3, 0)
    """
    return len(text.split()) if isinstance(text, str) else 0


def _present(document: Mapping[str, Any], name: str, *, min_body_words: int) -> bool:
    if name == "body":
        return word_count(document.get("body")) >= max(1, min_body_words)
    value = document.get(_DOCUMENT_FIELD.get(name, name))
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return any(isinstance(v, str) and v.strip() for v in value)
    return value is not None


def _method_key(method: Any) -> str:
    """A method name as a stats key part and a MongoDB field name (no `/`, `.` or leading `$`).

    >>> _method_key("meta:article.published_time"), _method_key(None)
    ('meta:article_published_time', 'none')
    """
    text = str(method or "none").replace("/", "_").replace(".", "_")
    return text.lstrip("$") or "none"


def article_health(document: Mapping[str, Any], *, min_body_words: int,
                   trusted_confidence: float) -> dict[str, dict[str, Any]]:
    """Per field: present, and for the fields with evidence its method, confidence, trusted.

    >>> h = article_health({"title": "T", "authors": ["A"], "body": "a b c",
    ...     "extraction": {"authors": {"method": "trafilatura", "confidence": 0.5}}},
    ...     min_body_words=3, trusted_confidence=0.7)
    >>> h["authors"], h["body"]["present"], h["image"]
    ({'present': True, 'method': 'trafilatura', 'confidence': 0.5, 'trusted': False}, True, \
{'present': False})
    """
    evidence = document.get("extraction")
    evidence = evidence if isinstance(evidence, Mapping) else {}
    health: dict[str, dict[str, Any]] = {}
    for name in FIELDS:
        present = _present(document, name, min_body_words=min_body_words)
        entry: dict[str, Any] = {"present": present}
        if name in EVIDENCE_FIELDS:
            found = evidence.get(name)
            found = found if isinstance(found, Mapping) else {}
            confidence = found.get("confidence")
            confidence = float(confidence) if isinstance(confidence, int | float) else 0.0
            # trusted: the field is there (a body long enough) and a trusted method found it
            entry.update(method=_method_key(found.get("method")), confidence=confidence,
                         trusted=present and confidence >= trusted_confidence)
        health[name] = entry
    return health


class HealthTally:
    """Counts the new articles of a run into the crawl's stats (`health/...` keys)."""

    def __init__(self, stats: _Stats, *, min_body_words: int, trusted_confidence: float) -> None:
        self.stats = stats
        self.min_body_words = min_body_words
        self.trusted_confidence = trusted_confidence

    def count(self, document: Mapping[str, Any]) -> None:
        health = article_health(document, min_body_words=self.min_body_words,
                                trusted_confidence=self.trusted_confidence)
        self.stats.inc_value(f"{_PREFIX}articles")
        for name, entry in health.items():
            if entry["present"]:
                self.stats.inc_value(f"{_PREFIX}present/{name}")
            if "method" in entry:
                self.stats.inc_value(f"{_PREFIX}method/{name}/{entry['method']}")
                # in thousandths: Scrapy's stats count in integers
                self.stats.inc_value(f"{_PREFIX}confidence/{name}", round(entry["confidence"] * 1000))
                if entry["trusted"]:
                    self.stats.inc_value(f"{_PREFIX}trusted/{name}")


def health_from_stats(stats: Mapping[str, Any]) -> dict[str, Any]:
    """The run record's `health`: counts per field, with shares (`with_shares`).

    >>> h = health_from_stats({"health/articles": 4, "health/present/authors": 3,
    ...     "health/trusted/authors": 1, "health/confidence/authors": 2400,
    ...     "health/method/authors/jsonld": 1, "health/method/authors/trafilatura": 2,
    ...     "health/method/authors/none": 1})
    >>> h["articles"], h["fields"]["authors"]["share"], h["fields"]["authors"]["trusted_share"]
    (4, 0.75, 0.25)
    >>> h["fields"]["authors"]["methods"], h["fields"]["image"]
    ({'jsonld': 1, 'trafilatura': 2, 'none': 1}, {'present': 0, 'share': 0.0})
    >>> health_from_stats({})
    {'articles': 0, 'fields': {}}
    """
    articles = int(stats.get(f"{_PREFIX}articles", 0))
    if not articles:
        return {"articles": 0, "fields": {}}
    fields: dict[str, dict[str, Any]] = {}
    for name in FIELDS:
        entry: dict[str, Any] = {"present": int(stats.get(f"{_PREFIX}present/{name}", 0))}
        if name in EVIDENCE_FIELDS:
            prefix = f"{_PREFIX}method/{name}/"
            entry["trusted"] = int(stats.get(f"{_PREFIX}trusted/{name}", 0))
            entry["confidence_sum"] = round(float(stats.get(f"{_PREFIX}confidence/{name}", 0)) / 1000, 3)
            entry["methods"] = {key[len(prefix):]: int(value) for key, value in stats.items()
                                if key.startswith(prefix)}
        fields[name] = entry
    return with_shares({"articles": articles, "fields": fields})


def with_shares(health: Mapping[str, Any]) -> dict[str, Any]:
    """`health` with each field's `share`, `trusted_share` and mean `confidence` computed from
    its counts (after a sum of several workers' counts, or on a record of any age).

    >>> with_shares({"articles": 2, "fields": {"title": {"present": 1, "share": 9,
    ...     "trusted": 1, "confidence_sum": 1.9}}})["fields"]["title"]
    {'present': 1, 'share': 0.5, 'trusted': 1, 'confidence_sum': 1.9, 'trusted_share': 0.5, \
'confidence': 0.95}
    """
    articles = _int(health.get("articles"))
    fields: dict[str, dict[str, Any]] = {}
    raw_fields = health.get("fields")
    for name, raw in (raw_fields.items() if isinstance(raw_fields, Mapping) else ()):
        if not isinstance(raw, Mapping):
            continue
        entry = dict(raw)
        entry["share"] = round(_int(raw.get("present")) / articles, 4) if articles else 0.0
        if "trusted" in raw:
            entry["trusted_share"] = round(_int(raw.get("trusted")) / articles, 4) if articles else 0.0
            total = raw.get("confidence_sum")
            entry["confidence"] = (round(float(total) / articles, 3)
                                   if articles and isinstance(total, int | float) else 0.0)
        fields[str(name)] = entry
    return {**health, "articles": articles, "fields": fields}


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0
