"""Crash recovery from the archive (issue 24): a page a killed run archived but never stored is
read from the archive by the next run, not downloaded again.

Three SIGKILLs of crawls of the generated 200-article site at seeded random moments, with 16
requests in flight, then a run to the end: the site's access log says how often each article
page was downloaded.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from crawler.archive.reader import ArchivedPage, read_archive
from crawler.devserver import StaticSite
from tests.conftest import free_port
from tests.sitegen import generate
from tests.test_journal import (
    ARTICLES,
    article_downloads,
    assert_complete,
    gen_env,
    held_by_journals,
    kill_at_random,
    path_of,
    start_run,
    stored,
)

IN_FLIGHT = 16
KILLS = 3


def archived(directory: Path) -> set[str]:
    """The article pages the archive holds (paths)."""
    return {path_of(page.url) for page in read_archive(sorted(directory.glob("*.warc.gz")))
            if isinstance(page, ArchivedPage) and page.fields.get("Kind") == "article"}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [24, 2424])
def test_three_kills_then_a_full_run_download_again_at_most_the_requests_in_flight(
        tmp_path_factory, mongo_uri, mongo_client, seed):
    root = tmp_path_factory.mktemp("gen200recovery")
    articles = {a.path for a in generate(root, count=ARTICLES)}
    work = tmp_path_factory.mktemp("work")
    rng = random.Random(seed)
    name = f"newscrawl_test_recovery_{free_port()}"
    database = mongo_client[name]
    with StaticSite(root, delay=0.03) as site:
        env = gen_env(mongo_uri, name, work, site, CONCURRENT_REQUESTS=str(IN_FLIGHT),
                      CONCURRENT_REQUESTS_PER_DOMAIN=str(IN_FLIGHT))
        try:
            kills = 0
            pending: list[tuple[int, set[str]]] = []  # after each kill: archived, not stored
            for number in range(KILLS):
                run = start_run(env, work / f"killed{number}.log")
                kills += kill_at_random(run, site, len(site.paths()), articles, rng, 60)
                done = set(stored(database)) | held_by_journals(work / "var" / "journal")
                pending.append((len(site.paths()), archived(work / "var" / "archive") - done))
            assert kills == KILLS
            last = start_run(env, work / "last.log")
            stdout, _ = last.communicate(timeout=180)
            assert last.returncode == 0, stdout + (work / "last.log").read_text()[-3000:]
            downloads = Counter(article_downloads(site, 0, articles))
            again = sum(count - 1 for count in downloads.values())
            assert set(downloads) == articles
            assert again <= IN_FLIGHT * KILLS, f"{again} article pages downloaded again"
            for since, archived_only in pending:  # read from the archive, never downloaded again
                assert not set(article_downloads(site, since, articles)) & archived_only
            assert_complete(database, articles)
            assert database["crawl_runs"].count_documents({"status": "running"}) == 0
            recovered = "read from the archive instead of downloaded"
            logs = "".join((work / f"{log}.log").read_text()
                           for log in ("killed1", "killed2", "last"))
            assert recovered in logs  # the archive did the work, not luck
            # every dead writer was recovered from: its marker is gone, its files stay
            assert not list((work / "var" / "archive").glob("*.open"))
            assert len(list((work / "var" / "archive").glob("*.warc.gz"))) == KILLS + 1
        finally:
            mongo_client.drop_database(name)
