"""Find the article text in a parsed page: a readability-style scoring pass, then a walk.

Scoring: every paragraph-like block with enough readable text credits its parent and every
ancestor with its prose length, and debits them with its link and fragment text; the container
with the best balance (deepest on a tie) holds the article. Class and id names only decide what
is boilerplate. The walk then turns that container into paragraphs, leaving out navigation, share
bars, related links, ads and other boilerplate.
The tree is read, never modified, so metadata extraction can use it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from crawler.extract.text import BLOCK_TAGS, clean_text, text_content

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

# never article text
_SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "nav", "aside", "footer", "button",
    "select", "option", "input", "textarea", "iframe", "object", "embed", "canvas", "video",
    "audio", "map", "figure", "figcaption", "label", "dialog", "menu", "head", "title", "meta",
    "link", "h1",
    # ruby annotations: the reading of a CJK word, printed above it, not part of the sentence
    "rt", "rp",
})
_PARAGRAPH_TAGS = frozenset({"p", "pre", "blockquote", "li", "td", "dd"})
_HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
# class/id words that mark boilerplate; matched as whole words split on space, "-" and "_"
_NEGATIVE_RE = re.compile(
    r"(?:^|[\s_-])(?:ad|ads|adv|advert|adverts|advertisement|advertising|adslot|adunit|dfp|"
    r"banner|breadcrumbs?|combx|comments?|commentaires?|community|cookies?|consent|gdpr|disqus|"
    r"footer|menu|modal|nav|navbar|navigation|newsletters?|outbrain|taboola|pagination|pager|"
    r"paywall|popup|promo|promos|promotion|related|recommended|recommendations|recirculation|"
    r"remark|replies|rss|share|sharing|sharebar|shoutbox|sidebar|skyscraper|social|socials|"
    r"sponsor|sponsored|subscribe|subscription|subscriptions|signup|login|toolbar|trending|"
    r"widget|widgets|mostread|most-read|readalso|read-also|see-also|"
    r"author-bio|authorbio|author-box|about-author|bio|byline|bylines|tags|tag-list|taglist|"
    r"keywords|print|visually-hidden|sr-only|screen-reader-text|skip|teaser|teasers|"
    r"more-stories|jump-link|newsletter-signup|inline-ad|ad-container|caption|credits?|"
    r"timestamp|dateline|meta|post-meta|entry-meta|article-meta|donate|cta)(?=$|[\s_-])"
)
_POSITIVE_RE = re.compile(r"article|body|content|entry|main|post|story|text|blog|hentry|column")
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
_SENTENCE_END_RE = re.compile(r"[.!?。！？…:;»\"”)]\s*$|[.!?。！？]\s")
# Whole-paragraph labels that stand for an ad slot or a link box, in the languages we crawl.
_LABEL_ONLY_RE = re.compile(
    r"^(?:advertisement|advertising|ad|ads|sponsored|publicité|pub|annonce|anzeige|werbung|"
    r"publicidad|pubblicità|publicidade|reclame|advertentie|reklame|reklama|mainos|"
    r"реклама|広告|광고|continue reading|read more|lire la suite|weiterlesen|leer más|"
    r"scroll to continue with content|story continues below|article continues below|"
    r"la suite après cette publicité|la suite après la publicité|suite après la publicité)"
    r"\W*$",
    re.IGNORECASE,
)
# A short paragraph opening with one of these is a link to another article.
_SEE_ALSO_RE = re.compile(
    r"^\W*(?:read also|read more|also read|see also|related|more on this|recommended|"
    r"à lire aussi|a lire aussi|lire aussi|à voir aussi|voir aussi|à découvrir|lesen sie auch|"
    r"lesen sie mehr|mehr zum thema|auch interessant|das könnte sie auch interessieren|"
    r"lee también|leer también|te puede interesar|leggi anche|leia também|leia mais|"
    r"czytaj także|czytaj też|читайте также|לקריאה נוספת)\b",
    re.IGNORECASE,
)


# A short paragraph saying one of these is the site talking about itself, not the article:
# affiliate and advertising disclosures, newsletter and notification prompts. Issue 14c, with
# the photo credits below: wide snippets 0.931 -> 0.946 (boilerplate snippets found 31 -> 23),
# body 0.960 -> 0.961; dev snippets 0.944 -> 0.971, body 0.970 -> 0.970.
_HOUSE_NOTICE_RE = re.compile(
    r"disclaimer|advertising (?:policy|disclosure)|our advertisers|affiliate|"
    r"we may (?:receive|earn) (?:a )?(?:compensation|commission)|eine provision|"
    r"provisionslinks?|partnerlinks?|liens? d'affiliation|enlaces? de afiliad|"
    r"newsletter|sign(?:ing)? up (?:to|for)|in dein postfach|in ihr postfach|"
    r"benachrichtigung(?:en)? aktivieren|abonnieren sie|suscr[ií]bete|inscrivez-vous",
    re.IGNORECASE,
)
HOUSE_NOTICE_CHARS = 400
# a photo credit: "Photograph by ...", "... © AFP / NAME", "... Foto: Andina"
_CREDIT_RE = re.compile(
    r"^(?:photograph|photo|foto|bild|image|picture)s?\s*(?:by|:|credit)|"
    r"©\s*[^.!?]{0,60}$|\b(?:photo|foto|bild|image|crédit photo)\s*:\s*[^.!?]{0,60}$",
    re.IGNORECASE,
)
CREDIT_CHARS = 200
# words every notice above contains: `str.find` on them skips the regexes on most paragraphs
# (the regexes on every paragraph cost 0.34 ms per page, the stems 0.05 ms)
_NOTICE_STEMS = ("disclaimer", "advertis", "affiliat", "afiliad", "compensation", "commission",
                 "provision", "partnerlink", "newsletter", "sign", "postfach", "benachrichtigung",
                 "abonnieren", "suscr", "inscrivez")
_CREDIT_STEMS = ("photo", "foto", "bild", "image", "picture")


def _is_house_notice(text: str) -> bool:
    """A disclosure, a newsletter prompt or a photo credit (the two regexes above)."""
    lower = text.lower()
    if any(stem in lower for stem in _NOTICE_STEMS) and _HOUSE_NOTICE_RE.search(text):
        return True
    return len(text) < CREDIT_CHARS and ("©" in text or any(
        stem in lower for stem in _CREDIT_STEMS)) and bool(_CREDIT_RE.search(text))


@lru_cache(maxsize=16384)
def _has_boilerplate_names(attributes: str) -> bool:
    """Class/id words say boilerplate: some name is negative and none is purely positive.

    Cached per "class id" string: most elements of a page share a few class strings.

    >>> _has_boilerplate_names("article-share-bar")
    True
    >>> _has_boilerplate_names("post has-sidebar")
    False
    """
    negative = positive = False
    for name in attributes.lower().split():
        kind = _name_kind(name)
        if kind == _NEGATIVE:
            negative = True
        elif kind == _POSITIVE:
            positive = True
    return negative and not positive


_NEUTRAL, _NEGATIVE, _POSITIVE = 0, 1, 2


@lru_cache(maxsize=16384)
def _name_kind(name: str) -> int:
    """A class or id word's verdict, cached: pages and their sites repeat their class words (on
    the eval pages near the median time, 181,000 regex searches for the body's containers)."""
    if _NEGATIVE_RE.search(name):
        return _NEGATIVE
    return _POSITIVE if _POSITIVE_RE.search(name) else _NEUTRAL


def _inline_text(element: Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _SKIP_TAGS:
            parts.append(_inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _visible_length(element: Element) -> int:
    """Characters of text under an element, scripts and styles left out (no whitespace fold).

    All text (lxml's string(), in C) minus the text of scripts and styles: 4x faster than a
    Python walk over every node (issue 14), and the same figure but for a script's tail.
    """
    hidden = sum(len(text_content(node)) for node in element.iter(
        "script", "style", "noscript", "template"))
    return max(0, len(text_content(element)) - hidden)


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
