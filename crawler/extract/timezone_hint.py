"""Guess the time zone of a page's naive date strings from what else the page says.

Used only for sites outside the catalogue (which gives their zone) and dates without an
offset. In order: a non-UTC offset on another timestamp of the page, the country of the host
name, the region of the language tag, and a language spoken mainly in one time zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_OFFSET_RE = re.compile(r"(?:T|\s)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*([+-])(\d{2}):?(\d{2})\b")

# country code (ccTLD or language-tag region) -> the zone most of its press uses
COUNTRY_ZONES = {
    "fr": "Europe/Paris", "de": "Europe/Berlin", "at": "Europe/Vienna", "ch": "Europe/Zurich",
    "it": "Europe/Rome", "es": "Europe/Madrid", "pt": "Europe/Lisbon", "nl": "Europe/Amsterdam",
    "be": "Europe/Brussels", "lu": "Europe/Luxembourg", "uk": "Europe/London",
    "gb": "Europe/London", "ie": "Europe/Dublin", "se": "Europe/Stockholm", "no": "Europe/Oslo",
    "dk": "Europe/Copenhagen", "fi": "Europe/Helsinki", "pl": "Europe/Warsaw",
    "cz": "Europe/Prague", "sk": "Europe/Bratislava", "hu": "Europe/Budapest",
    "ro": "Europe/Bucharest", "bg": "Europe/Sofia", "gr": "Europe/Athens", "tr": "Europe/Istanbul",
    "ru": "Europe/Moscow", "ua": "Europe/Kyiv", "lt": "Europe/Vilnius", "lv": "Europe/Riga",
    "ee": "Europe/Tallinn", "hr": "Europe/Zagreb", "si": "Europe/Ljubljana",
    "rs": "Europe/Belgrade",
    "jp": "Asia/Tokyo", "kr": "Asia/Seoul", "cn": "Asia/Shanghai", "tw": "Asia/Taipei",
    "hk": "Asia/Hong_Kong", "sg": "Asia/Singapore", "in": "Asia/Kolkata", "vn": "Asia/Ho_Chi_Minh",
    "th": "Asia/Bangkok", "id": "Asia/Jakarta", "my": "Asia/Kuala_Lumpur", "ph": "Asia/Manila",
    "il": "Asia/Jerusalem", "ae": "Asia/Dubai", "za": "Africa/Johannesburg", "ng": "Africa/Lagos",
    "ke": "Africa/Nairobi", "eg": "Africa/Cairo", "ma": "Africa/Casablanca",
    "nz": "Pacific/Auckland",
    "ar": "America/Argentina/Buenos_Aires", "br": "America/Sao_Paulo", "cl": "America/Santiago",
    "mx": "America/Mexico_City", "co": "America/Bogota", "pe": "America/Lima",
    "bo": "America/La_Paz", "ve": "America/Caracas", "ec": "America/Guayaquil",
    "uy": "America/Montevideo", "py": "America/Asuncion", "cr": "America/Costa_Rica",
    "gt": "America/Guatemala", "hn": "America/Tegucigalpa", "sv": "America/El_Salvador",
    "ni": "America/Managua", "pa": "America/Panama", "do": "America/Santo_Domingo",
    "cu": "America/Havana", "pr": "America/Puerto_Rico",
}
# languages whose press sits (almost) all in one zone
LANGUAGE_ZONES = {
    "fr": "Europe/Paris", "de": "Europe/Berlin", "it": "Europe/Rome", "nl": "Europe/Amsterdam",
    "sv": "Europe/Stockholm", "no": "Europe/Oslo", "nb": "Europe/Oslo", "da": "Europe/Copenhagen",
    "fi": "Europe/Helsinki", "pl": "Europe/Warsaw", "cs": "Europe/Prague",
    "sk": "Europe/Bratislava",
    "hu": "Europe/Budapest", "ro": "Europe/Bucharest", "bg": "Europe/Sofia", "el": "Europe/Athens",
    "tr": "Europe/Istanbul", "lt": "Europe/Vilnius", "lv": "Europe/Riga", "et": "Europe/Tallinn",
    "hr": "Europe/Zagreb", "sl": "Europe/Ljubljana", "ja": "Asia/Tokyo", "ko": "Asia/Seoul",
    "vi": "Asia/Ho_Chi_Minh", "th": "Asia/Bangkok", "he": "Asia/Jerusalem",
    "zu": "Africa/Johannesburg",
    "uk": "Europe/Kyiv",
}
# generic or multi-country top-level domains say nothing
_AMBIGUOUS_TLDS = frozenset({"com", "org", "net", "info", "io", "co", "eu", "tv", "me", "news"})


def offset_in(texts: Iterable[str | None]) -> str | None:
    """The first non-zero UTC offset written in any of the date strings, as "+02:00".

    >>> offset_in(["2024-04-25", "2024-04-25T10:18:00+02:00"])
    '+02:00'
    """
    for text in texts:
        if not text:
            continue
        match = _OFFSET_RE.search(text)
        if match and (match.group(2), match.group(3)) != ("00", "00"):
            return f"{match.group(1)}{match.group(2)}:{match.group(3)}"
    return None


def has_offset(text: str | None) -> bool:
    """True when a date string carries its own zone (an offset or Z)."""
    if not text:
        return False
    return bool(_OFFSET_RE.search(text) or re.search(r"\d(?:Z|\s*(?:UTC|GMT))\b", text))


def country_zone(url: str) -> str | None:
    """The zone of the host's country-code top-level domain.

    >>> country_zone("https://www.lemonde.fr/x"), country_zone("https://example.com/")
    ('Europe/Paris', None)
    """
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    tld = host.rsplit(".", 1)[-1]
    if tld in _AMBIGUOUS_TLDS:
        return None
    return COUNTRY_ZONES.get(tld)


def language_zone(tags: Iterable[str | None]) -> str | None:
    """The zone of a language tag's region ("en-AU"), or of a one-country language ("fr")."""
    for tag in tags:
        if not tag:
            continue
        parts = re.split(r"[-_]", tag.strip().lower())
        if len(parts) > 1 and parts[-1] in COUNTRY_ZONES:
            return COUNTRY_ZONES[parts[-1]]
        if parts[0] in LANGUAGE_ZONES:
            return LANGUAGE_ZONES[parts[0]]
    return None


def local_zone(*, other_dates: Iterable[str | None], url: str,
               language_tags: Iterable[str | None]) -> str | None:
    """The site's zone by what the page says, whether or not its dates carry offsets."""
    return offset_in(other_dates) or country_zone(url) or language_zone(language_tags)


def guess_timezone(*, dates: Iterable[str | None], other_dates: Iterable[str | None], url: str,
                   language_tags: Iterable[str | None]) -> str | None:
    """A zone for the page's dates, or None when they carry offsets or nothing hints at one."""
    dates = [d for d in dates if d]
    if not dates or all(has_offset(d) for d in dates):
        return None
    return local_zone(other_dates=other_dates, url=url, language_tags=language_tags)
