"""Crawls of a generated site with parameter traps (issue 13), end to end.

Every article links copies of itself (comment replies, share, print, AMP, an unknown
parameter), each declaring rel=canonical to the clean URL; every listing has a "most read" box
with an unknown parameter; the site has home, section, tag, author and /page/N listings.
Asserted from what a user sees: the documents in the database, the lines the crawl prints, and
the server's own request log. Learning needs PARAMS_MIN_PAGES (3) pages per trap; what was
learnt is kept in the database, so the next crawler (another run, another site of the host, a
catalogue spider, a worker) downloads no copy at all.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.devserver import StaticSite
from tests.conftest import ROOT, crawl_env
from tests.sitegen import SECTIONS, generate

pytestmark = pytest.mark.slow

ARTICLES = 90
TRAPS = ("replytocom", "nb", "print", "src_ctx", "/amp")
# A catalogue-style entry whose article patterns are not anchored at the end: every copy of an
# article (`?replytocom=`, `/amp/`, the listings' `?src_ctx=`) matches them too.
CATALOGUE = """\
[sites.trap_site]
name = "GenNews (trap site)"
domains = ["127.0.0.1"]
language = "fr"
timezone = "Europe/Paris"
sections = {{ {sections} }}
article_patterns = ['^/\\d{{4}}/\\d\\d/\\d\\d/[\\w-]+/', '^/(?:{names})/\\d{{6}}-[\\w-]+[.]html',
                    '^/articles/[\\w-]+/']
section_patterns = ['^/(?:{names})/$']
next_page_patterns = ['/page/\\d+/?$']
max_pages = 100
max_articles = 100000
{extra}
"""


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, StaticSite]]:
    """Two trap sites of the same host (different articles), served for the whole module."""
    with StaticSite(_generated(tmp_path_factory, 7)) as first, \
            StaticSite(_generated(tmp_path_factory, 8)) as second:
        yield {7: first, 8: second}


def _generated(tmp_path_factory: pytest.TempPathFactory, seed: int) -> Path:
    root = tmp_path_factory.mktemp(f"trapsite{seed}")
    articles = generate(root, count=ARTICLES, seed=seed, traps=True)
    (root / ".articles").write_text("\n".join(a.path for a in articles))
    return root


def _articles(site: StaticSite) -> set[str]:
    return set((Path(site.root) / ".articles").read_text().split("\n"))


@pytest.fixture(scope="module")
def run(tmp_path_factory, mongo_uri, mongo_client) -> Iterator[Callable[..., dict[str, Any]]]:
    """Crawl a site into a named database; what the crawl left: exit, log, documents, requests."""
    names: set[str] = set()

    def crawl(site: StaticSite, database: str, *, spider: str = "news",
              catalogue_extra: str | None = None) -> dict[str, Any]:
        names.add(database)
        tmp = tmp_path_factory.mktemp("trapcrawl")
        extra = {}
        if catalogue_extra is not None:
            sections = ", ".join(f'{s} = "{site.base_url}/{s}/"' for s in SECTIONS)
            sites_file = tmp / "trap_sites.toml"
            sites_file.write_text(CATALOGUE.format(sections=sections, names="|".join(SECTIONS),
                                                   extra=catalogue_extra))
            extra["SITES_FILE"] = str(sites_file)
        args = (["-a", f"url={site.base_url}/", "-a", "max_pages=3000", "-a", "sources=sections"]
                if spider == "news" else [])
        site.clear_log()
        proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", spider, *args], cwd=ROOT,
                              env=crawl_env(mongo_uri, database, tmp, extra=extra),
                              capture_output=True, text=True, timeout=300)
        return {"proc": proc, "requests": site.paths(), "articles": _articles(site),
                "documents": [urlsplit(d["url"]).path
                              for d in mongo_client[database]["articles"].find({}, {"url": 1})]}

    yield crawl
    for name in names:
        mongo_client.drop_database(name)


def _copies(crawl: dict[str, Any]) -> Counter[str]:
    """Downloads of an article's copies (not its clean URL), by trap."""
    kinds: Counter[str] = Counter()
    for request in crawl["requests"]:
        parts = urlsplit(request)
        if parts.path.removesuffix("amp/") not in crawl["articles"]:
            continue
        if parts.path.endswith("/amp/"):
            kinds["/amp"] += 1
        elif parts.query:
            kinds[parts.query.split("=", 1)[0]] += 1
    return kinds


