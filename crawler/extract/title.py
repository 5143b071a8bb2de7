"""Choose the headline among JSON-LD headline, og:title, twitter:title, <h1> and <title>.

The visible <h1> is what readers see and what most references expect, but pages also use <h1>
for the site logo or a section name, so an <h1> wins only when some metadata title agrees with
it. Metadata titles lose their " | Site" / " - Site" tail when the rest matches another
candidate or the tail names the site.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

from crawler.extract.text import clean_text, normalise_for_compare

# separators pages put between headline and site name
_SEPARATOR_RE = re.compile(r"\s+[|\-–—·•:»/]\s+|\s+[|–—·•»]|\s*[|｜]\s*")


def _similar(a: str, b: str) -> float:
    na, nb = normalise_for_compare(a), normalise_for_compare(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    return difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio()


def _names_host(text: str, host_label: str) -> bool:
    """True when a title part names the site by its host name: "La Stampa" on lastampa.it,
    "ガジェット通信 GetNews" on getnews.jp."""
    key = re.sub(r"\W+", "", text.casefold())
    return len(host_label) >= 4 and host_label in key and len(key) <= 3 * len(host_label)


def strip_site_name(title: str, references: Iterable[str], site_names: Iterable[str] = (),
                    host_label: str = "", sections: Iterable[str] = ()) -> str:
    """Drop a leading or trailing " | Site" part when the rest matches a reference title.

    >>> strip_site_name("Big news today | Example Times", ["Big news today"])
    'Big news today'
    >>> strip_site_name("Q&A: a - b", [])
    'Q&A: a - b'
    """
    title = clean_text(title)
    references = [r for r in references if r]
    names = [normalise_for_compare(n) for n in site_names if n]
    title = strip_named_edges(title, names, host_label, sections)
    pieces = _SEPARATOR_RE.split(title)
    if len(pieces) < 2:
        return title
    # where each separator starts: cutting at cuts[k - 1] keeps the first k pieces
    cuts = [match.start() for match in _SEPARATOR_RE.finditer(title)]
    # try every cut: keep a prefix or a suffix of the pieces
    for keep in range(len(pieces) - 1, 0, -1):
        head = title[: cuts[keep - 1]].strip()
        tail = title[cuts[keep - 1] :]
        tail_text = _SEPARATOR_RE.sub(" ", tail).strip()
        if any(_similar(head, ref) >= 0.95 for ref in references):
            return head
        if names and normalise_for_compare(tail_text) in names:
            return head
        if host_label and keep == len(pieces) - 1 and _names_host(tail_text, host_label):
            return head
    for keep in range(1, len(pieces)):
        position = cuts[keep - 1]
        rest = title[position:]
        rest = _SEPARATOR_RE.sub("", rest, count=1).strip()
        head = title[:position]
        if any(_similar(rest, ref) >= 0.95 for ref in references):
            return rest
        if names and normalise_for_compare(head) in names:
            return rest
    return title


# any run of separator characters, spaced or not: "Headline_Section_Site", "見出し｜サイト",
# "Headline：サイト", "Headline-Site"
_EDGE_SEPARATOR_RE = re.compile(r"\s*[|｜:：_/»~·•–—\-]+\s*")


def strip_named_edges(title: str, names: Iterable[str], host_label: str = "",
                      sections: Iterable[str] = ()) -> str:
    """Drop the site's name from either end of a title whatever separates it (a full-width
    bar or colon, underscores, a hyphen without spaces), only when that end is exactly the
    site's name (`og:site_name`, the JSON-LD publisher) or names the host; up to three times.
    A section label of the page (`sections`) goes too when it stood before the site's name
    ("Headline_Section_Site").

    >>> strip_named_edges("Un titre_Actualités_LeSite", ["lesite"])
    'Un titre_Actualités'
    >>> strip_named_edges("Un titre_Actualités_LeSite", ["lesite"], sections=["actualités"])
    'Un titre'
    >>> strip_named_edges("新しい発表｜ガジェット通信", ["ガジェット通信"])
    '新しい発表'
    >>> strip_named_edges("Covid-19 cases rise", ["19 cases rise"])
    'Covid-19 cases rise'
    """
    keys = {n for n in names if n}
    if not keys and not host_label:
        return title
    section_keys = {normalise_for_compare(n) for n in sections if n}
    site_cut = False

    def is_name(part: str) -> bool:
        key = normalise_for_compare(part)
        if site_cut and key in section_keys:
            return True
        return bool(key) and (key in keys or (bool(host_label) and _names_host(part, host_label)
                                              and len(key.split()) <= 3))

    for _ in range(3):
        matches = [m for m in _EDGE_SEPARATOR_RE.finditer(title)
                   if m.start() > 0 and m.end() < len(title)]
        if not matches:
            break
        last, first = matches[-1], matches[0]
        rest_after_tail, rest_after_head = title[:last.start()], title[first.end():]
        if is_name(title[last.end():]) and _substantial(rest_after_tail) and \
                not _inside_word(title, last):
            title = rest_after_tail.strip()
            site_cut = True
        elif is_name(title[:first.start()]) and _substantial(rest_after_head) and \
                not _inside_word(title, first):
            title = rest_after_head.strip()
            site_cut = True
        else:
            break
    return title


_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _substantial(rest: str) -> bool:
    """Enough left for a headline: two words, or four characters of CJK text."""
    rest = rest.strip()
    return len(rest.split()) >= 2 or (len(rest) >= 4 and bool(_CJK_RE.search(rest)))


def _inside_word(title: str, match: re.Match[str]) -> bool:
    """A lone hyphen between two lower-case letters joins a word ("e-mail"), it separates
    nothing; between a word and a capitalised name it may ("Headline-Site")."""
    text = match.group(0)
    if text != "-":
        return False
    after = title[match.end():match.end() + 1]
    return not after.isupper()


def _without_kicker(heading: str, metadata: list[str]) -> str:
    """An <h1> that is a short label plus the metadata headline ("Politics | Headline",
    "Corona-Pandemie - Headline", or glued by its spans: "Open Progress Headline") gives the
    headline: the label is a section or a kicker."""
    key = normalise_for_compare(heading)
    if any(normalise_for_compare(m) == key for m in metadata):
        return _as_written(heading, metadata)
    match = _SEPARATOR_RE.search(heading)
    if match and len(heading[: match.start()].split()) <= 3:
        rest = normalise_for_compare(heading[match.end():])
        if rest and any(normalise_for_compare(m) == rest for m in metadata):
            return heading[match.end():].strip()
    for meta_title in metadata:
        tail = normalise_for_compare(meta_title)
        if tail and key.endswith(" " + tail) and len(key[: -len(tail)].split()) <= 3:
            return meta_title
    return heading


def _as_written(heading: str, metadata: list[str]) -> str:
    """The metadata's writing of an <h1> that reads the same but lost its punctuation to its
    spans ("Kicker Headline" for "Kicker: Headline", "drauf : Stadt" for "drauf: Stadt")."""
    def key(text: str) -> str:  # quotes count: metadata that adds them is another writing
        return re.sub(r"[\s:|\-–—.…·•]+", "", unicodedata.normalize("NFKC", text))
    for meta_title in metadata:
        if meta_title != heading and key(meta_title) == key(heading) and \
                len(meta_title) >= len(heading) - 1:
            return meta_title
    return heading


# a separator between a kicker and the rest of a title
_KICKED_RE = re.compile(r"\S\s*[:|\-–—·•»]\s+\S")


def _topic_prefix(title: str, heading: str) -> str | None:
    """The text before `heading` in `title` when the two are joined by a separator
    ("Chronik" for "Chronik: Lotte Tobisch ist tot" and "Lotte Tobisch ist tot").

    >>> _topic_prefix("Chronik: Lotte Tobisch ist tot", "Lotte Tobisch ist tot")
    'Chronik'
    >>> _topic_prefix("Lotte Tobisch ist tot", "Lotte Tobisch ist tot") is None
    True
    """
    match = _PREFIX_SEPARATOR_RE.match(title)
    if not match:
        return None
    if normalise_for_compare(title[match.end():]) != normalise_for_compare(heading):
        return None
    return match.group("topic").strip()


_PREFIX_SEPARATOR_RE = re.compile(r"^(?P<topic>[^:|｜：\-–—]{1,60}?)\s*[:|｜：\-–—]\s+")


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W\d_]{5,}", text.casefold())}


def _shares_a_word(heading: str, titles: list[str]) -> bool:
    """The same story: a word of five letters or more in common with a metadata title."""
    words = _content_words(heading)
    return any(words & _content_words(t) for t in titles)


def _display_headline(headings: list[str], social: list[str], site_names: Iterable[str],
                      host_label: str) -> str | None:
    """The page's one `<h1>` when it words the story differently from metadata titles that all
    agree with each other: a display headline beside one SEO headline.

    Not when the `<h1>` is under four words (a section name), shares no word of five letters
    with the metadata (another story, a teaser), is the metadata headline with a glued kicker
    ("Premier League Headline"), or names the site (a slogan); not when the metadata titles
    disagree among themselves (the site writes several headlines, the `<h1>` is one more).
    """
    if len(headings) != 1 or not social:
        return None
    heading = headings[0]
    keys = {normalise_for_compare(t) for t in social}
    if len(heading.split()) < 4 or len(keys) != 1 or not _shares_a_word(heading, social):
        return None
    key = normalise_for_compare(heading)
    if any(key.endswith(k) or key.startswith(k) for k in keys):
        return None
    names = [normalise_for_compare(n) for n in site_names if n]
    if any(n and n in key for n in names) or (
            host_label and host_label in re.sub(r"\W+", "", heading.casefold())):
        return None
    return heading


def choose_title(*, jsonld: str | None, og: str | None, twitter: str | None, h1: list[str],
                 html_title: str | None, selector: str | None = None,
                 site_names: Iterable[str] = (), host_label: str = "",
                 h1_without_kickers: Iterable[str] = (),
                 kicker_free: Mapping[str, str] | None = None,
                 kickers_apart: Iterable[str] = (),
                 decide: Callable[[str], None] | None = None) -> str | None:
    """The article headline, or None when the page offers nothing.

    `h1_without_kickers`: the <h1> texts less a kicker child (`<span class="topline">`), for
    an <h1> taken as the display headline; `kicker_free` maps an <h1> text to that text;
    `kickers_apart`: short texts the page shows before its <h1> and its section label, the
    evidence that a "Topic: " before the metadata headline is a kicker; `decide` records
    each decision (`ArticlePage.evidence()`).
    """
    if selector:
        return clean_text(selector) or None
    note = decide or (lambda decision: None)
    kicker_free = kicker_free or {}
    metadata = [clean_text(t) for t in (jsonld, og, twitter, html_title) if t and clean_text(t)]
    headings = [clean_text(h) for h in h1 if clean_text(h)]
    site_names = list(site_names)
    # an <h1> agreeing with some metadata title, allowing for a site-name tail on the latter
    for heading in headings:
        for candidate in metadata:
            if _similar(heading, candidate) >= 0.9 or _similar(
                    heading, strip_site_name(candidate, [heading], site_names)) >= 0.9:
                chosen = _without_kicker(heading, metadata)
                bare = kicker_free.get(heading)
                if bare and chosen == heading and _KICKED_RE.search(candidate):
                    # the <h1> marks its kicker as such, and the metadata writes it as a prefix:
                    # the headline is the rest (issue 25)
                    note(f"kicker child of the <h1> left out: {heading!r} -> {bare!r}")
                    return bare
                return chosen
    # an <h1> that is only part of the metadata headline: the page shows a kicker
    # ("Topic: headline") or a second line apart, and the metadata has the whole headline
    kickers_apart = list(kickers_apart)
    apart = {normalise_for_compare(k) for k in kickers_apart if k}
    for heading in headings:
        key = normalise_for_compare(heading)
        for meta_title in (jsonld, og, twitter):
            text = clean_text(meta_title)
            if key and text and key in normalise_for_compare(text) and \
                    len(heading) >= 0.4 * len(text):
                whole = strip_site_name(text, [m for m in metadata if m != text], site_names,
                                        host_label, kickers_apart)
                prefix = _topic_prefix(whole, heading)
                if prefix and normalise_for_compare(prefix) in apart:
                    # "Chronik: headline" where the page shows "Chronik" apart (issue 25)
                    note(f"topic {prefix!r} shown apart from the <h1>: the <h1> {heading!r}")
                    return heading
                return whole
    references = [t for t in metadata]
    display = _display_headline(headings, [clean_text(t) for t in (jsonld, og, twitter) if t],
                                site_names, host_label)
    if display:
        # without its kicker span: the kicker is the section's, the headline the article's
        return next((clean_text(h) for h in h1_without_kickers if clean_text(h)), display)
    if jsonld and clean_text(jsonld):
        return strip_site_name(jsonld, [r for r in references if r != clean_text(jsonld)],
                               site_names, host_label, kickers_apart)
    for other in (og, twitter, html_title):
        text = clean_text(other)
        if text:
            others = [r for r in references if r != text] + headings
            return strip_site_name(text, others, site_names, host_label, kickers_apart)
    if headings:
        return headings[0]
    return None
