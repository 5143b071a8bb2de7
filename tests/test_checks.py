"""`newscrawl sites` and `newscrawl check-sites` against the local per-site fixtures."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.catalogue.sites import load_catalogue
from crawler.cli.check_sites import check_site, http_fetcher, run_checks
from crawler.devserver import StaticSite
from tests.conftest import ROOT
from tests.sitefixtures import LocalSite

CHECKED = ("numerama", "theverge", "softonic_fr", "wired")


@pytest.fixture
def local_catalogue(tmp_path: Path) -> Iterator[tuple[dict[str, LocalSite], Path]]:
    sites = {key: LocalSite.start(key, tmp_path) for key in CHECKED}
    sites_file = tmp_path / "sites.toml"
    sites_file.write_text("\n".join(s.toml for s in sites.values()), encoding="utf-8")
    yield sites, sites_file
    for site in sites.values():
        site.server.stop()


def test_check_sites_reports_links_feed_fields_and_date(local_catalogue):
    _, sites_file = local_catalogue
    catalogue = load_catalogue([sites_file])
    out = io.StringIO()
    code = run_checks([catalogue[k] for k in CHECKED], http_fetcher(timeout=5), out)
    assert code == 0, out.getvalue()
    report = check_site(catalogue["numerama"], http_fetcher(timeout=5))
    assert report.listing_links == 1 and report.feed_entries == 2 and report.feed_dated == 2
    assert {"title", "body", "published_raw"} <= set(report.fields)
    assert report.date == "2023-11-22 08:12"
    assert report.next_page  # the listing links /tech/page/2/ without a "next" label
    softonic = check_site(catalogue["softonic_fr"], http_fetcher(timeout=5))
    # Softonic's robots.txt names no sitemap and its home page declares no feed: the section
    # page is the only source, and it lists both articles
    assert softonic.listing_links == 2 and softonic.feed_url == "" and softonic.fields
    assert "no next-page link found" in " ".join(softonic.problems)  # the fixture has one page
    table = out.getvalue()
    for key in CHECKED:
        assert key in table


def test_check_sites_exits_non_zero_when_a_site_yields_nothing(local_catalogue, tmp_path):
    sites, sites_file = local_catalogue
    empty = tmp_path / "empty"
    empty.mkdir()
    with StaticSite(empty) as server:
        broken = sites_file.read_text().replace(sites["numerama"].server.base_url, server.base_url)
        sites_file.write_text(broken)
        site = load_catalogue([sites_file])["numerama"]
        out = io.StringIO()
        assert run_checks([site], http_fetcher(timeout=5), out) == 1
    assert "NOTHING" in out.getvalue() and "HTTP 404" in out.getvalue()


def test_sites_command_lists_every_site_and_check_sites_refuses_unknown_keys(local_catalogue):
    _, sites_file = local_catalogue
    env = {**os.environ, "SITES_FILE": str(sites_file)}
    listed = subprocess.run([sys.executable, "-m", "crawler.cli.main", "sites"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["key", "name", "language", "time", "zone", "sources", "from"]
    for key in load_catalogue():
        assert any(line.startswith(key + " ") for line in lines), key
    assert "feeds,sections,sitemaps" in listed.stdout
    unknown = subprocess.run([sys.executable, "-m", "crawler.cli.main", "check-sites", "nope"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "unknown site(s) nope" in unknown.stderr
