"""The article container turned into clean paragraphs: a walk that leaves out boilerplate blocks
(`crawler.extract.boilerplate`), then the labels, link lists, notices, repeats and edge fragments
a container also holds."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from crawler.extract.boilerplate import (
    _HEADING_TAGS,
    _LABEL_ONLY_RE,
    _SEE_ALSO_RE,
    HOUSE_NOTICE_CHARS,
    _is_house_notice,
)
from crawler.extract.text import BLOCK_TAGS, clean_text

if TYPE_CHECKING:
    from lxml.etree import _Element as Element


class BodyFinder(Protocol):
    """What the walk asks of `crawler.extract.body.BodyFinder`."""

    @property
    def teaser_cards(self) -> set[Element]: ...

    def is_boilerplate(self, element: Element) -> bool: ...


class _Paragraphs:
    """Accumulates inline text into paragraphs, tracking how much of each is link text."""

    def __init__(self) -> None:
        self.done: list[tuple[str, float, str]] = []
        self._parts: list[str] = []
        self._link_length = 0
        self._kind = "p"

    def add(self, text: str | None, in_link: bool) -> None:
        if text:
            self._parts.append(text)
            if in_link:
                self._link_length += len(text.strip())

    def flush(self, kind: str = "p") -> None:
        text = clean_text("".join(self._parts))
        if text:
            self.done.append((text, self._link_length / len(text), self._kind))
        self._parts = []
        self._link_length = 0
        self._kind = kind


def _walk(element: Element, out: _Paragraphs, in_link: bool, finder: BodyFinder) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            out.add(child.tail, in_link)
            continue
        if tag == "br":
            out.flush()
            out.add(child.tail, in_link)
            continue
        if finder.is_boilerplate(child):
            out.add(child.tail, in_link)
            continue
        if finder.teaser_cards and child in finder.teaser_cards:  # judged as linked text
            out.flush()
            _walk(child, out, True, finder)
            out.flush()
            out.add(child.tail, in_link)
            continue
        if tag in BLOCK_TAGS or tag in _HEADING_TAGS:
            out.flush()
            # a heading inside a link is a teaser card's title, judged as any linked text
            out._kind = "h" if tag in _HEADING_TAGS and not in_link else tag
            out.add(child.text, in_link)
            _walk(child, out, in_link, finder)
            out.flush()
        else:
            child_in_link = in_link or tag == "a"
            out.add(child.text, child_in_link)
            _walk(child, out, child_in_link, finder)
        out.add(child.tail, in_link)


def paragraphs_of(roots: Iterable[Element], finder: BodyFinder) -> list[str]:
    """Clean paragraphs from the content roots, boilerplate blocks dropped."""
    collector = _Paragraphs()
    for root in roots:
        if root.tag in BLOCK_TAGS or root.tag in _HEADING_TAGS:
            collector.flush()
            collector._kind = "h" if root.tag in _HEADING_TAGS else root.tag
        collector.add(root.text, root.tag == "a")
        _walk(root, collector, root.tag == "a", finder)
        collector.flush()
    kept = []
    for text, link_density, kind in collector.done:
        if _LABEL_ONLY_RE.match(text):
            continue
        if len(text) < 200 and _SEE_ALSO_RE.match(text) and (link_density > 0.3 or len(text) < 120):
            continue
        if link_density > 0.6 and kind != "h":
            continue
        if kind == "li" and link_density > 0.35:
            continue
        if len(text) < HOUSE_NOTICE_CHARS and _is_house_notice(text):
            continue
        kept.append(text)
    return _trim_edges(_drop_repeats(kept))



# A paragraph ending without sentence punctuation and this short is a fragment: a label
# ("Temas", "Nächster Artikel", "Serviceangebote"), a date line, a "follow us" line.
_FRAGMENT_END_RE = re.compile(r"[.!?。！？…\"”»)\]】」』:]\s*$")
_COPYRIGHT_RE = re.compile(r"^\W*(?:©|\(c\)|copyright\b)|all rights reserved", re.IGNORECASE)
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
TAIL_FRAGMENT_CHARS = 80
HEAD_FRAGMENT_CHARS = 40
# more fragments than this in a row are a list of the article (tour dates, a table of teams)
MAX_FRAGMENT_RUN = 3


def _is_fragment(text: str, limit: int) -> bool:
    if _CJK_RE.search(text):  # a CJK line says in 20 characters what a Latin one says in 80
        limit //= 4
    return (len(text) < limit and not _FRAGMENT_END_RE.search(text)) or bool(
        len(text) < 200 and _COPYRIGHT_RE.search(text))


def _trim_edges(paragraphs: list[str]) -> list[str]:
    """Drop up to three fragments (or a copyright line) before the first and after the last
    paragraph of the article: labels, date lines and link boxes the container also holds.

    Issue 14c: wide body F1 0.959 -> 0.960, snippets 0.913 -> 0.925 (boilerplate snippets found
    in our body 39 -> 29), dev body 0.969 -> 0.970. Without the run limit, the lists that end
    some articles (tour dates, a table of teams) were cut: wide body 0.957.
    """
    end = len(paragraphs)
    while end > 1 and _is_fragment(paragraphs[end - 1], TAIL_FRAGMENT_CHARS):
        end -= 1
    if len(paragraphs) - end > MAX_FRAGMENT_RUN:
        end = len(paragraphs)
    start = 0
    while start < end - 1 and _is_fragment(paragraphs[start], HEAD_FRAGMENT_CHARS):
        start += 1
    if start > MAX_FRAGMENT_RUN:
        start = 0
    return paragraphs[start:end]


def _drop_repeats(paragraphs: list[str]) -> list[str]:
    """Remove exact repeats (pull quotes, mobile/desktop copies of the same block)."""
    seen: set[str] = set()
    out = []
    for paragraph in paragraphs:
        if len(paragraph) > 20 and paragraph in seen:
            continue
        seen.add(paragraph)
        out.append(paragraph)
    return out
