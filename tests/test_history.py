"""The record over time (issue 22): every superseded version kept, `newscrawl history`,
`newscrawl migrate`, the publisher's local time beside the UTC dates."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from crawler.pipelines.validate import storable
from crawler.storage.articles import ArticleStore
from crawler.storage.documents import SCHEMA_VERSION
from crawler.storage.revisions import RevisionStore
from tests.conftest import FIXTURES

URL = "https://news.example/articles/a"
T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
BODY = "First paragraph.\n\nSecond paragraph, as first written.\n\nThird paragraph."


def article(**fields: Any) -> dict[str, Any]:
    base = {"url": URL, "source": "example", "title": "Old title", "body": BODY,
            "authors": ["Ann"], "language": "en", "fetched_at": T0,
            "published_at": T0 - dt.timedelta(hours=2),
            "published_local": "2026-12-01T07:00:00+01:00",
            "published_raw": {"text": "2026-12-01T07:00:00+01:00", "where": "meta"}}
    return storable({**base, **fields})


def stores(database: Any, cap: int = 20) -> tuple[ArticleStore, RevisionStore]:
    revisions = RevisionStore(database, max_per_article=cap)
    revisions.ensure_indexes()
    return ArticleStore(database, revisions=revisions), revisions


def write(store: ArticleStore, hours: int, **fields: Any) -> Any:
    now = T0 + dt.timedelta(hours=hours)
    return store.upsert_many([article(fetched_at=now, **fields)], run_id=f"run{hours}", now=now)


# --- the store ----------------------------------------------------------------------------------

def test_a_changed_article_keeps_its_superseded_version_and_an_unchanged_one_adds_none(database):
    store, revisions = stores(database)
    write(store, 0)
    write(store, 1)  # same content
    assert revisions.count() == 0

    result = write(store, 2, title="New title",
                   body=BODY.replace("as first written", "corrected"),
                   updated_at=T0 + dt.timedelta(hours=2))

    assert result.updated == 1
    current = database["articles"].find_one({"_id": URL})
    assert current["title"] == "New title" and current["revision"] == 2
    # every other article was fetched again unchanged, the one dated "il y a 3 heures" included
    # (its date, read again later, names a later instant): no revision for them
    [old] = database["article_revisions"].find({})
    assert old["_id"] == f"{URL}#1" and old["revision"] == 1
    assert old["title"] == "Old title" and old["body"] == BODY
    assert old["published_local"] == "2026-12-01T07:00:00+01:00"
    assert old["changed_fields"] == ["title", "body"]
    assert old["silent_edit"] is False  # the page declared a new update date
    assert old["declared_updated_at"] is None  # ... and the first version declared none
    assert old["fetched_at"] == T0  # downloaded first, then seen unchanged at 1h
    assert old["last_seen_at"] == T0 + dt.timedelta(hours=1)
    assert old["superseded_at"] == T0 + dt.timedelta(hours=2)
    write(store, 3, title="New title", body=BODY.replace("as first written", "corrected"),
          updated_at=T0 + dt.timedelta(hours=2))  # unchanged again
    assert revisions.count() == 1


def test_a_change_without_a_new_update_date_is_a_silent_edit(database):
    store, _ = stores(database)
    write(store, 0, updated_at=T0)
    write(store, 1, updated_at=T0, body=BODY + "\n\nA quietly added paragraph.")
    write(store, 2, body=BODY)  # no update date at all

    kept = list(database["article_revisions"].find({}, sort=[("revision", 1)]))
    assert [(r["revision"], r["silent_edit"], r["changed_fields"]) for r in kept] == [
        (1, True, ["body"]), (2, True, ["body"])]


def test_a_relative_date_read_again_later_is_no_change_and_keeps_its_first_reading(database):
    store, revisions = stores(database)
    relative = {"date_source": {"published": "html:date-class/relative", "updated": None},
                "published_raw": {"text": "il y a 3 heures", "where": "html:date-class"}}
    write(store, 0, **relative, published_at=T0 - dt.timedelta(hours=3))
    write(store, 2, **relative, published_at=T0 - dt.timedelta(hours=1))  # same page, 2 h later
    assert revisions.count() == 0

    write(store, 48, **relative, published_at=T0 - dt.timedelta(days=1), title="New title")

    current = database["articles"].find_one({"_id": URL})
    assert current["title"] == "New title" and current["revision"] == 2
    assert current["published_at"] == T0 - dt.timedelta(hours=3)
    [old] = revisions.history(URL)
    assert old["changed_fields"] == ["title"]


def test_revisions_are_capped_per_article_oldest_dropped_first(database):
    store, revisions = stores(database, cap=2)
    for n in range(5):
        write(store, n, title=f"Title {n}")

    assert [r["revision"] for r in revisions.history(URL)] == [3, 4]
    assert database["articles"].find_one({"_id": URL})["revision"] == 5
    assert [r["title"] for r in revisions.history(URL)] == ["Title 2", "Title 3"]


def test_a_retried_batch_writes_each_revision_once(database):
    store, revisions = stores(database)
    write(store, 0)
    # the batch is written again after a failure between the revision and the article write
    database["articles"].update_one({"_id": URL}, {"$set": {"content_hash": "stale"}})
    write(store, 1, title="New title")
    database["articles"].update_one({"_id": URL}, {"$set": {"revision": 1}})
    write(store, 1, title="Newer title")
    assert revisions.count() == 1


# --- newscrawl history -------------------------------------------------------------------------

@pytest.fixture
def edited(database: Any) -> Any:
    store, _ = stores(database)
    write(store, 0)
    write(store, 5, title="New title", body=BODY.replace("as first written", "corrected"),
          authors=["Ann", "Bob"])
    return database


def test_history_prints_the_old_and_new_title_and_the_changed_paragraph(edited, run_newscrawl):
    result = run_newscrawl("history", URL)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"{URL}: 2 version(s)"
    assert "revision 1 (superseded 2026-12-01T13:00:00Z" in result.stdout
    assert "    - Old title\n    + New title\n" in result.stdout
    assert "  authors:\n    - Ann\n    + Ann, Bob\n" in result.stdout
    assert ("  body, paragraph 2:\n    - Second paragraph, as first written.\n"
            "    + Second paragraph, corrected.\n") in result.stdout
    assert "First paragraph" not in result.stdout  # unchanged paragraphs are not repeated
    assert "revision 2 (current" in result.stdout


def test_history_json_lists_versions_oldest_first_with_their_changes(edited, run_newscrawl):
    result = run_newscrawl("history", "--json", URL)

    assert result.returncode == 0, result.stderr
    history = json.loads(result.stdout)
    assert [v["revision"] for v in history["versions"]] == [1, 2]
    assert [v["current"] for v in history["versions"]] == [False, True]
    assert history["versions"][1]["changes"]["title"] == {"from": "Old title", "to": "New title"}
    assert history["versions"][1]["changes"]["body"] == [{
        "at": 2, "removed": ["Second paragraph, as first written."],
        "added": ["Second paragraph, corrected."]}]
    assert history["versions"][1]["changed_fields"] == ["title", "authors", "body"]
    assert history["versions"][1]["silent_edit"] is True  # no update date on the page
    assert history["versions"][0]["changed_fields"] == []
    assert history["missing_revisions"] == []


def test_history_of_an_unknown_url_is_one_line_and_exit_code_3(edited, run_newscrawl):
    result = run_newscrawl("history", "https://news.example/never-stored")

    assert result.returncode == 3
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "newscrawl history: no article stored under https://news.example/never-stored"]


def test_history_says_which_revisions_are_gone_when_the_collection_was_emptied(
        edited, run_newscrawl):
    edited["article_revisions"].delete_many({})

    result = run_newscrawl("history", URL)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "revisions 1 are not kept" in result.stdout
    assert result.stdout.splitlines()[0] == f"{URL}: 1 version(s)"


# --- newscrawl migrate -------------------------------------------------------------------------

def test_migrate_fills_the_local_dates_of_older_documents_once(database, run_newscrawl):
    store, _ = stores(database)
    write(store, 0)
    paris = "https://news.example/articles/paris"
    store.upsert_many([article(
        url=paris, source="fixture_fr", published_at=dt.datetime(2023, 11, 21, 17, 5, tzinfo=dt.UTC),
        published_raw={"text": "Publié le 21/11/2023 à 18h05", "where": "text:label"},
        date_source={"published": "text:label/text-local-tz", "updated": None})],
        run_id="r", now=T0)
    database["articles"].update_many({}, {"$set": {"schema_version": 2},
                                          "$unset": {"published_local": "", "updated_local": ""}})

    first = run_newscrawl("migrate")
    second = run_newscrawl("migrate")

    assert first.returncode == 0, first.stderr
    version = f"schema_version {SCHEMA_VERSION}"
    assert first.stdout.strip() == f"migrated 2 articles to {version} (0 already at it)"
    assert second.stdout.strip() == f"migrated 0 articles to {version} (2 already at it)"
    docs = {d["url"]: d for d in database["articles"].find({})}
    assert docs[URL]["published_local"] == "2026-12-01T07:00:00+01:00"  # the raw string's offset
    assert docs[paris]["published_local"] == "2023-11-21T18:05:00+01:00"  # fixture_fr: Europe/Paris
    assert docs[paris]["updated_local"] is None
    assert {d["schema_version"] for d in docs.values()} == {SCHEMA_VERSION}


# --- newscrawl extract --manifest keeps the ids -------------------------------------------------

def test_extract_manifest_lines_carry_the_entry_id(run_newscrawl, tmp_path):
    demo = Path(__file__).resolve().parent.parent / "crawler" / "demo_site"
    expected = json.loads((FIXTURES / "demo_site" / "expected.json").read_text())["articles"][:2]
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text("".join(json.dumps({
        "file": str(demo / a["path"].strip("/") / "index.html"),
        "url": "https://www.techactu.example" + a["path"], "id": f"page-{n}"}) + "\n"
        for n, a in enumerate(expected)))

    result = run_newscrawl("extract", "--manifest", str(manifest))

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["id"] for d in lines] == ["page-0", "page-1"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", d["published_local"])
               for d in lines if d["published_at"])


# --- end to end: an article edited on the site between two crawls ----------------------------

EDITED = "free-lance-sa-nouvelle-freebox-ultra"
OLD_TITLE = "Free lance sa nouvelle Freebox Ultra avec le Wi-Fi 7"
NEW_TITLE = "Freebox Ultra : Free corrige son prix"


def edit_on_disk(root: Path) -> None:
    """The publisher corrects the title, one paragraph, and says when (article:modified_time)."""
    page = root / "articles" / EDITED / "index.html"
    html = page.read_text()
    assert OLD_TITLE in html and "facturé 49,99 euros" in html
    html = html.replace(OLD_TITLE, NEW_TITLE).replace("facturé 49,99 euros", "facturé 39,99 euros")
    html = html.replace('<meta property="og:title"', '<meta property="article:modified_time" '
                        'content="2023-11-22T09:30:00+01:00">\n<meta property="og:title"', 1)
    page.write_text(html)


@pytest.mark.slow
def test_an_article_edited_on_the_site_keeps_its_old_version_and_history_shows_the_change(
        site_copy, run_scrapy, run_newscrawl, database):
    site, root = site_copy
    first = run_scrapy("crawl", "fixture_fr", site=site)
    assert first.returncode == 0, first.stderr[-2000:]
    stored = {d["url"]: d for d in database["articles"].find({})}
    url = next(u for u in stored if u.endswith(f"/articles/{EDITED}"))
    assert stored[url]["published_local"] == "2023-11-21T18:05:00+01:00"  # "Publié le ... 18h05"
    assert stored[url]["published_at"] == dt.datetime(2023, 11, 21, 17, 5, tzinfo=dt.UTC)
    edit_on_disk(root)

    second = run_scrapy("crawl", "fixture_fr", "-a", "full=1", site=site)

    assert second.returncode == 0, second.stderr[-2000:]
    assert f"/articles/{EDITED}" in second.requests
    current = database["articles"].find_one({"_id": url})
    assert current["title"] == NEW_TITLE and current["revision"] == 2
    assert current["updated_local"] == "2023-11-22T09:30:00+01:00"
    # every other article was fetched again unchanged: no revision for them
    # every other article was fetched again unchanged, the one dated "il y a 3 heures" included
    # (its date, read again later, names a later instant): no revision for them
    [old] = database["article_revisions"].find({})
    assert old["url"] == url and old["revision"] == 1 and old["title"] == OLD_TITLE
    assert "facturé 49,99 euros" in old["body"]
    assert old["changed_fields"] == ["title", "body"] and old["silent_edit"] is False
    assert old["superseded_by_run"] == current["run_id"]

    shown = run_newscrawl("history", url)

    assert shown.returncode == 0, shown.stderr
    assert f"    - {OLD_TITLE}\n    + {NEW_TITLE}\n" in shown.stdout
    assert re.search(r"    - .*facturé 49,99 euros.*\n    \+ .*facturé 39,99 euros", shown.stdout)


# --- the publisher's local time ----------------------------------------------------------------

@pytest.mark.parametrize(("raw", "timezone", "local"), [
    ("2024-05-16T11:26:10+02:00", None, "2024-05-16T11:26:10+02:00"),  # the page's own offset
    ("2024-05-16T09:26:10Z", "America/New_York", "2024-05-16T05:26:10-04:00"),  # the site's zone
    ("16/05/2024 à 11h26", "Europe/Paris", "2024-05-16T11:26:00+02:00"),
    ("Thu, 16 May 2024 11:26:10 +0200", "Asia/Tokyo", "2024-05-16T11:26:10+02:00"),
    ("2024-05-16", "Europe/Paris", "2024-05-16T00:00:00"),  # a day, not an instant
])
def test_resolved_dates_keep_the_publishers_offset(raw, timezone, local):
    from crawler.dates.normalise import resolve_item_dates

    item = {"published_raw": {"text": raw, "where": "meta"}, "updated_raw": None}
    resolve_item_dates(item, language="fr", timezone=timezone, fetched_at=T0)

    assert item["published_local"] == local
    if local[-6] in "+-":
        assert dt.datetime.fromisoformat(local) == item["published_at"]
    assert item["updated_local"] is None


def test_a_date_without_offset_on_a_site_without_time_zone_is_said_once(monkeypatch, caplog):
    from crawler.dates import local as local_module
    from crawler.dates.normalise import resolve_item_dates

    monkeypatch.setattr(local_module, "_told_no_zone", False)
    for n in range(3):
        item = {"url": f"https://example.com/{n}", "source": "example.com",
                "published_raw": {"text": "2024-05-16 11:26", "where": "meta"}}
        resolve_item_dates(item, language="en", timezone=None, fetched_at=T0)
        assert item["published_local"] == "2024-05-16T11:26:00+00:00"

    said = [r for r in caplog.records if "no time zone" in r.getMessage()]
    assert len(said) == 1 and "example.com" in said[0].getMessage()
    assert said[0].exc_info is None


# --- settings and failures -----------------------------------------------------------------------

def test_the_crawls_revision_store_follows_the_settings(database, mongo_uri):
    from scrapy.utils.test import get_crawler

    from crawler.extensions.database import DatabaseOwner

    crawler = get_crawler(settings_dict={
        "MONGO_URI": mongo_uri, "MONGO_DATABASE": database.name,
        "ADDONS": {"crawler.addon.NewscrawlAddon": 0},
        "EXTENSIONS": {"crawler.extensions.database.DatabaseOwner": 0},
        "MONGO_REVISIONS_COLLECTION": "history_of_articles", "REVISIONS_MAX_PER_ARTICLE": "1"})
    owner = crawler.get_extension(DatabaseOwner)
    try:
        assert owner.articles.revisions is owner.revisions
        for n in range(3):
            write(owner.articles, n, title=f"Title {n}")
        assert [r["title"] for r in database["history_of_articles"].find({})] == ["Title 1"]
        keys = [i["key"] for i in database["history_of_articles"].index_information().values()]
        assert [("url", 1), ("revision", 1)] in keys
    finally:
        owner.engine_stopped()


@pytest.mark.parametrize("command", [("history", URL), ("migrate",)])
def test_history_and_migrate_without_a_database_say_so_in_one_line(run_newscrawl, command):
    closed = {"MONGO_URI": "mongodb://127.0.0.1:9/", "MONGO_TIMEOUT_MS": "300"}

    result = run_newscrawl(*command, env=closed)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"newscrawl {command[0]}: cannot reach MongoDB at")
