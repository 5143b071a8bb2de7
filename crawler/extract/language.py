"""The page's language: declared tags, checked against the text itself.

Declarations (html lang, og:locale, JSON-LD inLanguage, Content-Language) are usually right but
sometimes are a CMS default ("en" on a Zulu page). The text check counts very common words of
each language (and, for non-Latin scripts, the script itself); it overrides the declaration only
when it is clearly confident and the declared language's own words are rare in the text.
"""

from __future__ import annotations

import re
from collections import Counter

_WORD_RE = re.compile(r"[^\W\d_]+")

# The most frequent short function words of each language; a few overlaps are harmless.
STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the of and to in is that for it with as was on be by this are from at have an "
              "not but or which his has they you he we their been were would will its after",
        "fr": "le la les de des du et est un une que qui dans pour pas sur au aux ce cette il "
              "elle sont avec par plus ont mais ou été leur nous vous ses être fait comme",
        "de": "der die das und ist nicht ein eine zu den mit von sich auf für im dem des auch "
              "es als an wird bei nach sind noch wie aus einen oder hat wurde werden sie",
        "es": "el la los las de del y que en un una es por con para se no su al lo como más "
              "pero sus le ha este esta fue son también entre sobre muy",
        "it": "il la di che e è un una per non in del della le con si da al dei delle sono "
              "gli anche come più ma nel alla questo ha ci ancora degli",
        "pt": "o a os as de do da dos das e que em um uma para com não por se na no mais foi "
              "ao como mas ou seu sua são também pelo pela",
        "nl": "de het een en van is dat op te in zijn niet met voor er die ook aan om als maar "
              "bij door wordt uit nog dan werd hij",
        "sv": "och att det som en på är av för med till den har inte om ett de var jag sig "
              "men så från vid kan han eller ska också efter",
        "no": "og i det som på er en til av for med at har ikke den om et de var seg men så "
              "fra ved kan han eller skal også etter hun vi",
        "da": "og i det at en den til er som på de med af for ikke der var et har sig men "
              "om fra kan han hun vil også efter",
        "fi": "ja on ei se että oli hän ovat mutta kuin myös tai niin kun sen jo ole voi "
              "joka ollut hänen nyt vain sekä",
        "pl": "i w na z że nie się do to jest jak o po od za co ale przez dla jego tak są "
              "już czy przy oraz było jej",
        "cs": "a v se na je že s z do to o k jako by ale po pro jsou jeho které který však "
              "také jak už při od byl bylo tak",
        "sk": "a v sa na je že s z do to o k ako by ale po pre sú jeho ktoré ktorý však "
              "tiež už pri od bol bolo tak",
        "tr": "ve bir bu da de için ile olarak çok daha en ne gibi olan ama o kadar sonra "
              "ise her şu değil var tarafından",
        "ro": "și de la în a cu pe care nu o din este să un mai pentru fost ca sau dar ce "
              "sunt lui după",
        "hu": "a az és hogy nem is egy van meg de el ki csak már mint ezt azt volt még "
              "lesz vagy után",
        "lt": "ir yra kad su į iš tai bet kaip jo jos o buvo dėl ar nuo apie taip kuris "
              "jau tik savo",
        "lv": "un ir ka ar no uz par kā tas bet arī vai jau pie bija kas to šo",
        "hr": "i je u da se na za su od a s ne što kao koji to ali iz bi sa",
        "sl": "in je v da se na za so z pa ki ne kot to tudi iz po bi",
        "id": "yang dan di ini itu dengan untuk dari dalam tidak akan pada adalah juga ke "
              "karena oleh mereka ada",
        "vi": "và của là có được trong cho không các những một với này người đã khi để "
              "cũng theo từ tại",
        "ca": "el la els les de del i que en un una és per amb no es al va com més però",
        "af": "die en van het nie is in op wat vir met dat sy hy om te was",
        "zu": "ukuthi futhi kanye kodwa noma uma ngoba lapho kakhulu manje nje yena bona "
              "lokhu kusho wathi uthe ukuba abantu ngesikhathi ngokusho kuleli kulesi",
        "sw": "na ya wa kwa ni za katika la kuwa hiyo huo hii pia lakini kama au baada",
    }.items()
}
_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
)
# Any character of the scripts above: most pages have none, and then no script is counted.
_NON_LATIN_RE = re.compile("[" + "".join(p.pattern[1:-1] for _, p in _SCRIPTS) + "]")


def _languages_by_stopword() -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for language, words in STOPWORDS.items():
        for word in words:
            found[word] = (*found.get(word, ()), language)
    return found


# Each stop word and the languages that list it, for one pass over the distinct words of a text.
_STOPWORD_LANGUAGES = _languages_by_stopword()


def primary_subtag(tag: str | None) -> str | None:
    """"fr-FR" -> "fr"; None for empty or implausible values.

    >>> primary_subtag("en_US"), primary_subtag("x"), primary_subtag(None)
    ('en', None, None)
    """
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    if not re.fullmatch(r"[a-z]{2,3}", primary):
        return None
    return {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi"}.get(primary, primary)


def detect_language(text: str) -> tuple[str | None, float]:
    """(language, confidence in 0..1) from the text; (None, 0) when too little text."""
    sample = text[:4000]
    runs = _WORD_RE.findall(sample)  # the letters, in runs: one pass for letters and words
    letters = sum(map(len, runs))
    if letters < 40:
        return None, 0.0
    if _NON_LATIN_RE.search(sample):
        for language, script in _SCRIPTS:
            share = len(script.findall(sample)) / letters
            if share > 0.3:
                if language == "zh" and re.search(r"[\u3040-\u30ff]", sample):
                    return "ja", share
                return language, share
    words = [w.lower() for w in runs]
    if len(words) < 15:
        return None, 0.0
    scores = language_scores(words)
    best, best_score = max(scores.items(), key=lambda kv: kv[1])
    return (best, best_score) if best_score >= 0.08 else (None, best_score)


def language_scores(words: list[str]) -> dict[str, float]:
    """Share of the words that are common function words of each language."""
    hits = dict.fromkeys(STOPWORDS, 0)
    for word, count in Counter(words).items():
        for language in _STOPWORD_LANGUAGES.get(word, ()):
            hits[language] += count
    total = len(words)
    return {language: found / total for language, found in hits.items()}


def choose_language(declared: list[str | None], text: str,
                    default: str | None = None) -> str | None:
    """The first declared language unless the text clearly says otherwise; else the text's."""
    tags = [t for t in (primary_subtag(d) for d in declared) if t]
    declared_language = tags[0] if tags else primary_subtag(default)
    detected, confidence = detect_language(text)
    if declared_language is None:
        return detected
    if detected is None or detected == declared_language:
        return declared_language
    if declared_language in STOPWORDS:
        words = [w.lower() for w in _WORD_RE.findall(text[:4000])]
        own = language_scores(words).get(declared_language, 0.0) if words else 0.0
        # declared language barely present while another is clearly there (running text in
        # any of these languages is a quarter or more function words)
        if own < 0.04 and confidence >= 0.08 and confidence >= 4 * own:
            return detected
        return declared_language
    # a declaration we cannot check by words (ja, ru, ...): trust a different script only
    if any(detected == language for language, _ in _SCRIPTS) and confidence > 0.5:
        return detected
    return declared_language
