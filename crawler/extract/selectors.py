"""Per-site CSS overrides from the catalogue: compile once, never fail on a bad selector."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from lxml.cssselect import CSSSelector

from crawler.extract.text import clean_text, element_text

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=512)
def _compiled(selector: str) -> CSSSelector | None:
    try:
        return CSSSelector(selector, translator="html")
    except Exception:
        logger.warning("Ignoring invalid CSS selector %r", selector)
        return None


def select_all(tree: Element, selector: str) -> list[Element]:
    """Elements matching a CSS selector, outermost only (a match inside a match is dropped)."""
    compiled = _compiled(selector)
    if compiled is None:
        return []
    try:
        matches = compiled(tree)
    except Exception:
        return []
    kept: list[Element] = []
    for element in matches:
        if not any(element in kept_element.iter() for kept_element in kept):
            kept.append(element)
    return kept


def selected_text(elements: list[Element]) -> str | None:
    """The text of the first match that has any."""
    for element in elements:
        text = element.get("content") if element.tag == "meta" else element_text(element)
        text = clean_text(text)
        if text:
            return text
    return None


def selected_value(elements: list[Element],
                   attributes: tuple[str, ...] = ("datetime", "content")) -> str | None:
    """An attribute (datetime, content, src...) of the first match, else its text."""
    for element in elements:
        for attribute in attributes:
            value = clean_text(element.get(attribute))
            if value:
                return value
        text = element_text(element)
        if text:
            return text
    return None
