"""Back-off on 429/503: how long a host waits (unit), and that the wait stops nobody else (crawls).

The crawl tests compare the same sites crawled beside a site (or host) that answers 429 with a
Retry-After on every page and without it; they assert ratios and orders on the fixture servers' request logs,
never absolute times. The 30-second case of issue 16 is bench/bench_retry_after.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from crawler.middlewares.retry import backoff_seconds, retry_after_seconds
from tests.conftest import DEMO_CATALOGUE, DEMO_SITE
from tests.faulty_site import FaultySite

NOW = dt.datetime(2026, 11, 30, 21, 0, tzinfo=dt.UTC)


# --- the delay decision -------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "expected"), [
    (b"3", (3.0, True)),
    (b" 30 ", (30.0, True)),
    ("Mon, 30 Nov 2026 21:00:45 GMT", (45.0, True)),
    (b"Mon, 30 Nov 2026 20:59:00 GMT", (0.0, True)),  # a date already past: go at once
    (b"0", (0.0, True)),
    (b"86400", (120.0, True)),  # capped by RETRY_AFTER_MAX
    (None, (2.0, False)),  # no header: the exponential default
    (b"", (2.0, False)),
    (b"-5", (2.0, False)),  # not delta-seconds, not a date: ignored
    (b"in a minute", (2.0, False)),
])
def test_retry_after_header_decides_the_wait_else_the_default(header, expected):
    assert backoff_seconds(header, retries_so_far=0, base=2.0, cap=120.0, now=NOW) == expected


def test_default_back_off_doubles_per_retry_and_stops_at_the_cap():
    waits = [backoff_seconds(None, retries_so_far=n, base=1.5, cap=20.0, now=NOW)[0] for n in range(6)]
    assert waits == [1.5, 3.0, 6.0, 12.0, 20.0, 20.0]
    # a request retried absurdly often (max_retry_times in meta) does not overflow
    assert backoff_seconds(None, retries_so_far=10_000, base=2.0, cap=60.0, now=NOW) == (60.0, False)


def test_retry_after_seconds_reads_a_date_without_zone_as_utc():
    assert retry_after_seconds("Mon, 30 Nov 2026 21:01:00", now=NOW) == 60.0


# --- crawls -------------------------------------------------------------------------------------

FAST_SITES = ("fast_a", "fast_b")
CRAWL_ENV = {
    # the same concurrency per site whether two or three sites share the process
    "CONCURRENT_REQUESTS": "12", "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
    "INCREMENTAL_ENABLED": "false",
}


def write_catalogue(path: Path, bases: dict[str, str]) -> Path:
    """One fixture-site entry per name, each on its own server."""
    entry = DEMO_CATALOGUE.read_text()
    path.write_text("\n".join(entry.replace("fixture_fr", name).replace("BASE_URL", base)
                              for name, base in bases.items()))
    return path


def span(site: FaultySite) -> float:
    """Seconds from the first request the site received to the last."""
    times = [when for when, _ in site.log]
    return max(times) - min(times)


@pytest.fixture
def servers() -> Iterator[Any]:
    with ExitStack() as stack:
        def start(**kwargs: Any) -> FaultySite:
            return stack.enter_context(FaultySite(DEMO_SITE, **kwargs))
        yield start


@pytest.mark.slow
@pytest.mark.parametrize("retry_after", [3])
def test_a_site_answering_429_with_retry_after_does_not_slow_the_other_sites(
        run_newscrawl, database, servers, tmp_path, retry_after):
    # The baseline: the two fast sites (0.3 s per answer, so that a crawl lasts a few seconds)
    # beside a third site as cheap to crawl as the 429 one, without back-off (404 everywhere). A
    # third crawler in the process costs the others up to ~1.4x on its own (bench/bench_retry_after.py,
    # "beside a 404 site"); that is the runner's cost, not the back-off's.
    baseline = {name: servers(delay=0.3) for name in FAST_SITES}
    catalogue = write_catalogue(tmp_path / "baseline.toml", {
        **{n: s.base_url for n, s in baseline.items()}, "other": servers(default="status:404").base_url})
    result = run_newscrawl("crawl", *FAST_SITES, "other",
                           env={**CRAWL_ENV, "SITES_FILE": str(catalogue)})
    assert all(f"{name}: ok" in result.stdout for name in FAST_SITES), result.stdout

    # The same with a site that answers every request with 429 and Retry-After
    mixed = {name: servers(delay=0.3) for name in FAST_SITES}
    slow = servers(default=f"status:429:retry-after={retry_after}")
    catalogue = write_catalogue(tmp_path / "mixed.toml",
                                {**{n: s.base_url for n, s in mixed.items()}, "slow": slow.base_url})
    result = run_newscrawl("crawl", "-v", *FAST_SITES, "slow",
                           env={**CRAWL_ENV, "SITES_FILE": str(catalogue)}, timeout=180)
    lines = result.stdout.splitlines()
    assert all(any(line.startswith(f"{name}: ok") for line in lines) for name in FAST_SITES), lines
    assert any(line.startswith("slow: ") for line in lines), lines

    for name in FAST_SITES:
        # the fast sites did the same work, in about the time it takes them without the 429 site
        assert sorted(mixed[name].paths()) == sorted(baseline[name].paths())
        assert span(mixed[name]) <= 1.5 * span(baseline[name]), (
            f"{name}: {span(mixed[name]):.2f} s beside the 429 site, "
            f"{span(baseline[name]):.2f} s beside a 404 site")
        # and finished while the slow site was still waiting
        assert max(when for when, _ in mixed[name].log) < max(when for when, _ in slow.log)

    # The slow site's wait is honoured: each page is tried RETRY_TIMES + 1 times, Retry-After apart,
    # and between two bursts of requests the whole site is left alone for Retry-After.
    tried: dict[str, list[float]] = {}
    for when, path in slow.log:
        tried.setdefault(path.split("?")[0], []).append(when)
    assert "/robots.txt" in tried and len(tried) >= 3  # robots.txt, then the two section pages
    for path, times in tried.items():
        assert len(times) == 3, (path, times)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= retry_after - 0.05, f"{path} retried after {gaps} s"
    every = sorted(when for when, _ in slow.log)
    gaps = [b - a for a, b in itertools.pairwise(every)]
    assert all(gap < 1.0 or gap >= retry_after - 0.05 for gap in gaps), gaps
    assert f"retry/retry_after/count': {2 * len(tried)}" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("retry_after", [3])
def test_a_host_backing_off_holds_no_slot_of_its_sites_other_host(
        run_newscrawl, database, servers, tmp_path, retry_after):
    # One site, one request at a time, sections on two hosts (127.0.0.1 and localhost); the
    # localhost one answers every page but robots.txt with 429 and Retry-After.
    env = {"CONCURRENT_REQUESTS": "1", "INCREMENTAL_ENABLED": "false"}

    def catalogue(name: str, sections: str) -> str:
        entry = DEMO_CATALOGUE.read_text().replace(
            'domains = ["127.0.0.1"]', 'domains = ["127.0.0.1", "localhost"]')
        path = tmp_path / name
        path.write_text(re.sub(r"(?m)^sections = .*$", f"sections = {{ {sections} }}", entry))
        return str(path)

    alone = servers(delay=0.2)
    sites_file = catalogue("alone.toml", f'actualites = "{alone.base_url}/actualites/"')
    result = run_newscrawl("crawl", "fixture_fr", env={**env, "SITES_FILE": sites_file})
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]

    fast = servers(delay=0.2)
    slow = servers(script={"/robots.txt": ["ok"]}, default=f"status:429:retry-after={retry_after}")
    slow_base = slow.base_url.replace("127.0.0.1", "localhost")
    sites_file = catalogue("two_hosts.toml",
                           f'actualites = "{fast.base_url}/actualites/", jeux = "{slow_base}/jeux/"')
    result = run_newscrawl("crawl", "-v", "fixture_fr", env={**env, "SITES_FILE": sites_file},
                           timeout=180)
    assert "fixture_fr: " in result.stdout, result.stdout + result.stderr[-2000:]

    # The 127.0.0.1 host did the same work in about the same time: the waits of its sibling host
    # (2 x Retry-After) took none of the site's one download slot.
    assert sorted(fast.paths()) == sorted(alone.paths())
    assert span(fast) <= 1.5 * span(alone), (
        f"{span(fast):.2f} s beside the 429 host, {span(alone):.2f} s alone")
    jeux = slow.times("/jeux/")
    assert len(jeux) == 3 and min(b - a for a, b in itertools.pairwise(jeux)) >= retry_after - 0.05, jeux
    assert max(when for when, _ in fast.log) < jeux[-1]
    assert "retry/parked': 2" in result.stderr


@pytest.mark.slow
def test_429_and_503_without_retry_after_back_off_exponentially_then_the_article_is_stored(
        run_scrapy, database, servers):
    ps5 = "/articles/la-ps5-slim-arrive-en-france-a-549-euros"
    steam = "/articles/steam-deck-oled-ce-qui-change-vraiment"
    site = servers(script={ps5: ["status:429", "status:429", "ok"], steam: ["status:503", "ok"]})
    result = run_scrapy("crawl", "fixture_fr", site=site, env={"RETRY_BACKOFF_SECONDS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    first, second, third = site.times(ps5)
    assert second - first >= 0.95 and third - second >= 1.95, (first, second, third)  # 1 s, then 2 s
    first, second = site.times(steam)
    assert second - first >= 0.95
    stored = {d["url"].split("/", 3)[3] for d in database["articles"].find({}, {"url": 1})}
    assert {ps5.lstrip("/"), steam.lstrip("/")} <= stored
    assert "'retry/backoff/count': 3" in result.stderr and "retry/retry_after" not in result.stderr
