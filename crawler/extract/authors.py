"""Author names from JSON-LD, meta tags and visible bylines, in many languages.

JSON-LD authors come as a string, an object, a list or an `@id` into `@graph`; meta tags hold
names or profile URLs; bylines read "By X and Y", "Par X", "Von X", "Por X". Organisations are
kept only when no person is named. A URL, an e-mail address or a date is never an author.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from lxml import etree

from crawler.extract.context import in_other_content
from crawler.extract.jsonld import type_names
from crawler.extract.text import clean_text, element_text

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

# "By", "Par", "Von"... at the start of a byline, with an optional colon
BYLINE_PREFIX_RE = re.compile(
    r"^\s*(?:written\s+by|posted\s+by|reported\s+by|words\s+by|story\s+by|by|par|écrit\s+par|"
    r"publié\s+par|von|text|texte|por|escrito\s+por|di|a\s+cura\s+di|door|av|af|przez|"
    r"autor(?:in|es|a)?|auteur|author|authors|redakce|napsal|от|автор|tekst|text\s+von)"
    r"\s*[:：]?\s+",
    re.IGNORECASE,
)
_SPLIT_RE = re.compile(
    r"\s*(?:,|;|\s&\s|\s\+\s|\|| and | und | et | y | e | og | och | en | i | a |、|，)\s*",
    re.IGNORECASE,
)
_URL_RE = re.compile(r"^(?:https?:|www\.)|\.(?:com|org|net|html?)(?:/|$)|/", re.IGNORECASE)
_EMAIL_RE = re.compile(r"\S+@\S+\.\w+")
_HANDLE_RE = re.compile(r"(?:^|\s)@\w+")
_DIGIT_RE = re.compile(r"\d")
# academic and professional suffixes that follow a name after a comma ("Jane Doe, MD")
_CREDENTIALS = frozenset({
    "ma", "md", "phd", "ms", "msc", "mph", "rn", "do", "mba", "bsc", "ba", "jd", "dds", "rd",
    "lpn", "np", "pa", "cpa", "esq", "jr", "sr", "ii", "iii", "dr", "prof",
})
# a byline often continues with the date or a role: cut there
_TAIL_RE = re.compile(
    r"\s+(?:[-–—|•·]\s+|\bupdated\b|\bpublished\b|\bpublié\b|\bmis à jour\b|\baktualisiert\b|"
    r"\bveröffentlicht\b|\bactualizado\b|\bpublicado\b|\bon\s+(?:mon|tue|wed|thu|fri|sat|sun|"
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|\ble\s+\d|\bam\s+\d|\d{1,2}[./]\d).*$",
    re.IGNORECASE,
)
# a byline run into the writer's role or the date: "Sam Stein Senior Politics Editor",
# "Laura E Adkins December"; cut at the first such word when at least two words of name
# remain (month names that are also first names, such as May or June, are left out)
_ROLE_TAIL_RE = re.compile(
    r"^(?P<name>\S+(?:\s+\S+)+?)\s+(?:senior|chief|staff|editor|editors|reporter|"
    r"correspondent|contributor|columnist|writer|redakteur|redakteurin|korrespondent|"
    r"korrespondentin|rédacteur|rédactrice|journaliste|journalist|periodista|redactor|"
    r"redactora|january|february|september|october|november|december|jan|feb|sept?|oct|"
    r"nov|dec)\b.*$",
    re.IGNORECASE,
)
_NOT_A_NAME = frozenset({
    "admin", "administrator", "staff", "editor", "redaction", "rédaction", "redaktion",
    "anonymous", "unknown", "null", "none", "guest", "author", "by", "par", "von",
    # labels a byline box shows next to the name, taken for a name when it is alone
    "no author", "published", "updated", "veröffentlicht", "aktualisiert", "publié", "publicado",
})
_ORGANISATION_TYPES = frozenset({"organization", "newsmediaorganization", "corporation",
                                 "organisation", "brand", "website", "webpage"})
MAX_NAME_WORDS = 6


# a byline run into the outlet or a bio: "Meg Wagner NEW YORK DAILY NEWS", "Joe Davidson
# Washington Post", "Laura E. Adkins is Opinion Editor"
_BIO_TAIL_RE = re.compile(r"^(?P<name>\S+(?:\s+\S+)+?)\s+(?:is|was|ist|est|es)\s.*$")
_OUTLET_WORDS = frozenset({"post", "times", "news", "journal", "tribune", "herald", "gazette",
                           "chronicle", "press", "daily", "magazine", "zeitung", "today"})


def _outlet_tail_cut(name: str) -> str:
    """Cut a bio sentence, an upper-case outlet or an outlet ending in a newspaper word
    from a name of mixed case, keeping two or more words of name."""
    bio = _BIO_TAIL_RE.match(name)
    if bio:
        name = bio.group("name")
    words = name.split()
    if len(words) < 3:
        return name
    mixed = [w for w in words if not (w.isupper() and len(w) > 1)]
    if len(mixed) >= 2 and words[:len(mixed)] == mixed and len(words) - len(mixed) >= 2:
        # two upper-case words or more: one is a surname ("André Oliver KLEIN")
        return " ".join(mixed)  # "Meg Wagner NEW YORK DAILY NEWS"
    for index, word in enumerate(words[3:], start=3):
        if word.casefold() in _OUTLET_WORDS:
            return " ".join(words[:index - 1])  # "Joe Davidson Washington Post"
    return name


def clean_name(raw: str) -> str | None:
    """One author name from a raw string, or None when it is not a name.

    >>> clean_name("By Jane Doe")
    'Jane Doe'
    >>> clean_name("https://example.com/author/jane") is None
    True
    """
    name = clean_text(raw)
    if not name or _URL_RE.search(name) or _EMAIL_RE.fullmatch(name):
        return None
    name = BYLINE_PREFIX_RE.sub("", name)
    name = _EMAIL_RE.sub("", name)
    name = _HANDLE_RE.sub("", name)
    name = _TAIL_RE.sub("", name)
    role = _ROLE_TAIL_RE.match(name)
    if role:
        name = role.group("name")
    name = _outlet_tail_cut(name)
    name = name.strip(" \t,;:|-–—·•()[]\"'“”«»")
    if not name or _DIGIT_RE.search(name) or len(name) < 2:
        return None
    if len(name.split()) > MAX_NAME_WORDS or name.casefold() in _NOT_A_NAME:
        return None
    if name.casefold().strip(".") in _CREDENTIALS:
        return None
    return name


def split_names(raw: str) -> list[str]:
    """A byline with several authors, split into names.

    >>> split_names("By Jane Doe and John Roe")
    ['Jane Doe', 'John Roe']
    """
    text = BYLINE_PREFIX_RE.sub("", clean_text(raw))
    text = _TAIL_RE.sub("", text)
    names = []
    for piece in _SPLIT_RE.split(text):
        name = clean_name(piece)
        if name:
            names.append(name)
    return _unique(names)


def _unique(names: Iterable[str]) -> list[str]:
    """Names without repeats; a profile slug ("sophie-foster") repeating a name is dropped.

    >>> _unique(["Sophie Foster", "sophie-foster", "SOPHIE FOSTER"])
    ['Sophie Foster']
    """
    names = list(names)
    keys = {name.casefold() for name in names}
    seen: set[str] = set()
    out = []
    for name in names:
        key = name.casefold()
        if key in seen:
            continue
        if "-" in name and " " not in name and name == name.lower() and \
                name.replace("-", " ") in keys:
            continue
        seen.add(key)
        out.append(name)
    return out


unique_names = _unique


def jsonld_people_and_organisations(value: Any, resolve: Callable[[Any], Any]) -> tuple[
        list[str], list[str]]:
    """(people, organisations) named by a JSON-LD `author` value."""
    people: list[str] = []
    organisations: list[str] = []
    items = value if isinstance(value, list) else [value]
    for item in items[:50]:
        item = resolve(item)
        if isinstance(item, str):
            people.extend(split_names(item))
            continue
        if not isinstance(item, dict):
            continue
        name = item.get("name")
        if isinstance(name, list):
            name = " , ".join(n for n in name if isinstance(n, str))
        if not isinstance(name, str):
            given, family = item.get("givenName"), item.get("familyName")
            name = " ".join(n for n in (given, family) if isinstance(n, str))
        is_organisation = bool(type_names(item) & _ORGANISATION_TYPES)
        if name and not is_organisation:
            # one Person object is one person: after a comma come roles and affiliations
            name = name.split(",")[0]
        names = split_names(name) if name else []
        if is_organisation:
            organisations.extend(names)
        else:
            people.extend(names)
    return _unique(people), _unique(organisations)


# a photo or image credit put in an author field: "(Image: Getty Images)", "Foto: dpa"
_CREDIT_RE = re.compile(r"^\W*(?:image|images|photo|photos|picture|foto|fotos|bild|bilder|"
                        r"credit|credits|crédit|crédits|source|quelle)\s*[:：]", re.IGNORECASE)
_PIECE_SEPARATOR_RE = re.compile(r"\s+[-–—|]\s+")


def site_key(name: str) -> str:
    """A site or outlet name reduced for comparison: "www.El-Colombiano.com" -> "elcolombiano".

    >>> site_key("www.elcolombiano.com") == site_key("El Colombiano")
    True
    """
    key = clean_text(name).casefold()
    key = re.sub(r"^(?:https?://)?(?:www\.)?", "", key)
    key = re.sub(r"\.(?:com|org|net|co\.uk|de|fr|es|it|ch|at|cl|co|news|tv)(?:/.*)?$", "", key)
    return re.sub(r"\W+", "", key)


def is_site_name(name: str, site_keys: Iterable[str]) -> bool:
    """True when an author name is the outlet itself ("ABC News", "Us Weekly Staff", "LN").

    >>> is_site_name("Us Weekly Staff", [site_key("Us Weekly")])
    True
    """
    key = site_key(name)
    for site in site_keys:
        if site and key and (key == site or (len(site) >= 4 and site in key)
                             or (len(key) >= 2 and key in site and len(key) >= 0.5 * len(site))):
            return True
    return False


def all_people(raw: Iterable[str], names: list[str], site_keys: Iterable[str]) -> bool:
    """True when a byline's names all read as people: no part names the outlet or is a
    credit ("Quelle: sid"), and every name has two or more capitalised words.

    >>> all_people(["Michael Hingston"], ["Michael Hingston"], ["nationalgeographic"])
    True
    >>> all_people(["red, ORF.at/Agenturen"], ["Red", "Agenturen"], ["orf"])
    False
    """
    site_keys = list(site_keys)
    for value in raw:
        pieces = [*_SPLIT_RE.split(clean_text(value)), value]
        if any(_CREDIT_RE.match(p.lstrip("(")) or is_site_name(p, site_keys)
               or _URL_RE.search(p) for p in pieces if p):
            return False
    return all(len(n.split()) >= 2 and all(w[:1].isupper() for w in n.split()) for n in names)


def meta_authors(values: Iterable[str], site_keys: Iterable[str] = ()) -> list[str]:
    """Names from author meta tags: profile URLs and image credits skipped, a leading or
    trailing outlet name ("unocero - Alberto Ávila") dropped."""
    site_keys = list(site_keys)
    names: list[str] = []
    for value in values:
        value = clean_text(value)
        if _URL_RE.match(value) or _CREDIT_RE.match(value.lstrip("(")):
            continue
        pieces = _PIECE_SEPARATOR_RE.split(value)
        if len(pieces) > 1 and site_keys:
            kept = [p for p in pieces if not is_site_name(p, site_keys)]
            if kept and len(kept) < len(pieces):
                value = " , ".join(kept)
        names.extend(split_names(value))
    return _unique(names)


_BYLINE_SELECTORS = (
    ".//*[contains(concat(' ', normalize-space(@itemprop), ' '), ' author ')]",
    ".//*[@rel='author']",
    ".//*[contains(concat(' ', normalize-space(@class), ' '), ' author ')]",
    ".//*[contains(@class, 'author-name') or contains(@class, 'author__name')"
    " or contains(@class, 'authorName') or contains(@class, 'byline__name')"
    " or contains(@class, 'authorText') or contains(@class, 'author-text')]",
    ".//*[contains(@class, 'byline') or contains(@id, 'byline')]",
    ".//address",
)
_NAME_NODE = etree.XPath(".//*[@itemprop='name']")


def _byline_names(element: Element) -> list[str]:
    name_node = _NAME_NODE(element)
    if name_node:
        text = name_node[0].get("content") or element_text(name_node[0])
    else:
        text = element.get("content") or element_text(element)
    if not text:
        return []
    # a byline line goes on with the outlet and the date: cut there before judging its length
    text = _TAIL_RE.sub("", BYLINE_PREFIX_RE.sub("", clean_text(text)))
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
    " | .//*/@rel[. = 'author'])/.. | .//address")


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
    lambda element: "byline" in (element.get("class") or "") or "byline" in (
        element.get("id") or ""),
    lambda element: element.tag == "address",
)


def html_authors(root: Element) -> list[str]:
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
            if first_parent is None and in_other_content(element):
                continue
            found = _byline_names(element)
            if found:
                names.extend(found)
                if first_parent is None:
                    first_parent = element.getparent()
        if names:
            return _unique(names)[:10]
    return []


_BYLINE_TEXT_RE = re.compile(
    r"^\s*(?:by|par|von|por|door|przez|av|af|di)\s+"
    r"(\w[\w'’.-]*(?:\s+\w[\w'’.-]*){1,3}(?:\s*(?:,|and|und|et|y|&)\s*\w[\w'’.-]*(?:\s+\w[\w'’.-]*){1,3})*)",
    re.IGNORECASE,
)


def text_byline_authors(paragraphs: Iterable[str]) -> list[str]:
    """Names from a visible "By X and Y" line among the first short blocks of the page."""
    for text in paragraphs:
        if len(text) > 150:
            continue
        match = _BYLINE_TEXT_RE.match(text)
        if match:
            names = split_names(match.group(1))
            if names:
                return names
    return []


# links to the writer's page: "/author/jane-doe", "/autor/...", "/about/newsteam/..."; a
# "/profile/" link only right after a "By" (profiles are also commenters')
# (the href read once for all its tests, as `_BYLINE_CANDIDATES`: 0.27 -> 0.20 ms per page)
_AUTHOR_LINKS = etree.XPath(
    ".//a/@href[contains(., '/author/') or contains(., '/authors/') or contains(., '/autor/')"
    " or contains(., '/autoren/') or contains(., '/auteur/') or contains(., '/autores/')"
    " or contains(., '/newsteam/')"
    " or (contains(., '/profile/') and ../preceding-sibling::*[1][normalize-space(.)='By'])]/..")


def author_link_names(root: Element) -> list[str]:
    """Names of the first links to an author page and the author links beside them (same
    parent), when each reads as a person's name (two to four capitalised words)."""
    first_parent = None
    names: list[str] = []
    for link in _AUTHOR_LINKS(root)[:20]:
        if first_parent is not None and link.getparent() is not first_parent:
            continue
        if first_parent is None and in_other_content(link):
            continue
        name = clean_name(element_text(link))
        if not name or not 2 <= len(name.split()) <= 4 or not all(
                w[:1].isupper() for w in name.split()):
            continue
        names.append(name)
        if first_parent is None:
            first_parent = link.getparent()
    return _unique(names)[:10]
