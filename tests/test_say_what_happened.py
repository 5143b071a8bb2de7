"""A crawl says what happened: a network failure names its cause once per site, with no
traceback below DEBUG; `scrapy crawl` ends with the same summary line as `newscrawl crawl`; a
`news` crawl is one row of `newscrawl stats`. No real site: a closed port on 127.0.0.1 and an
`.invalid` host (RFC 2606: never resolves)."""

from __future__ import annotations

import json
import socket

import pytest

from tests.conftest import DEMO_CATALOGUE


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def catalogue_at(tmp_path, base_url: str) -> dict[str, str]:
    """SITES_FILE with the demo entry pointing at `base_url`; no retries, short timeouts."""
    path = tmp_path / "unreachable.toml"
    host = base_url.split("//", 1)[1].split(":")[0]
    path.write_text(DEMO_CATALOGUE.read_text(encoding="utf-8").replace("BASE_URL", base_url)
                    .replace('domains = ["127.0.0.1"]', f'domains = ["{host}"]'), encoding="utf-8")
    return {"SITES_FILE": str(path), "RETRY_TIMES": "0", "DOWNLOAD_TIMEOUT": "5",
            "ROBOTSTXT_OBEY": "false"}


@pytest.mark.parametrize(("base", "cause"), [
    ("closed", "connection refused"),
    ("http://news.newscrawl-test.invalid", "DNS lookup failed"),
], ids=["refused", "dns"])
def test_newscrawl_crawl_names_the_network_cause_in_one_line_per_site(run_newscrawl, tmp_path,
                                                                       base, cause):
    base_url = f"http://127.0.0.1:{closed_port()}" if base == "closed" else base
    result = run_newscrawl("crawl", "-v", "fixture_fr", env=catalogue_at(tmp_path, base_url),
                           timeout=90)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    [site_line] = [line for line in result.stdout.splitlines() if line.startswith("fixture_fr:")]
    assert site_line.startswith(f"fixture_fr: failed (no response received: {cause}")
    assert result.stdout.splitlines()[-1].startswith(f"FAILED: fixture_fr: no response received: {cause}")
    warnings = [line for line in result.stderr.splitlines()
                if "[crawler.middlewares.network] WARNING" in line]
    assert len(warnings) == 1 and cause in warnings[0]  # once, however many requests failed
    assert "[scrapy.core.scraper] ERROR" not in result.stderr  # per-URL lines are DEBUG now


def test_per_url_network_lines_and_their_tracebacks_stay_at_debug(run_scrapy, tmp_path):
    env = {**catalogue_at(tmp_path, f"http://127.0.0.1:{closed_port()}"), "LOG_LEVEL": "DEBUG"}
    result = run_scrapy("crawl", "fixture_fr", env=env, timeout=90)
    assert result.returncode == 1
    assert "[scrapy.core.scraper] DEBUG: Error downloading" in result.stderr
    assert "Traceback" in result.stderr  # for whoever asked for DEBUG


@pytest.mark.slow
def test_scrapy_crawl_of_a_news_site_ends_with_a_summary_and_is_one_stats_row(
        run_scrapy, run_newscrawl, fixture_site):
    result = run_scrapy("crawl", "news", "-a", f"url={fixture_site.base_url}/", "-a", "max_pages=20",
                        site=fixture_site)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = [line for line in result.stderr.splitlines() if line.startswith("news: ok in ")]
    assert len(summary) == 1 and " new, " in summary[0], result.stderr[-2000:]
    stats = run_newscrawl("stats", "--json")
    assert stats.returncode == 0, stats.stderr
    rows = json.loads(stats.stdout)["sources"]
    assert [row["source"] for row in rows] == ["127.0.0.1"]
    assert rows[0]["total"] > 0 and rows[0]["last_run"]["status"] == "ok", rows
