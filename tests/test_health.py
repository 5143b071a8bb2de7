"""Data health over a season of cron runs (issue 26): a generated site grows twice, then a
redesign shows no author anywhere; the third run's record, its summary line and `newscrawl stats
--health` name the authors drift with its figures, the first two runs report none, and a run with
fewer than HEALTH_MIN_ARTICLES new articles judges nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html as lxml_html

from bench import sitegen
from crawler.devserver import StaticSite
from tests.browser import distinct_colours, render

SITE = "techactu"


def write_catalogue(path: Path, base_url: str) -> Path:
    sections = ", ".join(f'"{s}" = "{base_url}/{s}/"' for s in sitegen.SECTIONS)
    path.write_text(f"""\
[sites.{SITE}]
name = "TechActu <script>alert(1)</script>"
domains = ["127.0.0.1"]
language = "fr"
timezone = "Europe/Paris"
sections = {{ {sections} }}
article_patterns = ['^/articles/[\\w-]+/?$']
section_patterns = ['^/(?:{"|".join(sitegen.SECTIONS)})/$']
exclude_patterns = ['/page/\\d+']
next_page_patterns = ['/page/\\d+/?$']
max_pages = 50
""", encoding="utf-8")
    return path


@pytest.fixture
def season(tmp_path: Path, run_newscrawl) -> Iterator[tuple[Path, object]]:
    """A generated site of 15 articles and a `crawl` that runs `newscrawl crawl` against it."""
    root = tmp_path / "site"
    sitegen.generate(root, articles=15, seed=26)
    with StaticSite(root) as server:
        catalogue = write_catalogue(tmp_path / "season.toml", server.base_url)

        def crawl(*args: str):
            return run_newscrawl(*args, env={"SITES_FILE": str(catalogue)}, timeout=240)

        yield root, crawl


def records(database) -> list[dict]:
    return list(database["crawl_runs"].find({"spider": SITE}, {"_id": 0}).sort("started_at", 1))


@pytest.mark.slow
def test_a_redesign_without_bylines_is_reported_as_authors_drift(season, database):
    root, crawl = season
    first = crawl("crawl", SITE)
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    sitegen.add_articles(root, count=12)
    second = crawl("crawl", SITE)
    assert second.returncode == 0, second.stderr[-3000:]
    sitegen.add_articles(root, count=20, redesign=True)
    third = crawl("crawl", SITE)
    assert third.returncode == 0, third.stderr[-3000:]
    sitegen.add_articles(root, count=4, redesign=True)
    fourth = crawl("crawl", SITE)
    assert fourth.returncode == 0, fourth.stderr[-3000:]

    runs = records(database)
    assert [r["articles"]["new"] for r in runs] == [15, 12, 20, 4]
    assert [r["status"] for r in runs] == ["ok"] * 4
    # the first two runs were judged and found nothing; the fourth had too few articles to judge
    assert runs[0]["drift"] == [] and runs[1]["drift"] == []
    assert runs[3]["drift"] is None
    assert runs[1]["health"]["fields"]["authors"]["trusted_share"] == 1.0
    assert runs[1]["health"]["fields"]["authors"]["methods"] == {"jsonld": 12}

    health = runs[2]["health"]
    assert health["articles"] == 20
    assert health["fields"]["title"]["share"] == 1.0  # the rest of the page is as before
    drift = runs[2]["drift"]
    assert [(d["field"], d["baseline"], d["baseline_runs"], d["articles"]) for d in drift] == [
        ("authors", 1.0, 2, 20)]
    trusted = health["fields"]["authors"]["trusted_share"]
    assert drift[0]["value"] == trusted and trusted < 0.6
    assert "jsonld" not in health["fields"]["authors"]["methods"]

    # the summary line and the log say it, with both figures; the earlier runs said nothing
    line = next(ln for ln in third.stdout.splitlines() if ln.startswith(f"{SITE}: ok"))
    expected = (f"DRIFT: authors found by a trusted method in {trusted:.0%} of 20 new articles "
                f"(baseline 100% over 2 runs)")
    assert expected in line, third.stdout
    # under cron (no terminal): the site's line, the log's path, the verdict; nothing on stderr
    assert len(third.stdout.splitlines()) == 3 and third.stderr == "", third.stdout + third.stderr
    assert "DRIFT" not in first.stdout + second.stdout + fourth.stdout
    log = third.stdout + third.stderr + "".join(
        p.read_text() for p in (Path(third_log) for third_log in _log_files(third.stdout)))
    assert re.search(rf"WARNING: data drift in {SITE}: authors found by a trusted method", log)

    # `newscrawl stats --health` names it; --fail-on-drift exits 3
    table = crawl("stats", "--health")
    assert table.returncode == 0, table.stderr
    assert "authors" in table.stdout and "DRIFT" in table.stdout, table.stdout
    as_json = crawl("stats", "--health", "--json")
    source = next(s for s in json.loads(as_json.stdout)["sources"] if s["source"] == SITE)
    assert [d["field"] for d in source["drift"]] == ["authors"]
    assert source["baseline"]["runs"] == 2
    failing = crawl("stats", "--health", "--fail-on-drift")
    assert failing.returncode == 3, failing.stdout + failing.stderr

    # the report of that database, in a real browser: the site's charts, the drift marked
    page = root.parent / "report.html"
    written = crawl("report", "-o", str(page))
    assert written.returncode == 0, written.stderr
    dom, shot = render(page, root.parent / "browser")
    tree = lxml_html.document_fromstring(dom)
    section = tree.xpath(f"//section[@id='source-{SITE}']")[0]
    assert len(section.xpath(".//svg[@class='chart']")) == 3
    assert len(section.xpath(".//rect[@class='drift']")) == 1
    bars = section.xpath(".//svg[@class='chart'][1]/rect[title]")
    assert sum(int(b.findtext("title").split(": ")[1].split()[0]) for b in bars) == 51
    assert "DRIFT: authors found by a trusted method" in section.text_content()
    assert distinct_colours(shot) > 20


def _log_files(stdout: str) -> list[str]:
    """The log files `newscrawl crawl` names on its last lines."""
    return re.findall(r"^log: (\S+)$", stdout, flags=re.MULTILINE)
