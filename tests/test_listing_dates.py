"""Issue 23, item 3: a listing's own date for a link is a change signal. The site below has no
sitemap lastmod or feed to say an article changed (the crawl reads sections only): its listings'
teasers print the edit's date (`<time class="updated">`), and that alone gets the edit fetched.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import pytest

from crawler.devserver import StaticSite
from tests.conftest import ROOT, crawl_env
from tests.season import SeasonSite, crawl_news

pytestmark = pytest.mark.slow


def test_a_teasers_updated_date_gets_the_edited_article_fetched_again(tmp_path, mongo_uri,
                                                                      database_name, database):
    # the newest article two hours old: no age mark (1, 6, 24, 72 h) passes during the test
    season = SeasonSite(tmp_path / "site", start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
                        count=40, updated_teasers=True)
    season.write()
    env = crawl_env(mongo_uri, database_name, tmp_path)
    with StaticSite(season.root) as site:
        def run() -> Any:
            proc, cost = crawl_news(site, env, ROOT, "-a", "sources=sections",
                                    python=sys.executable)
            assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
            assert "sitemap.xml" not in {a.path for a in site.accesses()}
            return cost

        first = run()
        stored = database["articles"].count_documents({})
        assert stored >= 20 and first.article_downloads == stored
        assert run().article_downloads == 0  # the teasers' dates are older than our fetch

        edited = season.edit_newest(2, dt.datetime.now(dt.UTC))
        fetched = run()
        assert sorted(fetched.article_paths) == sorted(a.path for a in edited), fetched
        for article in edited:
            [document] = database["articles"].find({"url": {"$regex": f"{article.path}$"}})
            assert document["revision"] == 2
            assert document["body"].startswith("Mise à jour du "), document["body"][:80]
        assert database["articles"].count_documents({"revision": {"$gt": 1}}) == 2

        quiet = run()  # the same updated dates again: older than the fetch that stored them
        assert quiet.article_downloads == 0, quiet
