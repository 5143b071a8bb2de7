"""Read schema.org JSON-LD blocks and pick the node that describes the article.

Pages put the article in a top-level object, in a list, inside `@graph`, or as the
`mainEntity` of a WebPage, and refer to authors and publishers by `@id`. Broken JSON is common
(trailing commas, raw newlines, HTML comments around it) and is repaired when cheap, else skipped.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

# Blocks bigger than this are product feeds or whole-site dumps, not page metadata.
MAX_JSONLD_CHARS = 2_000_000

ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "askpublicnewsarticle",
    "satiricalarticle", "techarticle", "scholarlyarticle", "liveblogposting", "report",
    "socialmediaposting", "discussionforumposting", "advertisercontentarticle", "review",
    "medicalscholarlyarticle", "posting",
})
_TRAILING_COMMA_RE = re.compile(r",\s*([}\]])")
_COMMENT_WRAP_RE = re.compile(
    r"^\s*(?:<!--|/\*<!\[CDATA\[\*/|<!\[CDATA\[)|(?:-->|/\*\]\]>\*/|\]\]>)\s*$"
)


def parse_jsonld_text(text: str) -> Any:
    """Parse one JSON-LD block, repairing the usual breakage; None when hopeless.

    >>> parse_jsonld_text('{"a": [1, 2,],}')
    {'a': [1, 2]}
    """
    if not text or len(text) > MAX_JSONLD_CHARS:
        return None
    text = _COMMENT_WRAP_RE.sub("", text.strip())
    try:
        return json.loads(text, strict=False)  # strict=False lets raw newlines in strings pass
    except ValueError:
        pass
    try:
        return json.loads(_TRAILING_COMMA_RE.sub(r"\1", text), strict=False)
    except ValueError:
        pass
    try:
        # several objects glued together, or trailing junk after the first object
        value, _end = json.JSONDecoder(strict=False).raw_decode(text)
        return value
    except ValueError:
        return None
    except RecursionError:
        return None


def jsonld_blocks(tree: Element) -> list[Any]:
    """All parseable JSON-LD values of the page, in document order."""
    blocks = []
    for script in tree.iter("script"):
        kind = (script.get("type") or "").strip().lower()
        if kind != "application/ld+json":
            continue
        try:
            value = parse_jsonld_text(script.text or "")
        except RecursionError:
            value = None
        if value is not None:
            blocks.append(value)
    return blocks


def type_names(node: dict[str, Any]) -> set[str]:
    """The node's `@type` values, lowercased, without a schema.org prefix."""
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for v in values if v}


def iter_nodes(blocks: list[Any]) -> Iterator[dict[str, Any]]:
    """Top-level nodes: list items, `@graph` members and WebPage `mainEntity` objects."""
    stack = list(reversed(blocks))
    seen = 0
    while stack and seen < 10_000:
        seen += 1
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(reversed(value))
        elif isinstance(value, dict):
            graph = value.get("@graph")
            if graph is not None:
                stack.append(graph)
            if value.get("@type") is not None or "headline" in value:
                yield value
            entity = value.get("mainEntity")
            if isinstance(entity, (dict, list)):
                stack.append(entity)


class JsonLd:
    """The JSON-LD of one page: its nodes, an `@id` index and the article node if any."""

    def __init__(self, blocks: list[Any]) -> None:
        self.nodes = list(iter_nodes(blocks))
        self.by_id: dict[str, dict[str, Any]] = {}
        for node in self.nodes:
            node_id = node.get("@id")
            if isinstance(node_id, str) and node_id not in self.by_id:
                self.by_id[node_id] = node
        self.article = self._pick_article()

    @classmethod
    def from_tree(cls, tree: Element | None) -> JsonLd:
        return cls(jsonld_blocks(tree) if tree is not None else [])

    def resolve(self, value: Any) -> Any:
        """Replace a bare `{"@id": ...}` reference by the node it names, when known."""
        if isinstance(value, dict) and "@id" in value and len(value) <= 2:
            target = self.by_id.get(str(value["@id"]))
            if target is not None:
                return target
        if isinstance(value, str) and value in self.by_id:
            return self.by_id[value]
        return value

    def _pick_article(self) -> dict[str, Any] | None:
        best: dict[str, Any] | None = None
        best_score = -1
        for index, node in enumerate(self.nodes):
            types = type_names(node)
            if not types & ARTICLE_TYPES:
                continue
            # a node with a headline and dates is the page's own article; related-article
            # stubs usually lack them, and the first full node wins ties
            score = sum(1 for key in ("headline", "datePublished", "author", "articleBody")
                        if node.get(key))
            score = score * 100 - index
            if score > best_score:
                best, best_score = node, score
        return best

    def article_type(self) -> str | None:
        if self.article is None:
            return None
        raw = self.article.get("@type")
        value = raw[0] if isinstance(raw, list) and raw else raw
        return str(value) if value else None

    def get(self, key: str) -> Any:
        """A field of the article node, with `@id` references resolved."""
        if self.article is None:
            return None
        return self.resolve(self.article.get(key))


def as_text(value: Any) -> str | None:
    """A schema.org text value: strings as-is, `{"@value"}`/`{"name"}` objects, first of a list."""
    if isinstance(value, str):
        # many CMSs HTML-escape JSON-LD strings ("&quot;", "&#039;")
        return html.unescape(value) if "&" in value else value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        for item in value:
            text = as_text(item)
            if text:
                return text
        return None
    if isinstance(value, dict):
        for key in ("@value", "name", "text"):
            text = as_text(value.get(key))
            if text:
                return text
    return None


def as_url(value: Any) -> str | None:
    """An image or URL value: string, ImageObject (`url`/`contentUrl`) or the first of a list."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for item in value:
            url = as_url(item)
            if url:
                return url
        return None
    if isinstance(value, dict):
        for key in ("url", "contentUrl", "@id"):
            url = value.get(key)
            if isinstance(url, str) and url:
                return url
    return None
