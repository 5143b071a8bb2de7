"""Collect `<meta>` tags (OpenGraph, article:*, Dublin Core, name=...) into one lookup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.extract.text import clean_text

if TYPE_CHECKING:
    from lxml.etree import _Element as Element


class MetaTags:
    """All `<meta>` values of a page keyed by lowercased name/property/itemprop, in order."""

    def __init__(self, tree: Element | None) -> None:
        self.values: dict[str, list[str]] = {}
        if tree is None:
            return
        for meta in tree.iter("meta"):
            content = meta.get("content")
            if content is None:
                content = meta.get("value")
            if content is None:
                continue
            content = clean_text(content)
            if not content:
                continue
            for attribute in ("property", "name", "itemprop", "http-equiv"):
                key = meta.get(attribute)
                if key:
                    self.values.setdefault(key.strip().lower(), []).append(content)

    def first(self, *keys: str) -> str | None:
        """The first value of the first key present."""
        for key in keys:
            found = self.values.get(key)
            if found:
                return found[0]
        return None

    def first_with_key(self, *keys: str) -> tuple[str, str] | None:
        for key in keys:
            found = self.values.get(key)
            if found:
                return key, found[0]
        return None

    def all(self, *keys: str) -> list[str]:
        out: list[str] = []
        for key in keys:
            out.extend(self.values.get(key, ()))
        return out
