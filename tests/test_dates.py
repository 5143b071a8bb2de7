"""crawler.dates.normalise: raw date strings -> aware UTC datetimes, and the item step built on it."""

from __future__ import annotations

import doctest
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dates import normalise as dates
from crawler.dates.normalise import DateResult, normalise_date, resolve_item_dates
from crawler.items import ArticleItem

# Wednesday 22 November 2023, 16:00 in Paris (CET, +01:00), 10:00 in New York (EST).
FETCHED = datetime(2023, 11, 22, 15, 0, tzinfo=UTC)
# Saturday 15 July 2023, 14:00 in Paris (CEST, +02:00).
FETCHED_SUMMER = datetime(2023, 7, 15, 12, 0, tzinfo=UTC)
# Still Tuesday the 21st in UTC, already Wednesday the 22nd (00:30) in Paris: "hier" is the 21st.
FETCHED_NIGHT = datetime(2023, 11, 21, 23, 30, tzinfo=UTC)

PARIS = "Europe/Paris"
NY = "America/New_York"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (raw, language, timezone, expected UTC value or None, rule, error[, fetched_at])
TABLE: list[tuple[Any, ...]] = [
    # ISO 8601 / RFC 3339: own offset wins, naive ones are read in the site zone.
    ("2023-11-22T10:15:00Z", "fr", PARIS, "2023-11-22T10:15:00", "iso-offset", None),
    ("2023-11-22T10:15:00+01:00", "fr", PARIS, "2023-11-22T09:15:00", "iso-offset", None),
    ("2023-11-22T10:15:00.123456789-0500", "fr", PARIS, "2023-11-22T15:15:00.123456",
     "iso-offset", None),
    ("2023-11-22t10:15:00z", "fr", PARIS, "2023-11-22T10:15:00", "iso-offset", None),
    ("2023-11-22 10:15:00 UTC", "fr", PARIS, "2023-11-22T10:15:00", "iso-offset", None),
    ("2023-11-22T10:15:00", "fr", PARIS, "2023-11-22T09:15:00", "iso-local-tz", None),
    ("2023-07-15T10:15", "fr", PARIS, "2023-07-15T08:15:00", "iso-local-tz", None),  # CEST
    ("2023-07-15T10:15:00", "en", NY, "2023-07-15T14:15:00", "iso-local-tz", None),  # EDT
    ("2023-11-22T10:15:00", "en", "+05:30", "2023-11-22T04:45:00", "iso-local-tz", None),
    ("2023-11-22", "fr", PARIS, "2023-11-21T23:00:00", "iso-date-local-tz", None),
    # The autumn hour that happens twice: the first (summer time) reading.
    ("2023-10-29T02:30:00", "fr", PARIS, "2023-10-29T00:30:00", "iso-local-tz", None),
    ("2023-02-30T10:00:00Z", "fr", PARIS, None, "none", "unparseable"),
    ("  \n2023-11-22T10:15:00Z\t", "fr", PARIS, "2023-11-22T10:15:00", "iso-offset", None),
    # RFC 2822, as in feeds.
    ("Wed, 22 Nov 2023 10:15:00 +0100", "fr", PARIS, "2023-11-22T09:15:00", "rfc2822-offset",
     None),
    ("Wed, 22 Nov 2023 10:15:00 GMT", "fr", PARIS, "2023-11-22T10:15:00", "rfc2822-offset", None),
    ("Tue, 21 Nov 2023 22:15:00 -0500", "en", NY, "2023-11-22T03:15:00", "rfc2822-offset", None),
    ("Wed, 22 Nov 2023 10:15:00 EST", "en", NY, "2023-11-22T15:15:00", "rfc2822-offset", None),
    # French free text, labelled or not.
    ("Publié le 21/11/2023 à 18h05", "fr", PARIS, "2023-11-21T17:05:00", "text-local-tz", None),
    ("Mise à jour : 22 novembre 2023 à 10h15", "fr", PARIS, "2023-11-22T09:15:00",
     "text-local-tz", None),
    ("Mis à jour le 22/11/2023 à 10:15", "fr", PARIS, "2023-11-22T09:15:00", "text-local-tz",
     None),
    ("Le 22/11/2023 à 10:15", "fr", PARIS, "2023-11-22T09:15:00", "text-local-tz", None),
    ("22 nov. 2023 à 10h15", "fr", PARIS, "2023-11-22T09:15:00", "text-local-tz", None),
    ("lundi 20 novembre 2023", "fr", PARIS, "2023-11-19T23:00:00", "text-date-local-tz", None),
    ("mercredi 22 novembre 2023 à 9h", "fr", PARIS, "2023-11-22T08:00:00", "text-local-tz", None),
    ("15 juillet 2023 à 10h00", "fr", PARIS, "2023-07-15T08:00:00", "text-local-tz", None),
    ("Publié le 1er août 2023 à 8h", "fr", PARIS, "2023-08-01T06:00:00", "text-local-tz", None),
    ("Publié le\xa021 novembre 2023\u202fà 18 h 05", "fr", PARIS, "2023-11-21T17:05:00",
     "text-local-tz", None),
    ("MàJ 22/11/23 14:30", "fr", PARIS, "2023-11-22T13:30:00", "text-local-tz", None),
    # Two dates in one string: the first one, the publication.
    ("Publié le 21/11/2023 à 18h05, mis à jour le 22/11/2023 à 10h15", "fr", PARIS,
     "2023-11-21T17:05:00", "text-local-tz", None),
    # English free text; month first only for American English.
    ("Updated Nov. 22, 2023 at 10:15 a.m. ET", "en", NY, "2023-11-22T15:15:00", "text-offset",
     None),
    ("Published: November 21, 2023 3:05 PM", "en", NY, "2023-11-21T20:05:00", "text-local-tz",
     None),
    ("November 21, 2023 11:45 pm", "en", NY, "2023-11-22T04:45:00", "text-local-tz", None),
    ("Jul 4, 2023, 9:30 AM EDT", "en", NY, "2023-07-04T13:30:00", "text-offset", None),
    ("22 Nov 2023 10:15 UTC+1", "en", "Europe/London", "2023-11-22T09:15:00", "text-offset",
     None),
    ("Posted on 21 November 2023", "en", "Europe/London", "2023-11-21T00:00:00",
     "text-date-local-tz", None),
    ("11/21/2023", "en", NY, "2023-11-21T05:00:00", "text-date-local-tz", None),
    ("05/06/2023", "en", NY, "2023-05-06T04:00:00", "text-date-local-tz", None),
    ("05/06/2023", "en", "Europe/London", "2023-06-04T23:00:00", "text-date-local-tz", None),
    # Fixed offsets and no zone at all for the site.
    ("22/11/2023 10:15", "fr", "-0500", "2023-11-22T15:15:00", "text-local-tz", None),
    ("22/11/2023 10:15", "fr", None, "2023-11-22T10:15:00", "text-local-tz", None),
    # Relative strings, against fetched_at in the site zone.
    ("il y a 3 heures", "fr", PARIS, "2023-11-22T12:00:00", "relative", None),
    ("Publié il y a une heure", "fr", PARIS, "2023-11-22T14:00:00", "relative", None),
    ("il y a 2 jours", "fr", PARIS, "2023-11-20T15:00:00", "relative", None),
    # One calendar month back crosses the end of summer time: same wall clock, 16:00.
    ("il y a 1 mois", "fr", PARIS, "2023-10-22T14:00:00", "relative", None),
    ("hier à 14h", "fr", PARIS, "2023-11-21T13:00:00", "relative", None),
    ("hier", "fr", PARIS, "2023-11-20T23:00:00", "relative-date", None),
    ("aujourd'hui à 9h30", "fr", PARIS, "2023-11-22T08:30:00", "relative", None),
    ("Aujourd’hui à 9h30", "fr", PARIS, "2023-11-22T08:30:00", "relative", None),
    ("hier à 14h", "fr", PARIS, "2023-07-14T12:00:00", "relative", None, FETCHED_SUMMER),
    ("hier à 23h", "fr", PARIS, "2023-11-21T22:00:00", "relative", None, FETCHED_NIGHT),
    ("3 hours ago", "en", PARIS, "2023-11-22T12:00:00", "relative", None),
    ("an hour ago", "en", NY, "2023-11-22T14:00:00", "relative", None),
    ("Updated 5 min ago", "en", PARIS, "2023-11-22T14:55:00", "relative", None),
    ("yesterday at 2:30 pm", "en", PARIS, "2023-11-21T13:30:00", "relative", None),
    ("yesterday at 2:30 pm", "en", NY, "2023-11-21T19:30:00", "relative", None),
    # Other languages go to dateparser, hinted with the site language.
    ("22. November 2023 um 10:15 Uhr", "de", "Europe/Berlin", "2023-11-22T09:15:00",
     "text-local-tz", None),
    ("vor 3 Stunden", "de", "Europe/Berlin", "2023-11-22T12:00:00", "relative", None),
    ("22 de noviembre de 2023", "es", "Europe/Madrid", "2023-11-21T23:00:00", "text-local-tz",
     None),
    ("hace 2 días", "es", "Europe/Madrid", "2023-11-20T15:00:00", "relative", None),
    # Rejected: impossible, time or weekday only, garbage.
    ("31 février 2023", "fr", PARIS, None, "none", "unparseable"),
    ("21/11/2023 à 25h00", "fr", PARIS, None, "none", "unparseable"),
    ("10h15", "fr", PARIS, None, "none", "unparseable"),
    ("à 10h15", "fr", PARIS, None, "none", "unparseable"),
    ("10 h", "fr", PARIS, None, "none", "unparseable"),
    ("10:15 am", "en", NY, None, "none", "unparseable"),
    ("lundi", "fr", PARIS, None, "none", "unparseable"),
    ("lundi 10h15", "fr", PARIS, None, "none", "unparseable"),
    ("Monday", "en", NY, None, "none", "unparseable"),
    ("n'importe quoi", "fr", PARIS, None, "none", "unparseable"),
    ("Publié le", "fr", PARIS, None, "none", "unparseable"),
    ("2023", "fr", PARIS, None, "none", "unparseable"),
    ("12345", "fr", PARIS, None, "none", "unparseable"),
    ("0001-01-01T00:00:00", "fr", PARIS, None, "none", "unparseable"),
    ("il y a 999999 semaines", "fr", PARIS, None, "none", "unparseable"),
    # Rejected: out of range. Up to one day ahead is clock skew and zone slop, not an error.
    ("2023-11-23T15:00:00Z", "fr", PARIS, "2023-11-23T15:00:00", "iso-offset", None),
    ("2023-11-23T15:00:01Z", "fr", PARIS, None, "iso-offset", "future"),
    ("22 novembre 2030", "fr", PARIS, None, "text-date-local-tz", "future"),
    ("1994-12-31T23:59:59Z", "fr", PARIS, None, "iso-offset", "before-1995"),
    ("1er janvier 1990", "fr", PARIS, None, "text-date-local-tz", "before-1995"),
    # Empty.
    ("", "fr", PARIS, None, "none", "empty"),
    ("   \n\t\xa0", "fr", PARIS, None, "none", "empty"),
    (None, "fr", PARIS, None, "none", "empty"),
]


