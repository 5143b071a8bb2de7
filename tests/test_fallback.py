"""A site that changes its markup and URL scheme: the section is crawled with the `news`
heuristics, warned once with figures, flagged in the run record; `check-sites --json` reports the
entry's keys and proposes the pattern the new links follow.

The numerama fixture (tests/fixtures/sites/numerama/) is served from a copy whose articles move
from /tech/<id>-<slug>.html to dated /YYYY/MM/DD/<slug>/ URLs, with a new listing and article
markup, while the catalogue entry still expects the old scheme.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.catalogue.sites import load_catalogue
from crawler.cli.check_sites import check_site_keys, http_fetcher, run_key_checks
from tests.conftest import ROOT
from tests.sitefixtures import LocalSite

NEW_PATHS = ["/2023/11/22/openai-sam-altman-revient-a-la-tete-de-l-entreprise/",
             "/2023/11/21/la-sonde-juice-envoie-ses-premieres-images/",
             "/2023/11/20/la-sonde-juice-envoie-encore-des-images/"]
NOISE = ["/tag/openai/", "/mentions-legales/", "/newsletter/"]


def change_layout(site: LocalSite, root: Path) -> None:
    """Move the articles to a new URL scheme and give pages and listing a new markup."""
    old = [a["path"] for a in site.expected["articles"]]
    base = site.server.base_url
    sources = [old[0], old[1], old[1]]
    for n, (source, new) in enumerate(zip(sources, NEW_PATHS, strict=True)):
        page = (root / source.lstrip("/")).read_text(encoding="utf-8")
        page = page.replace(source, new).replace('<div class="post-content">',
                                                  '<div class="article__body-v2">')
        page = page.replace('<div class="post-title"><h1>', '<div class="headline"><h1>')
        if n == 2:
            page = page.replace("premières images", "nouvelles images")
        target = root / new.lstrip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
    cards = "".join(f'<a class="card__link" href="{base}{path}"><span>Article {n}</span></a>'
                    for n, path in enumerate(NEW_PATHS))
    noise = "".join(f'<a href="{base}{path}">{path}</a>' for path in NOISE)
    (root / "tech" / "index.html").write_text(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Tech</title></head>'
        f'<body><nav>{noise}</nav><section class="grid">{cards}</section></body></html>',
        encoding="utf-8")


@pytest.fixture
def changed_numerama(tmp_path: Path) -> Iterator[tuple[LocalSite, Path]]:
    site = LocalSite.start("numerama", tmp_path)
    change_layout(site, tmp_path / "numerama")
    sites_file = tmp_path / "changed_sites.toml"
    sites_file.write_text(site.toml, encoding="utf-8")
    yield site, sites_file
    site.server.stop()


@pytest.mark.slow
def test_changed_layout_is_crawled_with_heuristics_warned_once_and_recorded(
        changed_numerama, run_scrapy, database):
    site, sites_file = changed_numerama
    result = run_scrapy("crawl", "numerama", "-a", "sources=sections", "-a", "sections=tech",
                        env={"SITES_FILE": str(sites_file)})
    assert result.returncode == 0, result.stderr[-3000:]

    stored = sorted(re.sub(r"^https?://[^/]+", "", d["url"]) for d in database["articles"].find())
    assert stored == sorted(NEW_PATHS)
    warning = ("numerama/tech: catalogue patterns matched 0 of 3 article-like links; "
               "crawled with heuristics")
    assert result.stderr.count(warning) == 1, result.stderr[-3000:]
    assert "has no article link" not in result.stderr  # the fallback's warning replaces it
    served = [p.split("?")[0] for p in site.server.paths()]
    assert not any(p in served for p in NOISE[1:]), "a static page was crawled as an article"

    record = database["crawl_runs"].find_one({"spider": "numerama"})
    assert record["fallback_sections"] == {
        "tech": {"matched": 0, "article_like": 3, "links": 3, "articles": 3}}
    assert record["articles"]["new"] == 3


@pytest.mark.slow
def test_unchanged_site_is_not_crawled_with_heuristics(tmp_path, run_scrapy, database):
    site = LocalSite.start("numerama", tmp_path)
    try:
        sites_file = tmp_path / "numerama_sites.toml"
        sites_file.write_text(site.toml, encoding="utf-8")
        result = run_scrapy("crawl", "numerama", "-a", "sources=sections", "-a", "sections=tech",
                            env={"SITES_FILE": str(sites_file)})
    finally:
        site.server.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    assert "crawled with heuristics" not in result.stderr
    record = database["crawl_runs"].find_one({"spider": "numerama"})
    assert record["fallback_sections"] == {} and record["articles"]["new"] == 1


def test_check_sites_json_reports_keys_and_proposes_the_new_pattern(changed_numerama):
    _, sites_file = changed_numerama
    entry = load_catalogue([sites_file])["numerama"]
    keys = check_site_keys(entry, http_fetcher(timeout=5))
    assert keys["sections.tech"]["status"] == "works"
    assert keys["sections.sciences"]["status"] == "broken"  # the fixture has one section
    assert "HTTP 404" in keys["sections.sciences"]["detail"]
    patterns = keys["article_patterns"]
    assert patterns["status"] == "broken" and patterns["url"].endswith("/tech/")
    proposal = patterns["proposal"]
    assert proposal["matches"] == proposal["article_like"] == 3
    assert all(re.search(proposal["pattern"], path) for path in NEW_PATHS)
    assert keys["feeds[0]"]["status"] == "works"  # the feed still lists the old URLs
    assert keys["article"]["status"] == "works"

    out = io.StringIO()
    assert run_key_checks([entry], http_fetcher(timeout=5), out) == 1
    assert json.loads(out.getvalue())["numerama"]["article_patterns"]["proposal"] == proposal


def test_check_sites_json_command_on_an_unchanged_site(tmp_path):
    site = LocalSite.start("theverge", tmp_path)
    try:
        sites_file = tmp_path / "sites.toml"
        sites_file.write_text(site.toml, encoding="utf-8")
        proc = subprocess.run([sys.executable, "-m", "crawler.cli.main", "check-sites", "--json",
                               "theverge"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "SITES_FILE": str(sites_file)})
    finally:
        site.server.stop()
    report = json.loads(proc.stdout)["theverge"]
    assert report["sections.tech"]["status"] == "works"
    assert report["article_patterns"]["status"] == "works"
    assert report["feeds[0]"]["status"] == "works"
    assert report["sitemaps[0]"] == {"status": "works", "url": report["sitemaps[0]"]["url"],
                                     "detail": "names 2 sitemaps"}
    assert report["article"]["status"] == "works"
    # /science has no fixture page: broken, so the command says so in its exit code
    assert report["sections.science"]["status"] == "broken" and proc.returncode == 1
