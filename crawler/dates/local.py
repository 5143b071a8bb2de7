"""A resolved date as the publisher's wall clock showed it: ISO 8601 with the publisher's offset.

The stored `published_at` / `updated_at` are UTC instants; `published_local` / `updated_local`
keep what UTC drops, the offset, so that a reader can count articles per publisher-local day or
print the time the page printed. The zone, in order:

1. a non-zero offset written in the raw string ("2024-05-16T11:26:10+02:00"): that offset;
2. a string written in UTC ("...Z", "... GMT"): the site's zone at that instant (the catalogue's,
   else the page's own hint, else the zone the page's other timestamps, host or language name),
   since a CMS that stamps UTC says nothing of where it publishes; UTC when none is known;
3. a string without offset: the zone it was read in (the site's), the same.

A date without a time of day (`*-date-*` rules) is a calendar day, not an instant: it is written
as that day's local midnight without offset ("2024-04-30T00:00:00"), as the evaluation truths
write a day. Measured on `../shared/eval/wide` (bench/score_stored.py): the day and minute read
back from stored documents match the extraction's, .943 / .902, against .861 / .866 from the
UTC field.
"""

from __future__ import annotations

import functools
import logging
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

__all__ = ["local_time", "written_offset"]

# A time of day followed by its zone: "11:26:10+02:00", "10:15 GMT", "09:00Z".
_OFFSET_RE = re.compile(
    r"\d{2}:\d{2}(?::\d{1,2}(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2}|GMT|UTC)\s*$", re.IGNORECASE)
_DAY_ONLY_RULES = ("date-local-tz", "relative-date")
# Said once per process: a site without a time zone whose dates carry no offset.
_told_no_zone = False


@functools.lru_cache(maxsize=256)
def _tz(name: str | None) -> tzinfo | None:
    """tzinfo for an IANA name or "+01:00"; None when absent or unknown (`normalise` has said so).

    >>> _tz("+05:30"), _tz("Nowhere/Else"), _tz(None)
    (datetime.timezone(datetime.timedelta(seconds=19800)), None, None)
    """
    text = (name or "").strip()
    if not text:
        return None
    if text.upper() in {"UTC", "Z", "GMT"}:
        return UTC
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text)
    if match:
        delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
        try:
            return timezone(-delta if match[1] == "-" else delta)
        except ValueError:  # 24h or more
            return None
    try:
        return ZoneInfo(text)
    except (KeyError, ValueError, OSError):
        return None


def written_offset(raw_text: object) -> tzinfo | None:
    """The zone written after the time in a raw date string; None when it gives none.

    >>> written_offset("2024-05-16T11:26:10+02:00")
    datetime.timezone(datetime.timedelta(seconds=7200))
    >>> written_offset("2024-05-16T09:26:10Z"), written_offset("16 mai 2024 à 11h26")
    (datetime.timezone.utc, None)
    """
    if not isinstance(raw_text, str):
        return None
    match = _OFFSET_RE.search(raw_text.strip()[-64:])
    if match is None:
        return None
    offset = match[1].upper()
    if offset in {"Z", "GMT", "UTC"} or offset.replace(":", "") in {"+0000", "-0000"}:
        return UTC
    return _tz(offset)


def local_time(value: datetime | None, *, rule: str | None, raw_text: object,
               timezone: str | None, local_zone: str | None = None,
               source: object = None) -> str | None:
    """`value` (aware UTC) as ISO 8601 in the publisher's offset; None when `value` is None.

    `timezone` is the zone the date was read in (catalogue or page hint); `local_zone` the zone
    the page's other signals name, used when the string was written in UTC and `timezone` is
    unknown. `source` only names the site in the one line said when no zone is known at all.

    >>> at = datetime(2024, 5, 16, 9, 26, 10, tzinfo=UTC)
    >>> local_time(at, rule="meta/iso-offset", raw_text="2024-05-16T11:26:10+02:00", timezone=None)
    '2024-05-16T11:26:10+02:00'
    >>> local_time(at, rule="jsonld/iso-offset", raw_text="2024-05-16T09:26:10Z",
    ...            timezone="America/New_York")
    '2024-05-16T05:26:10-04:00'
    >>> local_time(datetime(2024, 4, 29, 22, tzinfo=UTC), rule="url/iso-date-local-tz",
    ...            raw_text="2024-04-30", timezone="Europe/Paris")
    '2024-04-30T00:00:00'
    """
    if value is None:
        return None
    written = written_offset(raw_text)
    zone: tzinfo | None
    if written is not None and written is not UTC:
        zone = written
    else:
        zone = _tz(timezone) or (_tz(local_zone) if written is UTC else None)
    if zone is None:
        zone = UTC
        if written is None and not str(rule or "").endswith("offset"):
            _say_no_zone(source)
    local = value.astimezone(zone)
    if rule and rule.endswith(_DAY_ONLY_RULES):
        return f"{local.date().isoformat()}T00:00:00"
    return local.isoformat()


def _say_no_zone(source: object) -> None:
    global _told_no_zone
    if _told_no_zone:
        return
    _told_no_zone = True
    logger.warning("dates without offset on a site with no time zone (first: %s) are read as UTC "
                   "and their local time stored with +00:00; a catalogue site gets it from its "
                   "`timezone` (further cases are not logged)", source or "?")