def _clean_downloads(crawl: dict[str, Any]) -> Counter[str]:
    return Counter(urlsplit(r).path for r in crawl["requests"]
                   if urlsplit(r).path in crawl["articles"] and not urlsplit(r).query)


# --------------------------------------------------------------------------- news spider


@pytest.fixture(scope="module")
def news_database() -> str:
    return f"newscrawl_test_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def crawl(sites, run, news_database) -> dict[str, Any]:
    """The first crawl of a trap site into an empty database."""
    return run(sites[7], news_database)


@pytest.fixture(scope="module")
def next_crawl(crawl, sites, run, news_database) -> dict[str, Any]:
    """After `crawl`, another site of the same host into the same database."""
    return run(sites[8], news_database)


def test_trap_crawl_stores_every_article_once_and_no_listing(crawl):
    assert crawl["proc"].returncode == 0, crawl["proc"].stderr[-3000:]

    stored = crawl["documents"]

    assert len(stored) == len(set(stored))
    assert set(stored) - crawl["articles"] == set(), "a listing, AMP or parameter copy was stored"
    assert len(set(stored)) >= 0.95 * len(crawl["articles"])


def test_expected_drops_are_quiet_and_listings_never_reach_the_pipeline(crawl):
    # Duplicates are logged at DEBUG and counted; a listing page that reached the pipeline would
    # show as a WARNING "Dropped: no body" (the validator's), so no "Dropped:" line at all.
    stderr = crawl["proc"].stderr

    warnings = [line for line in stderr.splitlines() if " WARNING: Dropped:" in line]

    assert warnings == []


def test_copies_are_downloaded_only_while_their_parameter_is_learnt(crawl, capsys):
    copies = _copies(crawl)
    clean = _clean_downloads(crawl)
    with capsys.disabled():
        print(f"\ntrap site, news spider: {sum(clean.values()) + sum(copies.values())} article-page "
              f"downloads for {len(crawl['articles'])} articles; copies {dict(copies)}")

    # 3 pages of each of the 5 traps teach it; the site links 7 to 9 copies of each of 90
    # articles. An AMP copy counts from its first link (the page's own /amp/), not from the
    # first AMP page read, and an AMP page teaches although it is no article to the classifier.
    assert all(count == 1 for count in clean.values()), clean.most_common(3)
    assert set(copies) <= set(TRAPS) and all(copies[name] <= 3 for name in TRAPS), copies
    for name in TRAPS:
        assert f"learnt: parameter '{name}' is irrelevant" in crawl["proc"].stderr


def test_learnt_parameters_are_stored_with_their_evidence(crawl, mongo_client, news_database):
    documents = {d["param"]: d for d in mongo_client[news_database]["url_params"].find()}

    assert set(TRAPS) <= set(documents)
    assert all(documents[name]["learnt_at"] is not None for name in TRAPS)
    assert all(documents[name]["dropped_count"] >= 3 and documents[name]["kept_count"] == 0
               for name in TRAPS)


def test_next_crawler_starts_with_what_was_learnt_and_downloads_no_copy(next_crawl):
    assert next_crawl["proc"].returncode == 0, next_crawl["proc"].stderr[-3000:]

    assert _copies(next_crawl) == Counter()
    assert "started with 5 learnt URL parameters from the database" in next_crawl["proc"].stderr
    assert len(set(next_crawl["documents"]) & next_crawl["articles"]) >= 0.95 * ARTICLES


