"""A second opinion where the own extractor is weak: trafilatura for the body (and, on the same
call, the authors), htmldate for a missing publication date.

The own extractor stays first: it is better on titles, times to the minute and languages, and
3x faster than trafilatura (issue 14). These libraries are called only for the pages the own
extractor is unsure about, so their cost is paid on a few pages, not on every page.

trafilatura and htmldate read the page's HTML text, not our tree: they need lxml.html element
classes (ours is a plain etree tree, 30% faster to walk) and trafilatura changes the tree it is
given. Their own parse is about 1.3 ms of trafilatura's 12 ms (median, wide set).
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from lxml.etree import _Element as Element

logger = logging.getLogger(__name__)

_AUTHOR_SPLIT_RE = re.compile(r"\s*;\s*")
_BLOCK_RE = re.compile(
    r"<(?:p|div|li|h[1-6]|td|tr|pre|blockquote|section|article|dd|dt)[\s>]", re.IGNORECASE)
_JUSTEXT_MAX_BLOCKS = 3000


def _count_blocks(html: str) -> int:
    """
    >>> _count_blocks("<div><p>a</p><P class=x>b</p><pre>c</pre><param></div>")
    4
    """
    return sum(1 for _ in _BLOCK_RE.finditer(html))


@dataclass(frozen=True)
class SecondOpinion:
    """What trafilatura found on a page: body text and author names (empty when nothing)."""

    body: str = ""
    authors: list[str] = field(default_factory=list)


def trafilatura_opinion(html: str, url: str) -> SecondOpinion:
    """trafilatura's body and authors for a page; empty on any failure (logged at DEBUG).

    On a page of more than `_JUSTEXT_MAX_BLOCKS` block elements, `fast=True` skips trafilatura's
    comparison with readability and jusText: jusText's neighbour search is quadratic in
    paragraphs (4,000 short paragraphs: 1.13 s, 0.34 s with `fast`), and a page of 50,000 (a long
    comment thread, a hostile page) held the reactor for 497 s, 8 s with `fast`. Not on every
    page: since short bodies ask trafilatura, `fast` everywhere cost wide snippets 0.946 -> 0.941
    (2026-12-01); the largest eval page has 2,615 blocks, so the limit changes no score.
    """
    try:
        import trafilatura

        fast = _count_blocks(html) > _JUSTEXT_MAX_BLOCKS
        document = trafilatura.bare_extraction(html, url=url or None, with_metadata=True,
                                               include_comments=False, include_tables=True, fast=fast)
    except Exception:  # a third-party parser on arbitrary pages: any failure means "no opinion"
        logger.debug("trafilatura failed on %s", url, exc_info=True)
        return SecondOpinion()
    if document is None:
        return SecondOpinion()
    text = getattr(document, "text", None) or ""
    author = getattr(document, "author", None) or ""
    paragraphs = [" ".join(line.split()) for line in text.split("\n")]
    body = "\n\n".join(p for p in paragraphs if p)
    authors = [a for a in _AUTHOR_SPLIT_RE.split(author) if a.strip()]
    return SecondOpinion(body=body, authors=authors)


_RE_TEST = re.compile(r"re:test\((@[\w-]+),\s*'([^']*)'\)")


def _literals(pattern: str) -> list[str] | None:
    """The strings a regular expression made of literal alternatives matches as a substring
    (`[Aa]` classes and `x?` optional characters expanded), None for any other pattern.

    >>> _literals("author-?name|[Bb]yline")
    ['author-name', 'authorname', 'Byline', 'byline']
    >>> _literals("^comments") is None
    True
    """
    found: list[str] = []
    for alternative in pattern.split("|"):
        parts: list[list[str]] = []
        i = 0
        while i < len(alternative):
            char = alternative[i]
            if char == "[" and "]" in alternative[i:]:
                end = alternative.index("]", i)
                parts.append(list(alternative[i + 1:end]))
                i = end + 1
            elif char in "^$.*+(){}\\?'":
                return None
            elif alternative[i + 1:i + 2] == "?":
                parts.append([char, ""])
                i += 2
            else:
                parts.append([char])
                i += 1
        found.extend("".join(p) for p in itertools.product(*parts))
    return list(dict.fromkeys(found))


def _native_test(match: re.Match[str]) -> str:
    """`re:test(@class, 'a|b')` -> `@class[contains(., 'a') or contains(., 'b')]`: the
    attribute read once for all its tests (2.0 -> 1.5 ms per call, median of the eval pages,
    against `(contains(@class, 'a') or contains(@class, 'b'))`); an absent attribute matches
    neither way."""
    literals = _literals(match.group(2))
    if literals is None:
        return match.group(0)
    return match.group(1) + "[" + " or ".join(f"contains(., '{x}')" for x in literals) + "]"


@lru_cache(maxsize=1)
def _native_author_xpaths() -> list[Any]:
    """trafilatura's author XPaths with each `re:test` of literal alternatives written as
    `contains()`: the same elements (every eval page, tests/test_extract.py), evaluated in C
    rather than by a Python callback per element (2.19 -> 1.78 s over the 427 eval pages)."""
    from lxml import etree
    from trafilatura.xpaths import AUTHOR_XPATHS

    return [etree.XPath(_RE_TEST.sub(_native_test, xpath.path),
                        namespaces={"re": "http://exslt.org/regular-expressions"})
            for xpath in AUTHOR_XPATHS]


def trafilatura_authors(tree: Element,
                        skip: Callable[[Element], bool] | None = None) -> list[str]:
    """trafilatura's byline rules (its author XPaths, then its name normalisation) on our tree.

    Only the XPath part of `trafilatura.metadata.extract_author`: that function first deep-copies
    the tree to prune comments and related boxes (4 ms median); the XPaths alone find the same
    names on dev + wide (2.8 ms median, on the 18% of pages where our rules find no author).
    `skip` leaves out elements that belong to other content (a related-article card, the staff
    list of a footer): the pruning, done on the matches only. Internal modules of the pinned
    trafilatura 2.3.1.
    """
    try:
        from trafilatura.json_metadata import normalize_authors
        from trafilatura.utils import trim

        found = None
        for expression in _native_author_xpaths():
            # as `trafilatura.metadata.extract_metainfo(tree, ..., len_limit=120)`, less skips
            for element in expression(tree):
                content = trim(" ".join(element.itertext()))
                if content and 2 < len(content) < 120 and not (skip and skip(element)):
                    found = content
                    break
            if found:
                break
        author = normalize_authors(None, found) if found else None
    except Exception:  # as above: a failure of the second opinion is no author
        logger.debug("trafilatura's author rules failed", exc_info=True)
        return []
    return [a for a in _AUTHOR_SPLIT_RE.split(author or "") if a.strip()]


def htmldate_published(html: str, url: str) -> str | None:
    """htmldate's publication date (YYYY-MM-DD, it gives no reliable time), or None.

    `extensive_search` (the default) reads free text too: on the wide set it finds the right day
    on 2 more pages than without it.
    """
    try:
        from htmldate import find_date

        return find_date(html, url=url or None, original_date=True)
    except Exception:  # as above: a failure of the second opinion is no date
        logger.debug("htmldate failed on %s", url, exc_info=True)
        return None
