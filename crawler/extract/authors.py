"""Author names from visible bylines (the byline rules, teaser cards, author links); the names'
text rules are in `crawler.extract.names`.

JSON-LD authors come as a string, an object, a list or an `@id` into `@graph`; meta tags hold
names or profile URLs; bylines read "By X and Y", "Par X", "Von X", "Por X". Organisations are
kept only when no person is named. A URL, an e-mail address or a date is never an author.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

from crawler.extract.context import in_other_content
from crawler.extract.text import clean_text, element_text, text_content

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

from crawler.extract.names import (
    BYLINE_PREFIX_RE,
    TAIL_RE,
    clean_name,
    is_agency_like,
    looks_like_person,
    split_names,
    unique_names,
)

_BYLINE_SELECTORS = (
    ".//*[contains(concat(' ', normalize-space(@itemprop), ' '), ' author ')]",
    ".//*[@rel='author']",
    ".//*[contains(concat(' ', normalize-space(@class), ' '), ' author ')]",
    ".//*[contains(@class, 'author-name') or contains(@class, 'author__name')"
    " or contains(@class, 'authorName') or contains(@class, 'byline__name')"
    " or contains(@class, 'authorText') or contains(@class, 'author-text')]",
    ".//*[@class[contains(concat(translate(normalize-space(.), '_', '-'), ' '), '-author ')]]",
    ".//*[contains(@class, 'byline') or contains(@id, 'byline')]",
    ".//address",
    ".//*[contains(@itemtype, 'schema.org/Person')]",
)
_NAME_NODE = etree.XPath(".//*[@itemprop='name']")


def _byline_names(element: Element) -> list[str]:
    name_node = _NAME_NODE(element)
    if name_node:
        # `value` on pages saved by tools that rewrote their meta tags
        text = (name_node[0].get("content") or name_node[0].get("value")
                or element_text(name_node[0]) or element_text(element))
    else:
        text = element.get("content") or element_text(element)
    if not text:
        return []
    label = next((element_text(child) for child in element if element_text(child)), "")
    if label and text.startswith(label) and not BYLINE_PREFIX_RE.sub("", label + " ").strip():
        text = text[len(label):]  # "<span>By</span>Travis Haney" reads "ByTravis Haney"
    # a byline line goes on with the outlet and the date: cut there before judging its length
    text = TAIL_RE.sub("", BYLINE_PREFIX_RE.sub("", clean_text(text)))
    if len(text) > 120:
        return []
    return split_names(text)


# Every element any selector above matches, in document order: one pass over the tree's
# attributes; each selector then keeps its own among these few (`_BYLINE_RULES`). Six XPath
# passes, or one and up to six, cost 1.1 ms per page (median of the 427 eval pages), this one
# 0.2 ms: an attribute's text is read once for its tests (`@class[contains(., ...)]`), where
# `contains(@class, ...)` reads it again for each.
_BYLINE_CANDIDATES = etree.XPath(
    "(.//*/@class[contains(., 'author') or contains(., 'byline')]"
    " | .//*/@id[contains(., 'byline')] | .//*/@itemprop[contains(., 'author')]"
    " | .//*/@rel[. = 'author'] | .//*/@itemtype[contains(., 'schema.org/Person')])/.."
    " | .//address")


def _xml_words(value: str | None) -> list[str]:
    """An attribute's words as XPath's normalize-space() splits them (space, tab, CR, LF)."""
    return (value or "").replace("\t", " ").replace("\n", " ").replace("\r", " ").split(" ")


_NAME_CLASSES = ("author-name", "author__name", "authorName", "byline__name", "authorText",
                 "author-text")
# `_BYLINE_SELECTORS` one by one, as tests of a candidate element (tests/test_extract.py
# checks that they select the same elements on every eval page)
_BYLINE_RULES: tuple[Callable[[Element], bool], ...] = (
    lambda element: "author" in _xml_words(element.get("itemprop")),
    lambda element: element.get("rel") == "author",
    lambda element: "author" in _xml_words(element.get("class")),
    lambda element: any(name in (element.get("class") or "") for name in _NAME_CLASSES),
    lambda element: any(word.endswith("-author") for word in _xml_words(
        (element.get("class") or "").replace("_", "-"))),
    lambda element: "byline" in (element.get("class") or "") or "byline" in (
        element.get("id") or ""),
    lambda element: element.tag == "address",
    lambda element: "schema.org/Person" in (element.get("itemtype") or ""),
)
_PERSON_RULE = _BYLINE_RULES[-1]
_LABEL_END_RE = re.compile(r"(?:^|\s)(?:by|par|von|por|door|di|av|af|przez|text|texte|autor|"
                           r"auteur|author)\s*:?\s*$", re.IGNORECASE)


def _after_byline_label(element: Element) -> bool:
    """Is the element preceded by a byline label ("Von <span>Name</span>")?"""
    previous = element.getprevious()
    if previous is not None:
        before = previous.tail or ""
    else:
        parent = element.getparent()
        before = (parent.text or "") if parent is not None else ""
    return bool(_LABEL_END_RE.search(before))


_LINKED_HEADINGS = etree.XPath(
    ".//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5]//a/@href"
    " | .//a[.//h1 or .//h2 or .//h3 or .//h4]/@href")


def url_path(url: str) -> str:
    """The path of a URL without scheme, host, query or trailing slash: a link to the page
    itself ("http://" for "https://", a relative link) compares equal.

    >>> url_path("https://www.example.com/2016/12/story/?utm=x") == url_path("/2016/12/story")
    True
    """
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return url
    return path.rstrip("/")


def _links_elsewhere(ancestor: Element, page_path: str | None) -> bool:
    """Does a heading inside `ancestor` link to another page than the article's?"""
    return any(url_path(href) != page_path for href in _LINKED_HEADINGS(ancestor))
