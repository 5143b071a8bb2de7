"""Author names from JSON-LD, meta tags and visible bylines, in many languages.

JSON-LD authors come as a string, an object, a list or an `@id` into `@graph`; meta tags hold
names or profile URLs; bylines read "By X and Y", "Par X", "Von X", "Por X". Organisations are
kept only when no person is named. A URL, an e-mail address or a date is never an author.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lxml import etree

from crawler.extract.context import in_other_content
from crawler.extract.jsonld import type_names
from crawler.extract.text import clean_text, element_text, text_content

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
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|\ble\s+\d|\bam\s+\d|\d{1,2}[./]\d|"
    # a relative date: "Hace 13 horas", "il y a 2 heures", "vor 3 Stunden", "há 2 horas"
    r"\b(?:hace|há|il\s+y\s+a|vor)\s+(?:\d|un|une|una|einer|einem)|"
    r"\d+\s+\w+\s+(?:ago|fa|geleden|temu)\b).*$",
    re.IGNORECASE,
)
# a byline run into the writer's role or the date: "Sam Stein Senior Politics Editor",
# "Laura E Adkins December"; cut at the first such word when at least two words of name
# remain (month names that are also first names, such as May or June, are left out)
_ROLE_WORDS = (
    r"senior|chief|staff|editor|editors|reporter|correspondent|contributor|columnist|writer|"
    r"producer|photographer|analyst|redakteur|redakteurin|korrespondent|korrespondentin|"
    r"auteur|autrice|autore|autora|autor|autorin|reporterin|volontär|volontärin|rédacteur|"
    r"rédactrice|journaliste|"
    r"journalist|journalistin|correspondant|correspondante|envoyé|envoyée|chroniqueur|"
    r"chroniqueuse|periodista|redactor|redactora|corresponsal|enviado|enviada|columnista|"
    r"giornalista|redattore|redattrice|corrispondente|inviato|inviata")
_ROLE_TAIL_RE = re.compile(
    r"^(?P<name>\S+(?:\s+\S+)+?)\s+(?:" + _ROLE_WORDS + r"|january|february|september|"
    r"october|november|december|jan|feb|sept?|oct|nov|dec)\b.*$",
    re.IGNORECASE,
)
_ROLE_RE = re.compile(r"\b(?:" + _ROLE_WORDS + r")\b", re.IGNORECASE)
# Japanese and Chinese bylines write the role after the name, without a space: "山田太郎記者"
_CJK_ROLE_SUFFIX_RE = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff])\s*(?:記者|特派員|編集委員|"
                                 r"論説委員|解説委員|支局長|通信員|撰稿|报道|報導)$")
# an editorial desk credited instead of a person: "MM-Redaktion", "La rédaction", "編集部"
_DESK_RE = re.compile(r"(?:redaktion|rédaction|redacción|redaccion|redazione|redactie|"
                      r"redakcja|\bnewsroom\b|\bnews desk\b|\bdesk\b|\bstaff\b|\bteam\b|編集部|"
                      r"编辑部|新聞社)", re.IGNORECASE)
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


# a byline label inside the line, written as a label is (capitalised), before the name:
# "<Magazine> Von <Name>", "<Desk> By <Name>"; the lower-case "von" is a particle ("von der
# Leyen") and stays
_INNER_PREFIX_RE = re.compile(r"^\S.*?\s(?:By|BY|Von|VON|Par|PAR|Por|POR|Door|Av|Af):?\s+(?=\S)")
# a one-word label and its colon before or after a name: "Redaktion: Roman Warschauer",
# "Marcel Sommer Sendung: hr-INFO", "Texte : Jean Dupont"
_LABEL_HEAD_RE = re.compile(r"^[^\W\d][\w-]*\s?[:：]\s*(?=\S)")
_LABEL_TAIL_RE = re.compile(r"\s+[^\W\d][\w-]*\s?[:：](?:\s.*)?$")
# the Japanese and Chinese byline labels: "文・山田太郎", "取材・文／山田太郎", "记者 王伟"
_CJK_PREFIX_RE = re.compile(r"^(?:取材・文|文・写真|文|筆者|著者|記者|写真|撮影|作者|记者|編集|编辑)"
                            r"\s*[・:：／/|｜]?\s*(?=[\u3040-\u30ff\u3400-\u9fff])")
# a role phrase after a name runs to the next separator: "Marie Dupont Rédactrice en chef"
# (its "en" would otherwise split it as a Dutch "and")
_ROLE_PHRASE_RE = re.compile(r"(?<=\S\s\S)(?P<rest>[^,;|\s]*)\s+(?:" + _ROLE_WORDS + r")\b[^,;|]*",
                             re.IGNORECASE)
_COMMA_AND_RE = re.compile(r"(?:,\s*)+(?:and|und|et|y)\s+", re.IGNORECASE)
# a place or an agency in parentheses after the name ("Jane Doe (Paris)", "Max Muster (dpa)"):
# the name ends there; `split_names` keeps an agency in parentheses as a credit of its own
_PLACE_TAIL_RE = re.compile(r"\s*[(（\[].*$")


def _names_an_outlet(text: str) -> bool:
    """"The Huffington Post", "Daily News": a title word or a newspaper word."""
    words = text.split()
    return bool(words) and (words[0].casefold() in ("the", "la", "le", "el", "il", "die", "der")
                            or any(w.casefold() in _OUTLET_WORDS for w in words))


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
    if _CREDIT_RE.match(name):
        return None  # "Foto: Jane Doe": a photographer, not a writer
    name = BYLINE_PREFIX_RE.sub("", name)
    name = _CJK_PREFIX_RE.sub("", name)
    name = _LABEL_HEAD_RE.sub("", name)  # "Redaktion: Roman Warschauer"
    name = _LABEL_TAIL_RE.sub("", name)  # "Marcel Sommer Sendung: hr-INFO"
    inner = _INNER_PREFIX_RE.search(name)
    if inner:
        name = name[inner.end():]  # "FOCUS-Online-Experte Von Robin Tschöpe": the label goes
    name = _EMAIL_RE.sub("", name)
    name = _HANDLE_RE.sub("", name)
    name = _TAIL_RE.sub("", name)
    name = _PLACE_TAIL_RE.sub("", name)
    role = _ROLE_TAIL_RE.match(name)
    if role:
        name = role.group("name")
    name = _CJK_ROLE_SUFFIX_RE.sub("", name)
    name = _outlet_tail_cut(name)
    name = name.strip(" \t,;:|-–—·•()[]\"'“”«»")
    if not name or _DIGIT_RE.search(name) or len(name) < 2:
        return None
    if len(name.split()) > MAX_NAME_WORDS or name.casefold() in _NOT_A_NAME:
        return None
    if name.casefold().strip(".") in _CREDENTIALS:
        return None
    if all(_ROLE_RE.fullmatch(word) for word in name.split()):
        return None  # "Senior Editor", "Redakteurin": a role without its person
    return name


def split_names(raw: str) -> list[str]:
    """A byline with several authors, split into names.

    >>> split_names("By Jane Doe and John Roe")
    ['Jane Doe', 'John Roe']
    """
    text = BYLINE_PREFIX_RE.sub("", clean_text(raw))
    text = _TAIL_RE.sub("", text)
    text = _ROLE_PHRASE_RE.sub(lambda m: m.group("rest"), text)
    text = _COMMA_AND_RE.sub(", ", text)  # "Jane Doe, Senior Editor, and John Roe"
    # "Jane Doe (dpa)": the agency in parentheses is a credit of its own, a place is not
    text = _PARENTHESES_RE.sub(lambda m: f", {m.group(1)}" if is_agency_like(m.group(1)) else "",
                               text)
    names = []
    for piece in _SPLIT_RE.split(text):
        name = clean_name(piece)
        if name:
            names.append(name)
    return _without_places(_unique(names))


_PARENTHESES_RE = re.compile(r"\s*[(（]\s*([^()（）]{1,40}?)\s*[)）]")


def is_agency_like(piece: str) -> bool:
    """A wire or desk abbreviation credited beside a person: one word of 2 to 6 letters, all
    lower or all upper case ("dpa", "AFP", "sid", "APA"), or with a slash ("dpa/lno").

    >>> [is_agency_like(p) for p in ("dpa", "AFP", "dpa/lno", "London", "Jane Doe")]
    [True, True, True, False, False]
    """
    piece = piece.strip()
    parts = piece.split("/")
    return all(2 <= len(p) <= 6 and p.isalpha() and (p.islower() or p.isupper())
               for p in parts) and " " not in piece


def _without_places(names: list[str]) -> list[str]:
    """A single capitalised word after a person's name is the place the person wrote from
    ("Markus M. Haefliger, London, Beat Bumbacher"), not a second author; a role or a desk
    beside a person is not a second author either.

    >>> _without_places(["Markus M. Haefliger", "London", "Beat Bumbacher"])
    ['Markus M. Haefliger', 'Beat Bumbacher']
    >>> _without_places(["Madonna"])
    ['Madonna']
    """
    if len(names) < 2 or not any(looks_like_person(n) for n in names):
        return names
    return [n for n in names if looks_like_person(n) or is_agency_like(n)]


_PARTICLES = frozenset({"de", "da", "do", "dos", "das", "del", "della", "di", "du", "des", "la",
                        "le", "van", "von", "der", "den", "ter", "ten", "y", "e", "bin", "al",
                        "el", "ibn", "zu", "af", "av", "st."})


def looks_like_person(name: str) -> bool:
    """Two to five words, each capitalised (or a name particle), no role or desk word; or a
    name in CJK script of 2 to 6 characters.

    >>> [looks_like_person(n) for n in ("Jean de La Fontaine", "Senior Editor", "London",
    ...                                 "lo mismo", "山田太郎", "MM-Redaktion")]
    [True, False, False, False, True, False]
    """
    words = name.split()
    if len(words) == 1 and _CJK_NAME_RE.fullmatch(name):
        return True
    if not 2 <= len(words) <= 5 or _ROLE_RE.search(name) or _DESK_RE.search(name):
        return False
    # "not lower" rather than "upper": CJK names written with a space have no case
    return all(not w[:1].islower() or w.casefold() in _PARTICLES for w in words) and \
        not words[0][:1].islower()


_CJK_NAME_RE = re.compile(r"[\u3400-\u9fff\uac00-\ud7af]{2,6}|[\u30a0-\u30ff・]{3,12}")


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
            # one Person object is one person: after a comma come roles, places and
            # affiliations, except a wire credit or a second person ("Felix Schröder und Jörg
            # Soldwisch, dpa"; "Markus M. Haefliger, London, Beat Bumbacher")
            first, *others = name.split(",")
            name = " , ".join([first, *(o for o in others if is_agency_like(o) or (
                looks_like_person(o) and not _names_an_outlet(o)))])
        names = split_names(name) if name else []
        if is_organisation:
            organisations.extend(names)
        else:
            people.extend(names)
    return _unique(people), _unique(organisations)


# a photo or image credit put in an author field: "(Image: Getty Images)", "Foto: dpa"
_CREDIT_RE = re.compile(r"^\W*(?:image|images|photo|photos|picture|foto|fotos|bild|bilder|"
                        r"credit|credits|crédit|crédits|source|quelle|фото|写真|撮影|图片)\s*[:：]",
                        re.IGNORECASE)
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


_CREDIT_CONNECTOR_RE = re.compile(r"\S\s+(?:at|for|using|with|via|pour|für|para|per)\s+[A-Z]")


def is_desk(name: str) -> bool:
    """An editorial desk credited instead of a person ("La rédaction", "MM-Redaktion")."""
    return bool(_DESK_RE.search(name))


def has_credits(values: Iterable[str]) -> bool:
    """Do author values hold credits ("Ariel Pierre-Louis at MSA Models", "Paul Warren for
    Amika")?

    >>> has_credits(["Connie Wang,Ariel Pierre-Louis at MSA Models"]), has_credits(["Jo Doe"])
    (True, False)
    """
    return any(_CREDIT_CONNECTOR_RE.search(value) for value in values)


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
            return _unique(names)[:10]
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
    return _unique(names)[:10]