def _case_id(case: tuple[Any, ...]) -> str:
    return f"{case[0]!r}-{case[1]}-{case[2]}"


@pytest.mark.parametrize("case", TABLE, ids=[_case_id(case) for case in TABLE])
def test_normalise_date_table(case: tuple[Any, ...]) -> None:
    raw, language, timezone, expected, rule, error = case[:6]
    fetched_at = case[6] if len(case) > 6 else FETCHED
    result = normalise_date(raw, language=language, timezone=timezone, fetched_at=fetched_at)
    assert result == DateResult(None if expected is None else utc(expected), rule, error)


def test_table_is_large_enough_and_mixed() -> None:
    assert len(TABLE) >= 60
    errors = {case[5] for case in TABLE}
    assert errors == {None, "empty", "unparseable", "future", "before-1995"}


def test_value_is_in_utc_not_merely_aware() -> None:
    result = normalise_date(
        "2023-11-22T10:15:00+01:00", language="fr", timezone=PARIS, fetched_at=FETCHED
    )
    assert result.value is not None
    assert result.value.tzinfo is UTC


def test_relative_strings_follow_fetched_at_not_a_cache() -> None:
    first = normalise_date("il y a 3 heures", language="fr", timezone=PARIS, fetched_at=FETCHED)
    later = normalise_date(
        "il y a 3 heures", language="fr", timezone=PARIS, fetched_at=FETCHED + timedelta(hours=5)
    )
    assert first.value == utc("2023-11-22T12:00:00")
    assert later.value == utc("2023-11-22T17:00:00")


