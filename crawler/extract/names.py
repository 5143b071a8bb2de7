"""Author names as text: cleaning a byline string into people's names, and telling people from
agencies, desks, labels, places and the publisher (rules that hold across languages).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from crawler.extract.jsonld import type_names
from crawler.extract.text import clean_text

if TYPE_CHECKING:
    pass

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
TAIL_RE = re.compile(
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
    name = TAIL_RE.sub("", name)
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
    text = TAIL_RE.sub("", text)
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
    return _without_places(unique_names(names))


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


def unique_names(names: Iterable[str]) -> list[str]:
    """Names without repeats; a profile slug ("sophie-foster") repeating a name is dropped.

    >>> unique_names(["Sophie Foster", "sophie-foster", "SOPHIE FOSTER"])
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
    return unique_names(people), unique_names(organisations)


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
    return unique_names(names)
