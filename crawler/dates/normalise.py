"""Raw date strings as found on pages -> timezone-aware UTC datetimes.

Two public functions: `normalise_date` (one string) and `resolve_item_dates` (both dates of
one item, where the page is read: `crawler.extract.article.article_item`). Nothing here raises
on bad page data: every failure is a `DateResult` with an `error`, so the caller can count it.

Order of attempts, cheapest first:

1. ISO 8601 / RFC 3339 and RFC 2822 by regex (no dateparser; a few microseconds).
2. Labels ("Publié le", "Mis à jour :", "Updated", "Posted on", ...) are stripped, then French and
   English relative forms ("il y a 3 heures", "hier à 14h", "3 hours ago") by regex, against
   `fetched_at` seen in the site's time zone.
3. French and English absolute forms ("21/11/2023 à 18h05", "22 nov. 2023 à 10h15",
   "Nov. 22, 2023 at 10:15 a.m. ET") by regex.
4. dateparser, hinted with the site language (plus English), for everything else.

`DateResult.rule` names the format and where the UTC offset came from:

======================  ===========================================================================
``iso-offset``          ISO 8601 carrying its own offset or ``Z``
``iso-local-tz``        ISO 8601 date and time without offset, read in the site time zone
``iso-date-local-tz``   ISO 8601 date without time: midnight in the site time zone
``rfc2822-offset``      RFC 2822 (feeds, HTTP) with its own zone
``text-offset``         free text naming its zone ("10:15 a.m. ET", "10:15 UTC+1", "+0100")
``text-local-tz``       free text with a time (or parsed by dateparser), read in the site time zone
``text-date-local-tz``  free text with a date and no time: midnight in the site time zone
``relative``            "il y a 3 heures", "hier à 14h", "3 hours ago", relative to `fetched_at`
``relative-date``       "hier", "today" with no time: midnight of that day in the site time zone
``none``                nothing was decided (empty or unparseable)
======================  ===========================================================================
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import timezone as fixed_offset
from typing import Any
from zoneinfo import ZoneInfo

from dateparser.data.languages_info import language_order
from dateparser.date import DateDataParser

from crawler.dates.local import local_time
from crawler.dates.words import (
    DAY_WORDS,
    MONTHS,
    ONE_WORDS,
    RELATIVE_UNITS,
    RFC_MONTHS,
    WEEKDAY_ALT,
)

logger = logging.getLogger(__name__)

__all__ = ["DateResult", "normalise_date", "resolve_item_dates"]

# Date fields are short; a longer string is page text caught by a bad selector, and regexes over
# megabytes would stall the crawl.
_MAX_LEN = 256
_MIN_VALUE = datetime(1995, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DateResult:
    """The outcome of reading one raw date string.

    `value` is aware and in UTC, or None exactly when `error` is set. `rule` is kept on
    "future" / "before-1995" rejections so the log can say how the bad date was read.
    """

    value: datetime | None
    rule: str
    error: str | None


# --------------------------------------------------------------------------- time zones


_OFFSET_RE = re.compile(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def _offset(sign: str, hours: str, minutes: str | None) -> tzinfo:
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return fixed_offset(-delta if sign == "-" else delta)


@functools.lru_cache(maxsize=256)
def zone_for(name: str | None) -> tzinfo:
    """The tzinfo for an IANA name or a fixed offset; UTC (with a warning, once) when unknown.

    >>> zone_for("Europe/Paris")
    zoneinfo.ZoneInfo(key='Europe/Paris')
    >>> zone_for("-0500")
    datetime.timezone(datetime.timedelta(days=-1, seconds=68400))
    >>> zone_for(None), zone_for("Z")
    (datetime.timezone.utc, datetime.timezone.utc)
    """
    text = (name or "").strip()
    if text.upper() in {"", "UTC", "Z", "GMT", "UT"}:
        return UTC
    match = _OFFSET_RE.fullmatch(text)
    if match:
        try:
            return _offset(*match.groups())
        except ValueError:
            pass  # 24h or more: fall through to the warning
    else:
        try:
            return ZoneInfo(text)
        except (KeyError, ValueError, OSError):  # not found, malformed key, a directory name
            pass
    # A catalogue typo must not drop every article of the site; UTC is at most hours off.
    logger.warning("Unknown time zone %r, reading its dates as UTC", name)
    return UTC


# Named zones seen next to times in English pages. The bare US ones follow DST, the others are
# fixed by definition.
_TZ_NAMES: dict[str, tzinfo] = {
    "utc": UTC,
    "gmt": UTC,
    "z": UTC,
    "et": ZoneInfo("America/New_York"),
    "ct": ZoneInfo("America/Chicago"),
    "mt": ZoneInfo("America/Denver"),
    "pt": ZoneInfo("America/Los_Angeles"),
    "est": fixed_offset(timedelta(hours=-5)),
    "edt": fixed_offset(timedelta(hours=-4)),
    "cst": fixed_offset(timedelta(hours=-6)),
    "cdt": fixed_offset(timedelta(hours=-5)),
    "mst": fixed_offset(timedelta(hours=-7)),
    "mdt": fixed_offset(timedelta(hours=-6)),
    "pst": fixed_offset(timedelta(hours=-8)),
    "pdt": fixed_offset(timedelta(hours=-7)),
    "cet": fixed_offset(timedelta(hours=1)),
    "cest": fixed_offset(timedelta(hours=2)),
    "bst": fixed_offset(timedelta(hours=1)),
    "wet": UTC,
    "west": fixed_offset(timedelta(hours=1)),
    "eet": fixed_offset(timedelta(hours=2)),
    "eest": fixed_offset(timedelta(hours=3)),
}


def _localise(naive: datetime, zone: tzinfo) -> datetime:
    """Wall-clock time in `zone` -> UTC. Ambiguous autumn times take the first (summer) reading."""
    return naive.replace(tzinfo=zone).astimezone(UTC)


# --------------------------------------------------------------------------- languages


@functools.lru_cache(maxsize=64)
def _languages(language: str | None) -> tuple[str, ...]:
    """dateparser language hints: the site language first, English second.

    An unknown or missing language gets French and English, the languages of the catalogue.
    Never an unhinted call: dateparser's language detection costs seconds.

    >>> _languages("fr-FR"), _languages("en"), _languages(None), _languages("xx")
    (('fr', 'en'), ('en',), ('fr', 'en'), ('fr', 'en'))
    """
    primary = (language or "").strip().lower().replace("_", "-").split("-")[0]
    if not primary:
        return ("fr", "en")
    if primary not in language_order:
        logger.warning("dateparser does not know language %r, trying fr and en", language)
        return ("fr", "en")
    return (primary,) if primary == "en" else (primary, "en")


def _date_order(language: str | None, timezone: str | None) -> str | None:
    """Order for numeric dates: month first only for American English.

    None leaves the choice to dateparser's locale data (e.g. year first for "zh").

    >>> _date_order("en", "America/New_York"), _date_order("en-GB", "Europe/London")
    ('MDY', 'DMY')
    >>> _date_order("fr", None), _date_order("ja", "Asia/Tokyo")
    ('DMY', None)
    """
    tag = (language or "").strip().lower().replace("_", "-")
    primary = tag.split("-")[0]
    if primary == "en":
        american = tag == "en-us" or (timezone or "").startswith(("America/", "US/"))
        return "MDY" if american else "DMY"
    if primary in {"", "fr", "de", "es", "it", "pt", "nl"}:
        return "DMY"
    return None


# --------------------------------------------------------------------------- fast paths

_ISO_RE = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[Tt ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"\s?(?P<tz>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?"
)

_RFC2822_RE = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun),?\s*)?(?P<d>\d{1,2})\s+(?P<mon>[a-z]{3})\s+(?P<y>\d{4})"
    r"\s+(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
    r"\s*(?P<tz>[+-]\d{4}|ut|utc|gmt|z|[ecmp][sd]t)",
    re.IGNORECASE,
)


def _parse_iso(text: str, zone: tzinfo) -> DateResult | None:
    """ISO 8601 / RFC 3339; None when `text` is not ISO-shaped at all.

    >>> _parse_iso("2023-11-22T10:15:00.5+01:00", UTC).value
    datetime.datetime(2023, 11, 22, 9, 15, 0, 500000, tzinfo=datetime.timezone.utc)
    >>> _parse_iso("2023-11-22", zone_for("Europe/Paris"))
    DateResult(value=datetime.datetime(2023, 11, 21, 23, 0, tzinfo=datetime.timezone.utc), \
rule='iso-date-local-tz', error=None)
    >>> _parse_iso("2023-02-30", UTC).error
    'unparseable'
    """
    match = _ISO_RE.fullmatch(text)
    if match is None:
        return None
    # The regex vouches for the shape; C's fromisoformat is ten times faster than building
    # the datetime by hand. It wants upper-case "T" and a numeric offset.
    tz = match["tz"]
    iso = text.upper() if tz is None else text[: match.start("tz")].rstrip().upper()
    try:
        if tz is None:
            naive = datetime.fromisoformat(iso)
            rule = "iso-local-tz" if match["h"] else "iso-date-local-tz"
            return DateResult(_localise(naive, zone), rule, None)
        offset = "+00:00" if tz.upper() in {"Z", "UTC", "GMT"} else tz
        value = datetime.fromisoformat(iso + offset).astimezone(UTC)
        return DateResult(value, "iso-offset", None)
    except (ValueError, OverflowError):
        # ISO-shaped but impossible (month 13, 25:00): no other reading would be more right.
        return DateResult(None, "none", "unparseable")


def _parse_rfc2822(text: str) -> DateResult | None:
    """RFC 2822 with a zone, as in feeds and `Last-Modified`; None when not that shape.

    >>> _parse_rfc2822("Wed, 22 Nov 2023 10:15:00 +0100").value
    datetime.datetime(2023, 11, 22, 9, 15, tzinfo=datetime.timezone.utc)
    """
    match = _RFC2822_RE.fullmatch(text)
    if match is None:
        return None
    g = match.group
    month = RFC_MONTHS.get(g("mon").lower())
    if month is None:
        return None
    tz = g("tz").lower()
    own = _offset(tz[0], tz[1:3], tz[3:]) if tz[0] in "+-" else _TZ_NAMES.get(tz, UTC)
    try:
        naive = datetime(  # noqa: DTZ001 -- the zone is attached just below
            int(g("y")), month, int(g("d")), int(g("h")), int(g("mi")), int(g("s") or 0)
        )
        return DateResult(naive.replace(tzinfo=own).astimezone(UTC), "rfc2822-offset", None)
    except (ValueError, OverflowError):
        return DateResult(None, "none", "unparseable")


# --------------------------------------------------------------------------- free text

_CONTROL_RE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_INVISIBLE_RE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")

_LABEL_RE = re.compile(
    r"""^(?:
        (?:date\s+de\s+)?(?:première\s+)?
        (?:publi[ée]e?s?|mise?s?\s+[àa]\s+jour|m[àa]j|modifi[ée]e?s?|actualis[ée]e?s?
           |mise?\s+en\s+ligne|cr[ée]{2}e?)
      | (?:last\s+|first\s+|date\s+)?(?:updated|published|posted|modified|edited|revised)
      | date | le | on
      | veröffentlicht | aktualisiert | publicado | actualizado | pubblicato | aggiornato
      | atualizado
    )(?![^\W\d_])\s*(?:(?:le|on|at|am|el|il(?!\s+y\s+a)|em|:|-|–|—|\|)(?![^\W\d_])\s*)?""",
    re.VERBOSE,
)

_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_NOT_LETTER = r"(?![^\W\d_])"

# "14h", "14h05", "14 h 05", "14:05:30", "2 pm", "2:30 p.m." -- never a bare number.
_TIME = rf"""
    (?P<H>\d{{1,2}})(?:
        \s*[:h]\s*(?P<M>\d{{2}})(?:\s*:\s*(?P<S>\d{{2}}))?(?:\s*(?P<ap1>[ap]\.?\s?m\.?){_NOT_LETTER})?
      | \s*h(?![^\W_])
      | \s*(?P<ap2>[ap]\.?\s?m\.?){_NOT_LETTER}
    )(?:\s*uhr{_NOT_LETTER})?"""
# The word before a time: French, English, then the other languages dateparser is hinted with.
_TIME_SEP = r"\s*(?:,|à|at|a|@|-|–|—|\||um|a\s+las?|às|alle|ore|om|kl\.?)?\s*"

_TEXT_DATE_RE = re.compile(
    rf"""(?<![\w/.\-])(?:
        (?P<n1>\d{{1,2}})[/.\-](?P<n2>\d{{1,2}})[/.\-](?P<n3>\d{{4}}|\d{{2}})
      | (?P<y0>\d{{4}})[/.\-](?P<m0>\d{{1,2}})[/.\-](?P<d0>\d{{1,2}})
      | (?P<d1>\d{{1,2}})(?:er|st|nd|rd|th)?\.?\s+(?:de\s+)?(?P<mon1>{_MONTH_ALT}){_NOT_LETTER}
        \.?,?\s+(?:de\s+)?(?P<y1>\d{{4}})
      | (?P<mon2>{_MONTH_ALT}){_NOT_LETTER}\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?
        \s+(?P<y2>\d{{4}})
    )(?!\d)
    (?:{_TIME_SEP}{_TIME}
       (?:\s*\(?\s*(?:
           (?P<tzname>utc|gmt|cest|cet|edt|cdt|mdt|pdt|cst|mst|pst|bst|west|wet|eest|eet|ct|mt|pt)
             (?P<tzoff>\s*[+-]\s*\d{{1,2}}(?::?\d{{2}})?)?(?![^\W_])
         | (?P<tzamb>est|et)(?=\s*(?:$|[^\w\s]))
         | (?P<off>[+-]\d{{2}}:?\d{{2}})(?!\d)
       ))?
    )?""",
    re.VERBOSE,
)

_UNIT_ALT = "|".join(sorted(RELATIVE_UNITS, key=len, reverse=True))
_END = r"[^\w]*$"
_AGO_RE = re.compile(
    rf"""(?:il\s+y\s+a\s+(?P<fn>\d+|une?)\s*(?P<fu>{_UNIT_ALT})
          | (?P<en>\d+|an?|one)\s*(?P<eu>{_UNIT_ALT})\s+ago){_END}""",
    re.VERBOSE,
)
_DAY_RE = re.compile(
    rf"(?P<day>avant[- ]hier|hier|yesterday|aujourd'?hui|today)(?:{_TIME_SEP}{_TIME})?{_END}",
    re.VERBOSE,
)
_NOW_RE = re.compile(rf"(?:à\s+l'instant|just\s+now|maintenant|now){_END}")
# Time without a date: guessing "today" would be wrong for every article read after midnight.
_TIME_ONLY_RE = re.compile(
    rf"(?:(?:{WEEKDAY_ALT})\.?,?\s*)?(?:à|at|@)?\s*{_TIME}{_END}", re.VERBOSE
)


def _clean(raw: str) -> str:
    """Collapse whitespace and control characters, drop invisible ones.

    >>> _clean(" Publié\\xa0le\\n 21/11/2023\\u200b\\x00 ")
    'Publié le 21/11/2023'
    """
    if raw.isprintable():  # the usual case, and the ISO fast path: skip the regexes
        text = raw.strip()
        return " ".join(text.split()) if "  " in text else text
    return _CONTROL_RE.sub(" ", _INVISIBLE_RE.sub("", raw)).strip()


def _strip_labels(text: str) -> str:
    """Lower-case and remove leading labels, which make dateparser return None.

    >>> _strip_labels("Mise à jour : 22 novembre 2023 à 10h15")
    '22 novembre 2023 à 10h15'
    >>> _strip_labels("Updated on Nov. 22, 2023"), _strip_labels("Posted  on 3 hours ago")
    ('nov. 22, 2023', '3 hours ago')
    """
    text = text.lower().replace("’", "'").replace("`", "'")
    for _ in range(3):  # "Publié le | Mis à jour le ..." style stacks are short
        stripped = _LABEL_RE.sub("", text, count=1).lstrip(" :|-–—•·([")
        if stripped == text:
            break
        text = stripped
    return text.rstrip(" :|-–—•·)]")


def _clock(match: re.Match[str]) -> tuple[int, int, int] | None:
    """(hour, minute, second) from the `_TIME` groups; None when impossible."""
    hour, minute, second = int(match["H"]), int(match["M"] or 0), int(match["S"] or 0)
    meridiem = (match["ap1"] or match["ap2"] or "")[:1]
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def _text_result(match: re.Match[str], order: str | None, zone: tzinfo) -> DateResult:
    g = match.group
    if g("n1"):
        first, second, year = int(g("n1")), int(g("n2")), int(g("n3"))
        if len(g("n3")) == 2:
            year += 2000 if year < 70 else 1900  # POSIX pivot
        day, month = (second, first) if order == "MDY" else (first, second)
        if month > 12 >= day:  # only one reading is a date
            day, month = month, day
    elif g("y0"):
        year, month, day = int(g("y0")), int(g("m0")), int(g("d0"))
    elif g("d1"):
        year, month, day = int(g("y1")), MONTHS[g("mon1")], int(g("d1"))
    else:
        year, month, day = int(g("y2")), MONTHS[g("mon2")], int(g("d2"))
    clock = (0, 0, 0)
    if g("H") is not None:
        found = _clock(match)
        if found is None:
            return DateResult(None, "none", "unparseable")
        clock = found
    try:
        naive = datetime(year, month, day, *clock)  # noqa: DTZ001 -- a zone is attached below
    except ValueError:
        return DateResult(None, "none", "unparseable")  # "31 février", "30/02"
    if g("H") is None:
        return DateResult(_localise(naive, zone), "text-date-local-tz", None)
    own: tzinfo | None = None
    try:
        if g("off"):
            off = g("off")
            own = _offset(off[0], off[1:3], off[-2:])
        elif g("tzamb"):
            own = _TZ_NAMES[g("tzamb")]
        elif g("tzname"):
            own = _TZ_NAMES[g("tzname")]
            extra = _OFFSET_RE.fullmatch((g("tzoff") or "").replace(" ", ""))
            if extra:
                own = _offset(*extra.groups())
    except ValueError:
        return DateResult(None, "none", "unparseable")
    if own is None:
        return DateResult(_localise(naive, zone), "text-local-tz", None)
    return DateResult(naive.replace(tzinfo=own).astimezone(UTC), "text-offset", None)


def _months_back(local: datetime, months: int) -> datetime:
    """Calendar months back, the day clamped to the target month ("il y a 1 mois" on 31 March)."""
    index = local.year * 12 + local.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = datetime(year + month // 12, month % 12 + 1, 1)  # noqa: DTZ001 -- date only
    last_day = (following - timedelta(days=1)).day
    return local.replace(year=year, month=month, day=min(local.day, last_day))


def _parse_relative(text: str, zone: tzinfo, fetched_at: datetime) -> DateResult | None:
    """French / English relative forms against `fetched_at`; None when not one of them."""
    if _NOW_RE.match(text):
        return DateResult(fetched_at.astimezone(UTC), "relative", None)
    local = fetched_at.astimezone(zone)
    if (ago := _AGO_RE.match(text)) is not None:
        count_text = ago["fn"] or ago["en"]
        count = ONE_WORDS.get(count_text) or int(count_text[:6])  # six digits is decades of seconds
        unit = RELATIVE_UNITS[ago["fu"] or ago["eu"]]
        if unit in {"seconds", "minutes", "hours"}:
            # Elapsed time: plain UTC arithmetic, right across a DST change.
            value = fetched_at.astimezone(UTC) - timedelta(**{unit: count})
        elif unit in {"days", "weeks"}:
            # Calendar days: same wall-clock time on the earlier day in the site's zone.
            naive = local.replace(tzinfo=None) - timedelta(**{unit: count})
            value = _localise(naive, zone)
        else:
            months = count * (12 if unit == "years" else 1)
            value = _localise(_months_back(local.replace(tzinfo=None), months), zone)
        return DateResult(value, "relative", None)
    if (day := _DAY_RE.match(text)) is not None:
        offset = DAY_WORDS[day["day"].replace("’", "'")]
        date = local.date() + timedelta(days=offset)
        if day["H"] is None:
            midnight = datetime(date.year, date.month, date.day)  # noqa: DTZ001 -- localised
            return DateResult(_localise(midnight, zone), "relative-date", None)
        clock = _clock(day)
        if clock is None:
            return DateResult(None, "none", "unparseable")
        naive = datetime(date.year, date.month, date.day, *clock)  # noqa: DTZ001 -- localised
        return DateResult(_localise(naive, zone), "relative", None)
    return None


# --------------------------------------------------------------------------- dateparser

_DP_ABSOLUTE = {
    "PARSERS": ["custom-formats", "absolute-time"],
    # A missing part would be filled from "now": "lundi" or "10h15" would become today.
    "REQUIRE_PARTS": ["day", "month", "year"],
    # Strings naming a zone come back aware and in UTC; the others stay naive, so we can tell
    # the two apart and localise with zoneinfo. Never the machine's local zone.
    "TIMEZONE": "UTC",
    "PREFER_DATES_FROM": "past",
}


@functools.lru_cache(maxsize=64)
def _absolute_parser(languages: tuple[str, ...], order: str | None) -> DateDataParser:
    settings: dict[str, Any] = dict(_DP_ABSOLUTE)
    if order:
        settings["DATE_ORDER"] = order
    return DateDataParser(languages=list(languages), settings=settings)


def _dateparser(parser: DateDataParser, text: str) -> datetime | None:
    try:
        date_obj = parser.get_date_data(text).date_obj
    except Exception:  # dateparser has raised OverflowError, IndexError... on odd input
        logger.debug("dateparser failed on %r", text, exc_info=True)
        return None
    return date_obj if isinstance(date_obj, datetime) else None


@functools.lru_cache(maxsize=8192)
def _parse_absolute(
    text: str, languages: tuple[str, ...], order: str | None, timezone: str | None
) -> DateResult | None:
    """Absolute free text: own regexes, then dateparser. Cached: no input depends on "now"."""
    zone = zone_for(timezone)
    match = _TEXT_DATE_RE.search(text)
    found = None
    if match is not None:
        found = _text_result(match, order, zone)
        if found.rule != "text-date-local-tz" or not any(c.isdigit() for c in text[match.end() :]):
            return found
    # A date without time but digits after it: maybe a time after a word we do not know
    # ("kello 10.15"). dateparser may read it; if it reads another day, keep our date.
    value = _dateparser(_absolute_parser(languages, order), text)
    if value is None:
        return found
    if value.tzinfo is not None:
        better = DateResult(value.astimezone(UTC), "text-offset", None)
    else:
        better = DateResult(_localise(value, zone), "text-local-tz", None)
    if found is None or (
        found.value is not None
        and better.value is not None
        and abs(better.value - found.value) < timedelta(days=1)
    ):
        return better
    return found


def _parse_relative_dateparser(
    text: str, languages: tuple[str, ...], zone: tzinfo, fetched_at: datetime
) -> DateResult | None:
    """Other languages' relative forms ("vor 3 Stunden", "hace 2 días"). Not cached: the base
    changes with every page, so the parser is built per call (about 60 µs)."""
    base = fetched_at.astimezone(zone).replace(tzinfo=None)
    settings = {
        "PARSERS": ["relative-time"],
        "RELATIVE_BASE": base,
        "TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DATES_FROM": "past",
    }
    try:
        parser = DateDataParser(languages=list(languages), settings=settings)
    except Exception:  # defensive: settings are constant, but a bad base must not stop a crawl
        logger.debug("dateparser refused base %r", base, exc_info=True)
        return None
    value = _dateparser(parser, text)
    if value is None:
        return None
    if value.tzinfo is not None:
        return DateResult(value.astimezone(UTC), "relative", None)
    return DateResult(_localise(value, zone), "relative", None)


# --------------------------------------------------------------------------- public API


def _check(result: DateResult, fetched_at: datetime) -> DateResult:
    if result.value is None:
        return result
    if result.value > fetched_at + _FUTURE_SLACK:
        return DateResult(None, result.rule, "future")
    if result.value < _MIN_VALUE:
        return DateResult(None, result.rule, "before-1995")
    return result


def normalise_date(
    raw: str | None, *, language: str | None, timezone: str | None, fetched_at: datetime
) -> DateResult:
    """Read one raw date string as an aware UTC datetime.

    `timezone` (IANA name or fixed offset, None for UTC) applies to strings without their own
    offset; relative strings count back from `fetched_at`, seen in that zone. Dates more than a
    day after `fetched_at` or before 1995 are rejected. Raises only for a naive `fetched_at`,
    which is a programming error, never for page data.

    >>> fetched = datetime(2023, 11, 22, 15, 0, tzinfo=UTC)
    >>> normalise_date("Publié le 21/11/2023 à 18h05", language="fr",
    ...                timezone="Europe/Paris", fetched_at=fetched)
    DateResult(value=datetime.datetime(2023, 11, 21, 17, 5, tzinfo=datetime.timezone.utc), \
rule='text-local-tz', error=None)
    >>> normalise_date("hier à 14h", language="fr", timezone="Europe/Paris",
    ...                fetched_at=fetched).value
    datetime.datetime(2023, 11, 21, 13, 0, tzinfo=datetime.timezone.utc)
    >>> normalise_date("10h15", language="fr", timezone="Europe/Paris", fetched_at=fetched)
    DateResult(value=None, rule='none', error='unparseable')
    """
    if fetched_at.tzinfo is None or fetched_at.utcoffset() is None:
        raise ValueError("fetched_at must be timezone-aware")
    if raw is None:
        return DateResult(None, "none", "empty")
    if not isinstance(raw, str) or len(raw) > 64 * _MAX_LEN:
        return DateResult(None, "none", "unparseable")
    text = _clean(raw)
    if not text:
        return DateResult(None, "none", "empty")
    if len(text) > _MAX_LEN:
        return DateResult(None, "none", "unparseable")
    try:
        found = _parse(text, language, timezone, fetched_at)
    except (ValueError, OverflowError):
        # Dates at the edges of datetime's range (year 1, year 9999) overflow when moved to
        # UTC or counted back from ("il y a 999999 semaines").
        found = None
    if found is None:
        return DateResult(None, "none", "unparseable")
    return _check(found, fetched_at)


def _parse(
    text: str, language: str | None, timezone: str | None, fetched_at: datetime
) -> DateResult | None:
    zone = zone_for(timezone)
    found = _parse_iso(text, zone) or _parse_rfc2822(text)
    if found is not None:
        return found
    text = _strip_labels(text)
    if not text or _TIME_ONLY_RE.match(text):
        return None
    languages = _languages(language)
    return (
        _parse_relative(text, zone, fetched_at)
        or _parse_absolute(text, languages, _date_order(language, timezone), timezone)
        or _parse_relative_dateparser(text, languages, zone, fetched_at)
    )


def _raw_text(raw: object) -> tuple[Any, str]:
    """(text, where) from an item's `*_raw` field: {"text": ..., "where": ...}, a bare string or
    None. The text is None when absent; anything that is not a string is passed on, to be
    reported "unparseable" rather than guessed at."""
    if isinstance(raw, Mapping):
        return raw.get("text"), str(raw.get("where") or "?")
    return raw, "?"


def resolve_item_dates(
    item: MutableMapping[str, Any],
    *,
    language: str | None,
    timezone: str | None,
    fetched_at: datetime,
    local_zone: str | None = None,
) -> dict[str, str]:
    """Fill `published_at`, `updated_at` and `date_source` from the item's raw date strings,
    and `published_local` / `updated_local`: the same instants in the publisher's offset
    (`crawler.dates.local.local_time`; `local_zone`, when given, is the zone of a date written
    in UTC on a page whose site zone is unknown: `ArticlePage.local_zone`).

    Returns {"published": error, "updated": error} for the strings that were present but
    rejected; an absent raw string is not an error. The two dates are kept as read: an
    `updated_at` earlier than `published_at` is left alone, and a missing `published_at` is not
    filled from `updated_at`.

    >>> item = {"published_raw": {"text": "2023-11-21T18:05:00+01:00", "where": "meta"},
    ...         "updated_raw": {"text": "lundi", "where": "byline"}}
    >>> resolve_item_dates(item, language="fr", timezone="Europe/Paris",
    ...                    fetched_at=datetime(2023, 11, 22, 15, tzinfo=UTC))
    {'updated': 'unparseable'}
    >>> item["published_at"], item["updated_at"], item["date_source"]
    (datetime.datetime(2023, 11, 21, 17, 5, tzinfo=datetime.timezone.utc), None, \
{'published': 'meta/iso-offset', 'updated': None})
    >>> item["published_local"], item["updated_local"]
    ('2023-11-21T18:05:00+01:00', None)
    """
    errors: dict[str, str] = {}
    sources: dict[str, str | None] = {}
    for name in ("published", "updated"):
        text, where = _raw_text(item.get(f"{name}_raw"))
        value: datetime | None = None
        source: str | None = None
        if text is not None:
            result = normalise_date(
                text, language=language, timezone=timezone, fetched_at=fetched_at
            )
            if result.error is not None:
                errors[name] = result.error
            else:
                value, source = result.value, f"{where}/{result.rule}"
        item[f"{name}_at"] = value
        # The publisher's wall clock beside the UTC instant (crawler.dates.local).
        item[f"{name}_local"] = local_time(value, rule=source, raw_text=text, timezone=timezone,
                                           local_zone=local_zone,
                                           source=item.get("source") or item.get("url"))
        sources[name] = source
    item["date_source"] = sources
    return errors
