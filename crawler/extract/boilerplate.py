"""What is never article text on a page: the tags, class and id words, notices and credits that
`crawler.extract.body` (scoring) and `crawler.extract.paragraphs` (the walk) leave out, and the
text helpers both measure with."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from crawler.extract.text import text_content

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