# the page's own headline: an <h1> that links nowhere, or the document's only <h1> (which may
# link to the page itself or to the site's editor)
_HEADLINE = etree.XPath(".//h1[(not(.//a[@href]) and not(ancestor::a[@href])) or count(//h1) = 1]")


# a card holds a headline and a short description besides the byline (as the body finder's
# teaser cards, `BodyFinder.teaser_cards`)
_CARD_MAX_MORE_TEXT = 600


def in_teaser_card(element: Element, page_url: str | None = None) -> bool:
    """True when a byline belongs to a teaser card of another article: within three levels up,
    in no more than 600 characters, a heading that links elsewhere (or a link around a heading),
    and no `<h1>` that links nowhere (the article's own header has its headline there); or,
    within six levels, a link holding much more than the byline (a card wrapped in a link)."""
    own = len(element_text(element))
    page_path = url_path(page_url) if page_url else None
    for depth, ancestor in enumerate(element.iterancestors()):
        if depth >= 6 or ancestor.tag in ("body", "html", "main"):
            return False
        if ancestor.tag == "a" and ancestor.get("href") and \
                len(element_text(ancestor)) > 2 * own + 20:
            return True
        if depth >= 3:
            continue
        if _HEADLINE(ancestor):
            return False
        size = len(text_content(ancestor))  # scripts included: fast, an upper bound
        if size > own + _CARD_MAX_MORE_TEXT and (
                size > 10 * _CARD_MAX_MORE_TEXT
                or len(element_text(ancestor)) > own + _CARD_MAX_MORE_TEXT):
            return False  # an article or a page section, not a card
        if _links_elsewhere(ancestor, page_path):
            return True
        if ancestor.tag == "article":
            return False
    return False


def in_other_box(element: Element, page_url: str | None = None) -> bool:
    """A byline of other content: an aside, related box, footer or comments, or a teaser card."""
    return in_other_content(element, strict=True) or in_teaser_card(element, page_url)