def test_dateparser_relative_strings_follow_fetched_at() -> None:
    first = normalise_date("vor 3 Stunden", language="de", timezone=PARIS, fetched_at=FETCHED)
    later = normalise_date(
        "vor 3 Stunden", language="de", timezone=PARIS, fetched_at=FETCHED + timedelta(days=1)
    )
    assert first.value == utc("2023-11-22T12:00:00")
    assert later.value == utc("2023-11-23T12:00:00")


def test_future_check_uses_each_call_fetched_at_even_when_cached() -> None:
    kwargs: dict[str, Any] = {"language": "fr", "timezone": PARIS}
    early = FETCHED - timedelta(days=30)
    assert normalise_date("22 novembre 2023", fetched_at=FETCHED, **kwargs).error is None
    assert normalise_date("22 novembre 2023", fetched_at=early, **kwargs).error == "future"


@pytest.mark.parametrize("raw", [b"2023-11-22", 20231122, 1.5, ["2023-11-22"], object()])
def test_non_string_input_is_unparseable(raw: Any) -> None:
    result = normalise_date(raw, language="fr", timezone=PARIS, fetched_at=FETCHED)
    assert result == DateResult(None, "none", "unparseable")


def test_huge_input_is_rejected_without_scanning_it() -> None:
    raw = "Publié le 21/11/2023 à 18h05 " + "x" * 10_000_000
    result = normalise_date(raw, language="fr", timezone=PARIS, fetched_at=FETCHED)
    assert result == DateResult(None, "none", "unparseable")


