"""Median cost of `normalise_date` per call, warm: `python bench/bench_dates.py`.

Targets: ISO string under 20 µs, labelled French text under 500 µs. The text case is timed
both through the cache (the same string again, as when a section page repeats dates) and
uncached (a fresh string each call), the case that matters for a crawl of distinct articles.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Imported after the path tweak so that the script runs from any directory.
from crawler.dates import normalise as dates

FETCHED_AT = datetime(2023, 11, 22, 15, 0, tzinfo=UTC)
ROUNDS = 2000


def median_us(call: Callable[[int], object], rounds: int = ROUNDS) -> float:
    for i in range(50):  # warm caches, regexes and dateparser's locale data
        call(i)
    timings = []
    for i in range(rounds):
        start = time.perf_counter_ns()
        call(i)
        timings.append(time.perf_counter_ns() - start)
    return statistics.median(timings) / 1000


def paris(raw: str, language: str = "fr", *, cached: bool = True) -> object:
    if not cached:
        dates._parse_absolute.cache_clear()
    return dates.normalise_date(
        raw, language=language, timezone="Europe/Paris", fetched_at=FETCHED_AT
    )


def main() -> None:
    cases: list[tuple[str, Callable[[int], object]]] = [
        ("ISO 8601 with offset", lambda i: paris("2023-11-22T10:15:00+01:00")),
        ("ISO 8601 naive (site zone)", lambda i: paris("2023-11-22T10:15:00")),
        ("RFC 2822", lambda i: paris("Wed, 22 Nov 2023 10:15:00 +0100")),
        ("labelled French, cached", lambda i: paris("Publié le 21/11/2023 à 18h05")),
        (
            "labelled French, uncached",
            lambda i: paris("Publié le 21/11/2023 à 18h05", cached=False),
        ),
        (
            "French month name, uncached",
            lambda i: paris("Mise à jour : 22 novembre 2023 à 10h15", cached=False),
        ),
        ("French relative (never cached)", lambda i: paris("hier à 14h")),
        ("English relative", lambda i: paris("Updated 5 min ago", "en")),
        (
            "dateparser fallback (es), uncached",
            lambda i: paris("22 de noviembre de 2023", "es", cached=False),
        ),
        ("unparseable (all paths)", lambda i: paris("n'importe quoi", cached=False)),
    ]
    for label, call in cases:
        rounds = 300 if "dateparser" in label or "unparseable" in label else ROUNDS
        print(f"{label:38} {median_us(call, rounds):9.1f} µs")


if __name__ == "__main__":
    main()
