"""Find the article text in a parsed page: a readability-style scoring pass, then a walk.

Scoring: every paragraph-like block with enough readable text credits its parent and every
ancestor with its prose length, and debits them with its link and fragment text; the container
with the best balance (deepest on a tie) holds the article. Class and id names only decide what
is boilerplate. The walk then turns that container into paragraphs, leaving out navigation, share
bars, related links, ads and other boilerplate.
The tree is read, never modified, so metadata extraction can use it too.

Names and tags that are never article text live in `crawler.extract.boilerplate`; the walk that
turns the best container into paragraphs in `crawler.extract.paragraphs`.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from crawler.extract.boilerplate import (
    _HEADING_TAGS,
    _HIDDEN_STYLE_RE,
    _PARAGRAPH_TAGS,
    _SENTENCE_END_RE,
    _SKIP_TAGS,
    _has_boilerplate_names,
    _inline_text,
    _visible_length,
)
from crawler.extract.paragraphs import paragraphs_of
from crawler.extract.text import BLOCK_TAGS, clean_text, text_content

if TYPE_CHECKING:
    from lxml.etree import _Element as Element


class BodyFinder:
    """Scores the containers of one page and reads the article text out of the best one.

    A container's worth is its *good* text (paragraphs of prose: long enough, few links) minus
    a share of its *bad* text (links, short fragments such as menu items and buttons). The
    container with the highest worth is the tightest one that still holds the whole article,
    even when the article is split over several blocks or depths. Boilerplate (by tag,
    visibility, or class/id names) is ignored, except that a container holding most of the page
    is never dropped for its name (page wrappers get names like "has-sidebar").
    """

    BAD_WEIGHT = 0.7
    MIN_PARAGRAPH = 25

    def __init__(self, root: Element) -> None:
        self.root = root
        self._boilerplate: dict[Element, bool] = {}
        self._page_length = max(1, _visible_length(root))

    def is_boilerplate(self, element: Element) -> bool:
        cached = self._boilerplate.get(element)
        if cached is None:
            cached = self._boilerplate[element] = self._judge(element)
        return cached

    def _judge(self, element: Element) -> bool:
        tag = element.tag
        if not isinstance(tag, str) or tag in _SKIP_TAGS:
            return True
        if not element.keys():
            return False  # most elements: no attribute, nothing below can hold
        if element.get("hidden") is not None:
            return True
        style = element.get("style")
        if style and _HIDDEN_STYLE_RE.search(style.lower()):
            return True
        if element.get("itemprop") == "articleBody" or tag in ("html", "body", "main"):
            return False
        if element.get("role") in ("navigation", "complementary", "contentinfo", "menu", "dialog"):
            return True
        if not _has_boilerplate_names(f"{element.get('class') or ''} {element.get('id') or ''}"):
            return False
        # string() counts script text too, which only makes a container harder to drop
        return len(text_content(element)) < 0.35 * self._page_length

    def scores(self) -> dict[Element, float]:
        """Worth of every container that holds some text.

        Each block's points go to the block itself, then once to every ancestor, children
        before parents (the visit order reversed): a sum per visited element instead of a
        walk up the tree per block. The points are whole numbers, so the sums are exact.
        """
        good: dict[Element, float] = {}
        bad: dict[Element, float] = {}
        cards = self.teaser_cards
        judged = self._boilerplate
        judge = self._judge
        visited: list[tuple[Element, Element | None]] = []
        # (element, its parent, inside a link): a paragraph inside an <a> is a teaser's text
        stack: list[tuple[Element, Element | None, bool]] = [(self.root, None, False)]
        while stack:
            element, parent, in_link = stack.pop()
            visited.append((element, parent))
            if cards and not in_link and element in cards:
                in_link = True
            tag = element.tag
            if tag in _PARAGRAPH_TAGS or tag in _HEADING_TAGS:
                text, links = self._paragraph_text(element)
                if in_link:
                    links = len(text)
                self._credit(element, text, links, good, bad, is_paragraph=tag == "p")
                if tag not in ("li", "td", "dd", "blockquote"):
                    continue  # a paragraph's block children, if any, are already counted
                own_parts = None
            else:
                own_parts = [element.text or ""]
            child_in_link = in_link or tag == "a"
            for child in element:
                child_tag = child.tag
                if not isinstance(child_tag, str):
                    if own_parts is not None:
                        own_parts.append(child.tail or "")
                    continue
                if own_parts is not None:
                    # the container's own text: its inline children, not its blocks
                    if child_tag not in BLOCK_TAGS and child_tag not in _SKIP_TAGS:
                        own_parts.append(_inline_text(child))
                    own_parts.append(child.tail or "")
                verdict = judged.get(child)
                if verdict is None:
                    verdict = judged[child] = judge(child)
                if not verdict:
                    stack.append((child, element, child_in_link))
            if own_parts is not None:
                own = "".join(own_parts)
                # most containers hold only whitespace of their own: no cleaning needed
                if own and not own.isspace():
                    own = clean_text(own)
                    if own:
                        self._credit(element, own, len(own) if in_link else 0, good, bad,
                                     is_paragraph=False)
        for element, parent in reversed(visited):
            if parent is None:
                continue
            points = good.get(element)
            if points:
                good[parent] = good.get(parent, 0.0) + points
            points = bad.get(element)
            if points:
                bad[parent] = bad.get(parent, 0.0) + points
        worth = {}
        for element, value in good.items():
            worth[element] = value - self.BAD_WEIGHT * bad.get(element, 0.0)
        return worth

    @cached_property
    def teaser_cards(self) -> set[Element]:
        """Blocks that are a linked title plus a short description: teasers of other pages.

        A heading whose text is a link, and its ancestors (up to three) while they hold at most
        600 characters more: the card. Its text counts as link text, as if the card were
        wrapped in an `<a>` (issue 14c: related-story grids below the article were read as
        prose and took the content root, or joined it; wide body F1 0.944 -> 0.958, dev
        0.966 -> 0.968).
        """
        cards: set[Element] = set()
        for heading in self.root.iter("h2", "h3", "h4", "h5", "h6"):
            if heading.find(".//a") is None:
                continue
            text = clean_text(_inline_text(heading))
            if not text:
                continue
            links = sum(len(clean_text(_inline_text(a))) for a in heading.iter("a"))
            if links < 0.9 * len(text):
                continue
            card = heading.getparent()
            for _ in range(3):
                if card is None or card is self.root:
                    break
                parent = card.getparent()
                if parent is None or len(text_content(parent)) > len(text) + 600:
                    break
                card = parent
            if card is not None and card is not self.root:
                cards.add(card)
        return cards

    def _paragraph_text(self, element: Element) -> tuple[str, int]:
        text = clean_text(_inline_text(element))
        links = sum(len(clean_text(_inline_text(a))) for a in element.iter("a"))
        return text, links

    def _credit(self, element: Element, text: str, links: int, good: dict[Element, float],
                bad: dict[Element, float], *, is_paragraph: bool) -> None:
        length = len(text)
        if not length:
            return
        prose = length - links
        if prose >= self.MIN_PARAGRAPH and links < 0.5 * length and (
                is_paragraph or _SENTENCE_END_RE.search(text)):
            good_points, bad_points = float(prose), float(links)
        else:
            good_points, bad_points = 0.0, float(length)
        if good_points:
            good[element] = good.get(element, 0.0) + good_points
        if bad_points:
            bad[element] = bad.get(element, 0.0) + bad_points

    def content_root(self) -> Element | None:
        """The best container; ancestors come first in document order, so ties go deeper."""
        worth = self.scores()
        best_worth = max(worth.values(), default=0.0)
        if best_worth <= 0:
            return None
        best = [element for element, value in worth.items() if value == best_worth]
        if len(best) == 1:
            return best[0]
        tied = set(best)
        return [element for element in self.root.iter() if element in tied][-1]


def extract_body(tree: Element, roots: list[Element] | None = None) -> str:
    """Article text of a page, paragraphs separated by a blank line ("" when none found).

    `roots` are the containers to read (a per-site selector's matches); found by scoring when
    not given.
    """
    body = tree.find("body")
    finder = BodyFinder(body if body is not None else tree)
    if roots is None:
        best = finder.content_root()
        roots = [best] if best is not None else []
    return "\n\n".join(paragraphs_of(roots, finder))