def test_control_characters_are_ignored() -> None:
    raw = "\x00Publié le 21/11/2023\x1b à 18h05\u200b\x7f"
    result = normalise_date(raw, language="fr", timezone=PARIS, fetched_at=FETCHED)
    assert result == DateResult(utc("2023-11-21T17:05:00"), "text-local-tz", None)


def test_naive_fetched_at_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        normalise_date(
            "2023-11-22", language="fr", timezone=PARIS, fetched_at=datetime(2023, 11, 22)  # noqa: DTZ001 -- the naive value is the point
        )


def test_unknown_time_zone_reads_as_utc_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    dates.zone_for.cache_clear()
    with caplog.at_level(logging.WARNING, logger="crawler.dates.normalise"):
        result = normalise_date(
            "2023-11-22T10:15:00", language="fr", timezone="Europe/Atlantis", fetched_at=FETCHED
        )
    assert result == DateResult(utc("2023-11-22T10:15:00"), "iso-local-tz", None)
    assert "Europe/Atlantis" in caplog.text


def test_unknown_language_falls_back_to_french_and_english() -> None:
    result = normalise_date(
        "il y a 3 heures", language="xx", timezone=PARIS, fetched_at=FETCHED
    )
    assert result == DateResult(utc("2023-11-22T12:00:00"), "relative", None)


def test_doctests_pass() -> None:
    outcome = doctest.testmod(dates)
    assert outcome.attempted > 10
    assert outcome.failed == 0


# --------------------------------------------------------------------------- properties

# Fragments of real date strings, glued at random: reaches the regex paths far more often than
# arbitrary text does.
DATE_TOKENS = [
    *"0123456789/-:.,+ hTZàéû'’\x00\xa0",
    *["il y a ", "hier", "heures", "jours", "ago", "min", "novembre", "Nov.", "lundi"],
    *["Publié le ", "Updated ", "am", "pm", "UTC", "ET", "2023", "1995", "9999"],
]
DATEY = st.lists(st.sampled_from(DATE_TOKENS), max_size=16).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    raw=st.one_of(st.none(), st.text(max_size=300), DATEY),
    language=st.sampled_from([None, "fr", "en", "de", "es", "en-US", "zz"]),
    timezone=st.sampled_from([None, PARIS, NY, "+01:00", "-0500", "UTC", "Nowhere/Else"]),
)
def test_normalise_date_never_raises_and_returns_utc_or_none(
    raw: str | None, language: str | None, timezone: str | None
) -> None:
    result = normalise_date(raw, language=language, timezone=timezone, fetched_at=FETCHED)
    assert (result.value is None) == (result.error is not None)
    assert result.error in {None, "empty", "unparseable", "future", "before-1995"}
    if result.value is not None:
        assert result.value.tzinfo is UTC
        assert utc("1995-01-01T00:00:00") <= result.value <= FETCHED + timedelta(days=1)
        assert result.rule != "none"


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1995, 1, 2),  # noqa: DTZ001 -- hypothesis bounds are naive
        max_value=datetime(2023, 11, 21),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, dates.zone_for(PARIS), dates.zone_for("-0930")]),
    ),
    separator=st.sampled_from(["T", " "]),
)
def test_iso_strings_with_offset_round_trip(moment: datetime, separator: str) -> None:
    raw = moment.isoformat(sep=separator)
    result = normalise_date(raw, language="fr", timezone=NY, fetched_at=FETCHED)
    assert result == DateResult(moment.astimezone(UTC), "iso-offset", None)


