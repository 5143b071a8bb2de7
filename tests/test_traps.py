"""The `news` spider on a generated site with parameter traps (issue 13), end to end.

Every article links copies of itself (comment replies, share, print, AMP, an unknown
parameter), each declaring rel=canonical to the clean URL; the site has home, section, tag,
author and /page/N listings. Asserted from what a user sees: the documents in the database, the
lines the crawl prints, and the server's own request log.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.devserver import StaticSite
from tests.sitegen import generate

pytestmark = pytest.mark.slow

ARTICLES = 90


@pytest.fixture(scope="module")
def trap_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StaticSite, list[Any]]]:
    root = tmp_path_factory.mktemp("trapsite")
    articles = generate(root, count=ARTICLES, traps=True)
    with StaticSite(root) as site:
        yield site, articles


@pytest.fixture(scope="module")
def crawl(trap_site, tmp_path_factory, mongo_uri) -> Iterator[dict[str, Any]]:
    """One first crawl of the trap site into an empty database, shared by the tests below."""
    import subprocess
    import sys
    import uuid

    from crawler.storage import connect, drop_database
    from tests.conftest import ROOT, crawl_env

    site, articles = trap_site
    site.clear_log()
    name = f"newscrawl_test_{uuid.uuid4().hex[:10]}"
    tmp = tmp_path_factory.mktemp("trapcrawl")
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"url={site.base_url}/",
         "-a", "max_pages=3000", "-a", "sources=sections"],
        cwd=ROOT, env=crawl_env(mongo_uri, name, tmp), capture_output=True, text=True,
        timeout=300)
    database = connect(mongo_uri, name)
    try:
        yield {"proc": proc, "documents": list(database["articles"].find({}, {"url": 1})),
               "requests": site.paths(), "articles": articles}
    finally:
        drop_database(database)
        database.client.close()  # left to the garbage collector, it warns (an error here)


def test_trap_crawl_stores_every_article_once_and_no_listing(crawl):
    assert crawl["proc"].returncode == 0, crawl["proc"].stderr[-3000:]
    expected = {a.path for a in crawl["articles"]}

    stored = [urlsplit(d["url"]).path for d in crawl["documents"]]

    assert len(stored) == len(set(stored))
    assert set(stored) - expected == set(), "a listing, AMP or parameter copy was stored"
    assert len(set(stored)) >= 0.95 * len(expected)


def test_expected_drops_are_quiet_and_listings_never_reach_the_pipeline(crawl):
    # Duplicates are logged at DEBUG and counted; a listing page that reached the pipeline would
    # show as a WARNING "Dropped: no body" (the validator's), so no "Dropped:" line at all.
    stderr = crawl["proc"].stderr

    warnings = [line for line in stderr.splitlines() if " WARNING: Dropped:" in line]

    assert re.search(r"'dedupe/dropped/duplicate': [1-9]", stderr), "the traps made no duplicate"
    assert warnings == []


def _article_downloads(crawl: dict[str, Any]) -> float:
    expected = {a.path for a in crawl["articles"]}
    # every copy (parameters, AMP) is a download of the article's page
    downloads = Counter(urlsplit(p).path.removesuffix("amp/") for p in crawl["requests"])
    return sum(downloads[p] for p in expected) / len(expected)


def test_copies_are_downloaded_only_while_their_parameter_is_learnt(crawl, capsys):
    ratio = _article_downloads(crawl)
    copies = round((ratio - 1) * len(crawl["articles"]))
    linked = sum(1 for p in crawl["requests"] if "?" in p or p.endswith("/amp/"))
    with capsys.disabled():
        print(f"\ntrap site: {ratio:.2f} article-page downloads per article ({copies} copies)")

    # 5 traps (replytocom, nb, print, src_ctx, /amp) x 3 pages each, plus the AMP links met
    # before the first AMP page was read; the site links about 7 copies of each of 90 articles
    assert copies <= 30, (copies, linked)
    for name in ("replytocom", "nb", "print", "src_ctx", "/amp"):
        assert f"learnt: parameter '{name}' is irrelevant" in crawl["proc"].stderr
