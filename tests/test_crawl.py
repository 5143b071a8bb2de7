"""End to end: the real spider and pipelines crawl the fixture site into a real database server."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import pytest

from tests.conftest import FIXTURES, _command_runner

EXPECTED = json.loads((FIXTURES / "demo_site" / "expected.json").read_text())
pytestmark = pytest.mark.slow


def stored(database: Any) -> dict[str, dict[str, Any]]:
    documents = list(database["articles"].find({}, {"_id": 0}))
    by_path = {}
    for document in documents:
        path = document["url"].split("127.0.0.1", 1)[1].split(":", 1)[1]
        by_path[path[path.index("/"):]] = document
    assert len(by_path) == len(documents), "two documents share a path"
    return by_path


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_crawl_stores_each_fixture_article_once_with_utc_dates(fixture_site, run_scrapy, database):
    result = run_scrapy("crawl", "fixture_fr", site=fixture_site)
    assert result.returncode == 0, result.stderr[-3000:]

    documents = stored(database)
    expected = {a["path"]: a for a in EXPECTED["articles"]}
    assert sorted(documents) == sorted(expected)
    for path, want in expected.items():
        got = documents[path]
        assert got["url"].endswith(path) and "utm_" not in got["url"]
        assert got["source"] == "fixture_fr"
        assert got["title"] == want["title"], path
        assert got["authors"] == want["authors"], path
        if path == EXPECTED["duplicate_links"]["path"]:  # linked from both sections
            assert got["crawl_section"] in ("actualites", "jeux")
        else:
            assert got["crawl_section"] == want["section"], path
        assert got["section"], path
        assert got["language"] == "fr"
        # a standfirst inside the article opens the body (issue 14c) and is also the subtitle
        with_standfirst = f"{want.get('subtitle')}\n\n{want['body_starts']}"
        assert got["body"].startswith((want["body_starts"], with_standfirst)), path
        assert got["body"].endswith(want["body_ends"]), path
        published = got["published_at"]
        assert isinstance(published, dt.datetime) and published.utcoffset() == dt.timedelta(0)
        if isinstance(want["published_at"], dict):
            hours = want["published_at"]["relative_hours"]
            expected_at = got["fetched_at"] - dt.timedelta(hours=hours)
            assert abs(published - expected_at) < dt.timedelta(minutes=2), path
        else:
            assert published == utc(want["published_at"]), path
        if want.get("updated_at"):
            assert got["updated_at"] == utc(want["updated_at"]), path
        assert got["first_seen_at"] <= got["last_seen_at"]
        assert got["run_id"]

    for path in EXPECTED["not_stored"]:
        assert path not in documents
    served = result.requests
    assert not any(p.startswith("/recherche") for p in served), "robots.txt was not obeyed"
    article_downloads = [p.split("?")[0].rstrip("/") for p in served if p.startswith("/articles/")]
    assert len(article_downloads) == len(set(article_downloads)), "an article was downloaded twice"


def test_second_crawl_adds_no_duplicate(fixture_site, run_scrapy, database):
    first = run_scrapy("crawl", "fixture_fr", site=fixture_site)
    assert first.returncode == 0, first.stderr[-3000:]
    count = database["articles"].count_documents({})
    first_seen = {d["url"]: d["first_seen_at"] for d in database["articles"].find()}

    second = run_scrapy("crawl", "fixture_fr", "-a", "full=1", site=fixture_site)
    assert second.returncode == 0, second.stderr[-3000:]
    assert database["articles"].count_documents({}) == count == len(EXPECTED["articles"])
    assert {d["url"]: d["first_seen_at"] for d in database["articles"].find()} == first_seen


def test_max_pages_and_sections_narrow_a_run(fixture_site, run_scrapy, database):
    result = run_scrapy("crawl", "fixture_fr", "-a", "max_pages=1", "-a", "sections=jeux",
                        site=fixture_site)
    assert result.returncode == 0, result.stderr[-3000:]
    listings = [p for p in result.requests if not p.startswith(("/articles/", "/robots.txt"))]
    assert listings == ["/jeux/"]
    sections = {d["crawl_section"] for d in database["articles"].find()}
    assert sections == {"jeux"}


def test_output_feed_still_works(fixture_site, run_scrapy, database, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run_scrapy("crawl", "fixture_fr", "-O", str(out), site=fixture_site)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == len(EXPECTED["articles"])
    assert all(line["published_at"] for line in lines)


def test_unreachable_database_stops_the_run_with_one_clear_line(run_scrapy, fixture_site):
    result = run_scrapy("crawl", "fixture_fr", site=fixture_site,
                        env={"MONGO_URI": "mongodb://reader:s3cret@127.0.0.1:9/",
                             "MONGO_TIMEOUT_MS": "300"})
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("newscrawl: cannot reach MongoDB at mongodb://reader:***@127.0.0.1:9/")
    assert "s3cret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert result.requests == []


def test_unknown_section_argument_is_refused(run_scrapy, fixture_site):
    result = run_scrapy("crawl", "fixture_fr", "-a", "sections=nope", site=fixture_site)
    assert result.returncode != 0
    assert "no known section" in result.stderr


def test_scrapy_list_shows_catalogue_spiders(run_scrapy):
    result = run_scrapy("list")
    assert result.returncode == 0
    names = result.stdout.split()
    assert {"softonic_fr", "fixture_fr", "news"} <= set(names)


# Runs a command with every MongoClient counted; the count is the last line on stderr.
_COUNTING = """
import atexit, sys
import pymongo.mongo_client
made = []
_init = pymongo.mongo_client.MongoClient.__init__
def _counted(self, *args, **kwargs):
    made.append(1)
    _init(self, *args, **kwargs)
pymongo.mongo_client.MongoClient.__init__ = _counted
atexit.register(lambda: print("MongoClient instances:", len(made), file=sys.stderr))
if sys.argv[1] == "scrapy":
    from scrapy.cmdline import execute
    execute(sys.argv[1:])
from crawler.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("command", [("scrapy", "crawl", "fixture_fr"),
                                     ("newscrawl", "crawl", "fixture_fr")])
def test_a_crawl_process_opens_one_database_client(fixture_site, mongo_uri, database_name, database,
                                                  tmp_path, command):
    run = _command_runner([sys.executable, "-c", _COUNTING], mongo_uri, database_name, tmp_path)
    result = run(*command, site=fixture_site)
    assert result.returncode == 0, result.stderr[-3000:]
    assert database["articles"].count_documents({}) > 0
    assert database["crawl_runs"].count_documents({}) == 1
    assert result.stderr.strip().splitlines()[-1] == "MongoClient instances: 1"
