"""Issue 23, item 3: a listing's own date for a link is a change signal. The site below has no
sitemap lastmod or feed to say an article changed (the crawl reads sections only): its listings'
teasers print the edit's date (`<time class="updated">`), and that alone gets the edit fetched.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crawler.devserver import StaticSite
from tests.conftest import FIXTURES, ROOT, crawl_env
from tests.season import SeasonSite, crawl_news

pytestmark = pytest.mark.slow
EXPECTED = json.loads((FIXTURES / "demo_site" / "expected.json").read_text())


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


def test_a_catalogue_sites_section_card_with_an_updated_time_gets_the_edit_fetched(
        site_copy, run_scrapy, database):
    """The same with a catalogue spider (the demo site's section page, `SectionPage`): a card's
    `<time class="updated">`, in the site's zone, is the only signal of an edited article."""
    site, root = site_copy
    slug = "openai-devoile-gpt-4-turbo-et-baisse-ses-prix"
    first = run_scrapy("crawl", "fixture_fr", "-a", "sources=sections", site=site)
    assert first.returncode == 0, first.stderr[-2000:]
    [before] = database["articles"].find({"url": {"$regex": f"/articles/{slug}$"}})

    page = root / "articles" / slug / "index.html"
    [start] = [a["body_starts"] for a in EXPECTED["articles"] if a["path"].endswith(slug)]
    assert start in page.read_text()
    page.write_text(page.read_text().replace(start, "Correction : " + start, 1))
    listing = root / "actualites" / "index.html"
    meta = '#comments">23 commentaires</a>'
    html = listing.read_text()
    assert html.count(meta) == 1
    # local time, no offset: read in the site's zone (Europe/Paris), a minute from now in UTC
    local = (dt.datetime.now(ZoneInfo("Europe/Paris")) + dt.timedelta(minutes=1)).replace(
        tzinfo=None)
    listing.write_text(html.replace(meta, meta + f' · <time class="updated" datetime="'
                                    f'{local:%Y-%m-%dT%H:%M:%S}">mis à jour</time>', 1))

    second = run_scrapy("crawl", "fixture_fr", "-a", "sources=sections", site=site)
    assert second.returncode == 0, second.stderr[-2000:]
    assert [p for p in second.requests if p.startswith("/articles/")] == [f"/articles/{slug}"]
    [after] = database["articles"].find({"url": {"$regex": f"/articles/{slug}$"}})
    assert after["revision"] == before["revision"] + 1
    assert "Correction : " in after["body"] and "Correction : " not in before["body"]

    third = run_scrapy("crawl", "fixture_fr", "-a", "sources=sections", site=site)
    assert third.returncode == 0, third.stderr[-2000:]
    assert [p for p in third.requests if p.startswith("/articles/")] == []
