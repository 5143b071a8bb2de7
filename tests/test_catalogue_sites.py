"""Every catalogue entry against its local fixture (tests/fixtures/sites/<key>/).

Each fixture's section page links the first article and its feed (or sitemap) lists the second,
so an entry passes only when its section page, link patterns, feed and sitemap chain all work and
the articles' title, date and body are extracted. One process crawls every entry, each against
its own server on 127.0.0.1 with the entry's hosts rewritten (tests/sitefixtures.py); no database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crawler.catalogue.sites import load_catalogue
from tests.conftest import ROOT
from tests.sitefixtures import SITES, LocalSite, catalogue_keys

pytestmark = pytest.mark.slow
KEYS = catalogue_keys()


@dataclass
class Crawl:
    sites: dict[str, LocalSite]
    items: dict[str, list[dict[str, Any]]]
    stats: dict[str, dict[str, Any]]
    stderr: str


def crawl(sites: dict[str, LocalSite], tmp: Path, *args: str) -> Crawl:
    sites_file = tmp / "sites.toml"
    sites_file.write_text("\n".join(s.toml for s in sites.values()), encoding="utf-8")
    out, stats = tmp / "items.jsonl", tmp / "stats.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "SITES_FILE": str(sites_file), "LOG_LEVEL": "INFO",
           "VAR_DIR": str(tmp / "var"), "ROBOTSTXT_OBEY": "true"}
    proc = subprocess.run([sys.executable, "-m", "tests.crawl_driver", str(out), str(stats),
                           *sites, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    items: dict[str, list[dict[str, Any]]] = {key: [] for key in sites}
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            items[item["source"]].append(item)
    return Crawl(sites, items, json.loads(stats.read_text()), proc.stderr)


@pytest.fixture(scope="module")
def all_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp("catalogue")
    sites = {key: LocalSite.start(key, tmp) for key in KEYS}
    try:
        yield crawl(sites, tmp)
    finally:
        for site in sites.values():
            site.server.stop()


def path_of(url: str) -> str:
    return "/" + url.split("//", 1)[1].split("/", 1)[1]


def test_every_catalogue_entry_has_a_fixture():
    assert sorted(p.name for p in SITES.iterdir() if p.is_dir()) == KEYS


@pytest.mark.parametrize("key", KEYS)
def test_entry_finds_both_articles_with_title_date_and_body(all_sites, key):
    site = all_sites.sites[key]
    expected = {a["path"]: a for a in site.expected["articles"]}
    stored = {path_of(item["url"]): item for item in all_sites.items[key]}
    assert sorted(stored) == sorted(expected), (key, all_sites.stats[key])
    for path, want in expected.items():
        got = stored[path]
        assert got["title"] == want["title"], path
        assert got["published_at"].replace("+00:00", "Z") == want["published_at"], path
        assert got["body"].startswith(want["body_starts"]), path
        assert len(got["body"]) > 400
    served = [p.split("?")[0] for p in site.server.paths()]
    assert site.expected["listing"] in served
    if site.expected["feed"]:
        assert site.expected["feed"] in served, "the feed was not read"
    for sitemap in site.expected["sitemaps"]:
        if "category" in sitemap or "taxonomies" in sitemap or "page-sitemap" in sitemap:
            assert sitemap not in served, "a taxonomy sitemap was downloaded"
    articles = [p for p in served if p in expected]
    assert len(articles) == len(set(articles)) == 2, "an article was downloaded twice"
    stats = all_sites.stats[key]
    if site.expected["feed"] or site.expected["sitemaps"]:  # Softonic has neither (no evidence)
        assert stats.get("discovery/scheduled/feed", 0) + stats.get("discovery/scheduled/sitemap",
                                                                      0) >= 1


@pytest.fixture
def two_sites(tmp_path: Path) -> Iterator[dict[str, LocalSite]]:
    sites = {key: LocalSite.start(key, tmp_path) for key in ("numerama", "theverge")}
    yield sites
    for site in sites.values():
        site.server.stop()


def test_window_skips_old_feed_and_sitemap_entries_before_download(two_sites, tmp_path):
    result = crawl(two_sites, tmp_path, "-a", "sources=feeds,sitemaps", "-a", "since=2023-11-22")
    for key, site in two_sites.items():
        newer, older = site.expected["articles"]
        assert [path_of(i["url"]) for i in result.items[key]] == [newer["path"]]
        served = [p.split("?")[0] for p in site.server.paths()]
        assert older["path"] not in served, "an article outside the window was downloaded"
        assert site.expected["listing"] not in served, "sections ran though not chosen"
        assert result.stats[key]["window/skipped_before_download"] >= 1


def test_window_applies_after_extraction_to_undated_section_links(two_sites, tmp_path):
    result = crawl(two_sites, tmp_path, "-a", "sources=sections", "-a", "until=2023-11-21")
    for key, site in two_sites.items():
        assert result.items[key] == []
        assert result.stats[key]["window/dropped_after_download"] == 1
        served = [p.split("?")[0] for p in site.server.paths()]
        assert site.expected["feed"] not in served


def test_catalogue_lists_every_issue_site():
    keys = set(load_catalogue())
    wanted = {"softonic_fr", "softonic_en", "softonic_es", "softonic_de", "softonic_it",
              "softonic_pt_br", "01net", "numerama", "frandroid", "clubic", "lesnumeriques",
              "journaldugeek", "presse_citron", "next_ink", "lemondeinformatique",
              "siecle_digital", "theverge", "arstechnica", "techcrunch", "engadget", "wired",
              "zdnet"}
    assert wanted <= keys