def html_authors(root: Element, page_url: str | None = None) -> list[str]:
    """Names from the first byline markup of the article: itemprop/rel author, author/byline
    classes, <address>; co-authors are the matches next to it (same parent)."""
    candidates = _BYLINE_CANDIDATES(root)
    if not candidates:
        return []
    for rule in _BYLINE_RULES:
        first_parent = None
        names: list[str] = []
        for element in [element for element in candidates if rule(element)][:30]:
            if not isinstance(element.tag, str) or element.tag in ("meta", "link", "body", "html"):
                continue
            if first_parent is not None and element.getparent() is not first_parent:
                continue
            if first_parent is None and (in_other_content(element)
                                         or in_teaser_card(element, page_url)):
                continue
            if rule is _PERSON_RULE and not _after_byline_label(element):
                continue  # people the text mentions are marked up too
            found = _byline_names(element)
            if found:
                names.extend(found)
                if first_parent is None:
                    first_parent = element.getparent()
        if names:
            return unique_names(names)[:10]
    return []


_BYLINE_TEXT_RE = re.compile(
    r"^\s*(?:by|par|von|por|door|przez|av|af|di)\s+"
    r"(\w[\w'’.-]*(?:\s+\w[\w'’.-]*){1,3}(?:\s*(?:,|and|und|et|y|&)\s*\w[\w'’.-]*(?:\s+\w[\w'’.-]*){1,3})*)",
    re.IGNORECASE,
)


def text_byline_authors(elements: Iterable[Element], page_url: str | None = None) -> list[str]:
    """Names from a visible "By X and Y" line among the first short blocks of the page.

    Not a link's label ("By Position FB Transfers" in a menu), not a line in a box about other
    content or in a teaser card, and only names that read as people: a sentence that starts
    with "Por" ("Por lo mismo, Aravena perdió la paciencia...") is no byline.
    """
    for element in elements:
        text = element_text(element)
        if len(text) > 150:
            continue
        match = _BYLINE_TEXT_RE.match(text)
        if not match:
            continue
        if _link_label(element) or in_other_content(element) or in_teaser_card(element,
                                                                                page_url):
            continue
        names = split_names(match.group(1))
        if names and all(looks_like_person(n) or is_agency_like(n) for n in names):
            return names
    return []


def _link_label(element: Element) -> bool:
    """Is this text a link's label (the element is, or sits in, a link that does not lead to
    an author's page)?"""
    for depth, node in enumerate((element, *element.iterancestors())):
        if depth > 3:
            return False
        if node.tag == "a":
            return not _AUTHOR_HREF_RE.search(node.get("href") or "")
    return False


_AUTHOR_HREF_RE = re.compile(r"/(?:author|authors|autor|autoren|auteur|autores|profile|user|"
                             r"users|people|staff|journalist|journalists)/", re.IGNORECASE)


# links to the writer's page: "/author/jane-doe", "/autor/...", "/about/newsteam/..."; a
# "/profile/" link only right after a "By" (profiles are also commenters')
# (the href read once for all its tests, as `_BYLINE_CANDIDATES`: 0.27 -> 0.20 ms per page)
_AUTHOR_LINKS = etree.XPath(
    ".//a/@href[contains(., '/author/') or contains(., '/authors/') or contains(., '/autor/')"
    " or contains(., '/autoren/') or contains(., '/auteur/') or contains(., '/autores/')"
    " or contains(., '/newsteam/')"
    " or (contains(., '/profile/') and ../preceding-sibling::*[1][normalize-space(.)='By'])]/..")


def author_link_names(root: Element, page_url: str | None = None) -> list[str]:
    """Names of the first links to an author page and the author links beside them (same
    parent), when each reads as a person's name (two to four capitalised words)."""
    first_parent = None
    names: list[str] = []
    for link in _AUTHOR_LINKS(root)[:20]:
        if first_parent is not None and link.getparent() is not first_parent:
            continue
        if first_parent is None and (in_other_content(link) or in_teaser_card(link, page_url)):
            continue
        name = clean_name(element_text(link))
        if not name or not 2 <= len(name.split()) <= 4 or not all(
                w[:1].isupper() for w in name.split()):
            continue
        names.append(name)
        if first_parent is None:
            first_parent = link.getparent()
    return unique_names(names)[:10]