# --------------------------------------------------------------------------- resolve_item_dates


def _raw(text: str, where: str) -> dict[str, str]:
    return {"text": text, "where": where}


def test_resolve_item_dates_fills_both_dates_and_their_sources() -> None:
    item: dict[str, Any] = {
        "published_raw": _raw("2023-11-21T18:05:00+01:00", "meta:article:published_time"),
        "updated_raw": _raw("Mis à jour le 22/11/2023 à 10h15", "byline"),
    }
    errors = resolve_item_dates(item, language="fr", timezone=PARIS, fetched_at=FETCHED)
    assert errors == {}
    assert item["published_at"] == utc("2023-11-21T17:05:00")
    assert item["updated_at"] == utc("2023-11-22T09:15:00")
    assert item["date_source"] == {
        "published": "meta:article:published_time/iso-offset",
        "updated": "byline/text-local-tz",
    }


def test_resolve_item_dates_keeps_updated_before_published_as_read() -> None:
    item: dict[str, Any] = {
        "published_raw": _raw("22/11/2023 à 10h15", "byline"),
        "updated_raw": _raw("21/11/2023 à 08h00", "byline"),
    }
    errors = resolve_item_dates(item, language="fr", timezone=PARIS, fetched_at=FETCHED)
    assert errors == {}
    assert item["published_at"] == utc("2023-11-22T09:15:00")
    assert item["updated_at"] == utc("2023-11-21T07:00:00")


def test_resolve_item_dates_does_not_copy_updated_into_published() -> None:
    item: dict[str, Any] = {
        "published_raw": _raw("lundi", "byline"),
        "updated_raw": _raw("il y a 3 heures", "byline"),
    }
    errors = resolve_item_dates(item, language="fr", timezone=PARIS, fetched_at=FETCHED)
    assert errors == {"published": "unparseable"}
    assert item["published_at"] is None
    assert item["updated_at"] == utc("2023-11-22T12:00:00")
    assert item["date_source"] == {"published": None, "updated": "byline/relative"}


def test_resolve_item_dates_absent_strings_are_not_errors() -> None:
    item: dict[str, Any] = {"published_raw": None}
    errors = resolve_item_dates(item, language="fr", timezone=PARIS, fetched_at=FETCHED)
    assert errors == {}
    assert item["published_at"] is None
    assert item["updated_at"] is None
    assert item["date_source"] == {"published": None, "updated": None}


def test_resolve_item_dates_reports_each_kind_of_error() -> None:
    item: dict[str, Any] = {
        "published_raw": _raw("  ", "byline"),
        "updated_raw": _raw("2031-01-01T00:00:00Z", "jsonld"),
    }
    errors = resolve_item_dates(item, language="fr", timezone=PARIS, fetched_at=FETCHED)
    assert errors == {"published": "empty", "updated": "future"}
    assert item["published_at"] is None
    assert item["updated_at"] is None


def test_resolve_item_dates_tolerates_malformed_raw_fields() -> None:
    item: dict[str, Any] = {
        "published_raw": {"where": "jsonld"},  # no text at all: absent
        "updated_raw": {"text": 20231122, "where": "jsonld"},
    }
    errors = resolve_item_dates(item, language="fr", timezone=PARIS, fetched_at=FETCHED)
    assert errors == {"updated": "unparseable"}
    assert item["published_at"] is None
    assert item["date_source"] == {"published": None, "updated": None}


def test_resolve_item_dates_works_on_an_article_item() -> None:
    item = ArticleItem(published_raw=_raw("Publié le 21/11/2023 à 18h05", "byline"))
    errors = resolve_item_dates(item, language="fr", timezone=PARIS, fetched_at=FETCHED)
    assert errors == {}
    assert item["published_at"] == utc("2023-11-21T17:05:00")
    assert item["updated_at"] is None
    assert item["date_source"] == {"published": "byline/text-local-tz", "updated": None}