def test_sites_params_lists_what_the_crawls_learnt(crawl, mongo_uri, news_database, tmp_path):
    env = crawl_env(mongo_uri, news_database, tmp_path)

    proc = subprocess.run([sys.executable, "-m", "crawler.cli.main", "sites", "--params"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)

    assert proc.returncode == 0, proc.stderr
    rows = {tuple(line.split()[:3]) for line in proc.stdout.splitlines()}
    assert {("127.0.0.1", name, "learnt") for name in TRAPS} <= rows
    assert re.search(r"^5 learnt parameter\(s\) on 1 host\(s\)$", proc.stdout, re.M), proc.stdout


# --------------------------------------------------------------------------- catalogue spider


def test_catalogue_spider_is_protected_like_the_news_spider(sites, run, capsys):
    site = sites[7]

    crawl = run(site, f"newscrawl_test_{uuid.uuid4().hex[:10]}", spider="trap_site",
                catalogue_extra="")

    assert crawl["proc"].returncode == 0, crawl["proc"].stderr[-3000:]
    copies, clean = _copies(crawl), _clean_downloads(crawl)
    with capsys.disabled():
        print(f"\ntrap site, catalogue spider: {sum(clean.values()) + sum(copies.values())} "
              f"article-page downloads for {len(crawl['articles'])} articles; copies {dict(copies)}")
    assert set(crawl["documents"]) == crawl["articles"]  # every article, nothing else
    assert len(crawl["documents"]) == len(crawl["articles"])
    assert all(count == 1 for count in clean.values()), clean.most_common(3)
    # the listings link `?src_ctx=plus-lus` copies: three pages teach it, no other is fetched
    assert set(copies) == {"src_ctx"} and copies["src_ctx"] <= 3, copies
    assert "learnt: parameter 'src_ctx' is irrelevant" in crawl["proc"].stderr


def test_catalogue_overrides_what_is_learnt(sites, run):
    site = sites[8]

    dropped = run(site, f"newscrawl_test_{uuid.uuid4().hex[:10]}", spider="trap_site",
                  catalogue_extra='drop_params = ["src_ctx"]')
    kept = run(site, f"newscrawl_test_{uuid.uuid4().hex[:10]}", spider="trap_site",
               catalogue_extra='keep_params = ["src_ctx"]')

    assert dropped["proc"].returncode == 0 and kept["proc"].returncode == 0
    assert _copies(dropped) == Counter()  # stripped from the first link, nothing to learn
    # kept: every linked copy is a page of its own, downloaded (and dropped as a duplicate)
    assert _copies(kept)["src_ctx"] == 6, _copies(kept)
    assert "learnt: parameter" not in kept["proc"].stderr
    assert set(kept["documents"]) == set(dropped["documents"]) == kept["articles"]


def test_news_spider_applies_the_catalogue_overrides_of_its_host(sites, run):
    # The catalogue entry of the crawled host says: `src_ctx` is always noise, `nb` never is.
    crawl = run(sites[8], f"newscrawl_test_{uuid.uuid4().hex[:10]}", spider="news",
                catalogue_extra='drop_params = ["src_ctx"]\nkeep_params = ["nb"]')

    assert crawl["proc"].returncode == 0, crawl["proc"].stderr[-3000:]
    copies = _copies(crawl)
    assert copies["src_ctx"] == 0, copies  # stripped from the first link, nothing to learn
    # `?share=twitter&nb=1` is `?nb=1` once the fixed list dropped `share`: a page of its own,
    # for every article whose links the crawl follows, and never learnt away
    assert copies["nb"] > 3, copies
    assert "learnt: parameter 'src_ctx'" not in crawl["proc"].stderr
    assert "learnt: parameter 'nb'" not in crawl["proc"].stderr
    assert set(crawl["documents"]) <= crawl["articles"]
