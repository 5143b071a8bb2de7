"""Nothing lost when killed (issue 16): the write-ahead journal, and run records that tell the truth.

The journal's own rules first (files on disk, a real database), then end-to-end crawls of a
generated 200-article site killed with SIGKILL at seeded random moments, with and without the
database, and stopped with two SIGINT or SIGTERM. Each asks what a user would notice: is every
article the killed run had accepted in the database, once; was any of them downloaded again
(the server's access log); what does the run record say; what did the runner print.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.devserver import StaticSite
from crawler.extensions.runs import judge_run, run_process_gone, summarise_stats
from crawler.storage.articles import ArticleStore
from crawler.storage.connection import connect
from crawler.storage.deadletters import replay_dead_journals
from crawler.storage.documents import content_hash
from crawler.storage.embedded import EmbeddedServer
from crawler.storage.journal import Journal, claim_dead_journals, is_live, read_journal
from tests.conftest import ROOT, crawl_env, free_port
from tests.sitegen import generate


def document(n: int, body: str = "Texte.") -> dict[str, Any]:
    url = f"https://h.fr/{n}"
    doc = {"url": url, "fetched_url": url, "title": f"Titre {n}", "body": body, "source": "h",
           "language": "fr", "fetched_at": dt.datetime.now(dt.UTC)}
    return {**doc, "content_hash": content_hash(doc)}


# --- the journal's rules ------------------------------------------------------------------------

def test_acknowledged_entries_leave_the_journal_and_a_clean_close_deletes_it(tmp_path):
    journal = Journal.create(tmp_path, spider="s", run_id="r1")
    for n in range(3):
        journal.append(document(n))
    assert [d["url"] for _, d in read_journal(journal.path).entries] == [
        "https://h.fr/0", "https://h.fr/1", "https://h.fr/2"]
    journal.acknowledge(1, 2)
    assert [d["url"] for _, d in read_journal(journal.path).entries] == ["https://h.fr/2"]
    journal.acknowledge(3, 3)
    assert read_journal(journal.path).entries == []
    assert journal.path.stat().st_size < 300  # truncated back to its header
    assert journal.close() is False and not journal.path.exists()


def test_a_failed_batch_stays_pending_while_later_ones_are_acknowledged(tmp_path):
    journal = Journal.create(tmp_path, spider="s", run_id="r1")
    for n in range(4):
        journal.append(document(n))
    journal.acknowledge(3, 4)  # the first batch (1-2) was not written
    assert journal.close() is True  # kept for the next run
    contents = read_journal(journal.path)
    assert contents.run_id == "r1"
    assert [d["url"] for _, d in contents.entries] == ["https://h.fr/0", "https://h.fr/1"]


def test_only_the_journals_of_dead_runs_are_claimed(tmp_path):
    live = Journal.create(tmp_path, spider="s", run_id="live")
    live.append(document(1))
    assert is_live(live.path)
    assert list(claim_dead_journals(tmp_path, "s")) == []  # its owner holds the lock
    live.close()  # kept: entry 1 is pending; the lock is free now, as after a kill
    assert not is_live(live.path)
    other = Journal.create(tmp_path, spider="other", run_id="x")
    other.append(document(2))
    other.close()
    claimed = list(claim_dead_journals(tmp_path, "s"))
    assert [j.path for j in claimed] == [live.path]
    assert list(claim_dead_journals(tmp_path, "s")) == []  # locked by the claim in hand
    for journal in claimed:
        journal.release()


def test_a_last_line_cut_short_by_a_kill_is_ignored_and_a_corrupt_one_is_not(tmp_path):
    journal = Journal.create(tmp_path, spider="s", run_id="r")
    journal.append(document(1))
    journal.close()
    with journal.path.open("a") as handle:
        handle.write('{"seq": 2, "run_id": "r", "docu')
    assert len(read_journal(journal.path).entries) == 1
    with journal.path.open("a") as handle:
        handle.write("\n")
    with pytest.raises(ValueError, match=r":3: not a journal line"):
        read_journal(journal.path)


def test_replaying_a_dead_journal_is_idempotent_and_deletes_it(database, tmp_path):
    store = ArticleStore(database)
    store.ensure_indexes()
    store.upsert_many([document(1)], run_id="before", now=dt.datetime.now(dt.UTC))
    journal = Journal.create(tmp_path, spider="s", run_id="dead")
    for n in (1, 2, 3):
        journal.append(document(n))
    journal.close()
    (replayed,) = replay_dead_journals(store, tmp_path, "s")
    assert (replayed.run_id, replayed.held) == ("dead", 3)
    result = replayed.result
    assert (result.inserted, result.updated, result.unchanged) == (2, 0, 1)
    assert not journal.path.exists()
    assert replay_dead_journals(store, tmp_path, "s") == []
    assert store.count() == 3
    new = store.find({"url": {"$in": ["https://h.fr/2", "https://h.fr/3"]}})
    assert {d["run_id"] for d in new} == {"dead"}


# --- run records ---------------------------------------------------------------------------------

def test_a_site_that_answered_only_429_and_503_has_not_succeeded():
    stats = {"downloader/request_count": 9, "downloader/response_count": 9,
             "downloader/response_status_count/200": 1, "robotstxt/response_status_count/200": 1,
             "downloader/response_status_count/429": 6, "downloader/response_status_count/503": 2}
    figures = summarise_stats(stats)
    assert figures["throttled"] == 8 and figures["pages_served"] == 0
    assert judge_run(figures, "finished", None, max_error_rate=0.5) == (
        "no page served: the site answered 429/503 (try later) 8 times")
    stats["downloader/response_status_count/200"] = 2  # one page served: the run did its work
    assert judge_run(summarise_stats(stats), "finished", None, max_error_rate=0.5) is None


def test_a_running_record_is_dead_when_its_process_is_gone_or_silent():
    now = dt.datetime.now(dt.UTC)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    mine = {"host": "here", "pid": os.getpid(), "started_at": now}
    assert not run_process_gone(mine, host="here", now=now)
    assert run_process_gone({**mine, "pid": child.pid}, host="here", now=now)
    # our pid, but the run started before this process did: the pid was reused
    assert run_process_gone({**mine, "started_at": now - dt.timedelta(days=30)}, host="here", now=now)
    elsewhere = {"host": "there", "pid": 1, "started_at": now - dt.timedelta(hours=1)}
    assert not run_process_gone({**elsewhere, "heartbeat_at": now - dt.timedelta(seconds=90)},
                                host="here", now=now)
    assert run_process_gone({**elsewhere, "heartbeat_at": now - dt.timedelta(minutes=30)},
                            host="here", now=now)


# --- killed crawls of a generated site -----------------------------------------------------------

ARTICLES = 200
SITE_KEY = "gen_fr"
CATALOGUE = """\
[sites.gen_fr]
name = "GenNews (generated, tests/sitegen.py)"
domains = ["127.0.0.1"]
language = "fr"
timezone = "Europe/Paris"
sections = { tech = "BASE/tech/", jeux = "BASE/jeux/", science = "BASE/science/", mobile = "BASE/mobile/" }
article_patterns = [
    '^/\\d{4}/\\d{2}/\\d{2}/[\\w-]+/$',
    '^/(?:tech|jeux|science|mobile)/\\d+-[\\w-]+\\.html$',
    '^/articles/[\\w-]+/$',
]
section_patterns = ['^/(?:tech|jeux|science|mobile)/$']
next_page_patterns = ['/page/\\d+/$']
max_pages = 10
"""


@pytest.fixture(scope="module")
def gen_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StaticSite, set[str]]]:
    root = tmp_path_factory.mktemp("gen200")
    articles = generate(root, count=ARTICLES)
    # a little latency per answer, so that a crawl lasts long enough to be killed in its middle
    with StaticSite(root, delay=0.03) as site:
        yield site, {a.path for a in articles}


def gen_env(uri: str, database: str, tmp_path: Path, site: StaticSite, **extra: str) -> dict[str, str]:
    catalogue = tmp_path / "gen.toml"
    catalogue.write_text(CATALOGUE.replace("BASE", site.base_url))
    return crawl_env(uri, database, tmp_path, None, {
        "SITES_FILE": str(catalogue), "STORE_BATCH_SIZE": "20", "CONCURRENT_REQUESTS": "4",
        "LOG_LEVEL": "DEBUG", **extra})  # DEBUG: "Scraped from" names every accepted item


def start_run(env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    with log.open("w") as stderr:
        return subprocess.Popen([sys.executable, "-m", "crawler.cli.main", "crawl", "-v", SITE_KEY],
                                cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                start_new_session=True)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def stored(database: Any) -> list[str]:
    return [path_of(d["url"]) for d in database["articles"].find({}, {"url": 1})]


def scraped(log: Path) -> set[str]:
    """The articles a run's DEBUG log says went through every pipeline ("Scraped from"): what
    it had extracted and accepted, whatever the journal says."""
    return {path_of(url) for url in re.findall(r"Scraped from <200 (\S+)>", log.read_text())}


def held_by_journals(journal_dir: Path) -> set[str]:
    """The articles in the journals on disk, not yet acknowledged by the database."""
    return {path_of(doc["url"]) for path in journal_dir.glob("*.jsonl")
            for _, doc in read_journal(path).entries}


def article_downloads(site: StaticSite, since: int, articles: set[str]) -> list[str]:
    return [p.split("?")[0] for p in site.paths()[since:] if p.split("?")[0] in articles]


def wait_for_articles(site: StaticSite, since: int, articles: set[str], count: int,
                      run: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.poll() is None:
        if len(article_downloads(site, since, articles)) >= count:
            return
        time.sleep(0.01)


def kill_at_random(run: subprocess.Popen[str], site: StaticSite, since: int, articles: set[str],
                   rng: random.Random, most: int) -> bool:
    """SIGKILL the run's process group once it has downloaded a random number (1 to `most`) of
    articles; False when it finished first."""
    wait_for_articles(site, since, articles, rng.randint(1, most), run)
    time.sleep(rng.uniform(0, 0.05))
    if run.poll() is not None:
        return False
    os.killpg(run.pid, signal.SIGKILL)
    run.communicate(timeout=30)
    return True


def assert_complete(database: Any, articles: set[str]) -> None:
    paths = stored(database)
    assert not [p for p, n in Counter(paths).items() if n > 1], "an article was stored twice"
    assert set(paths) == articles, f"missing: {sorted(articles - set(paths))[:5]}"


@pytest.mark.slow
def test_sigkill_at_20_random_moments_loses_no_accepted_article_and_downloads_none_again(
        gen_site, mongo_uri, mongo_client, tmp_path):
    """20 kills, each at a random moment of a crawl of the 200-article site into a fresh
    database; after each, the next run completes, loads the killed run's journal before its
    first request, never downloads what the killed run had accepted, and leaves each article
    stored once and the killed run's record `abandoned`."""
    site, articles = gen_site
    rng = random.Random(16)
    kills = journalled = 0
    for number in range(20):
        name = f"newscrawl_test_kill{number}_{free_port()}"
        database = mongo_client[name]
        work = tmp_path / f"kill{number}"
        work.mkdir()
        env = gen_env(mongo_uri, name, work, site)
        journal_dir = work / "var" / "journal"
        try:
            run = start_run(env, work / "killed.log")
            # anywhere in the crawl: after 1 to 190 of its 200 article downloads
            if not kill_at_random(run, site, len(site.paths()), articles, rng, ARTICLES - 10):
                continue  # finished before its moment came (never, with this seed: see below)
            kills += 1
            held = held_by_journals(journal_dir)
            journalled += bool(held)
            in_database = set(stored(database))
            extracted = scraped(work / "killed.log")  # empty if killed very early
            assert extracted <= held | in_database
            accepted = extracted | held | in_database

            since = len(site.paths())
            again = start_run(env, work / "next.log")
            stdout, _ = again.communicate(timeout=120)
            assert again.returncode == 0, stdout + (work / "next.log").read_text()[-3000:]
            assert not set(article_downloads(site, since, articles)) & accepted
            assert_complete(database, articles)
            runs = list(database["crawl_runs"].find({}, {"status": 1, "journal": 1}))
            assert Counter(r["status"] for r in runs) == {"abandoned": 1, "ok": 1}, runs
            assert not list(journal_dir.glob("*.jsonl"))  # the journal loaded and deleted
        finally:
            mongo_client.drop_database(name)
    assert kills == 20
    assert journalled >= 10  # most kills found accepted articles that only the journal held


@pytest.mark.slow
def test_no_article_page_the_killed_run_held_is_downloaded_again(gen_site, mongo_uri, mongo_client,
                                                                 tmp_path):
    site, articles = gen_site
    rng = random.Random(1616)
    name = f"newscrawl_test_redownload_{free_port()}"
    database = mongo_client[name]
    env = gen_env(mongo_uri, name, tmp_path, site, STORE_BATCH_SIZE="1000",
                  STORE_FLUSH_SECONDS="600")  # nothing written before the kill: all journalled
    try:
        since = len(site.paths())
        run = start_run(env, tmp_path / "killed.log")
        assert kill_at_random(run, site, since, articles, rng, ARTICLES // 3)
        held = held_by_journals(tmp_path / "var" / "journal")
        assert held and stored(database) == []
        assert scraped(tmp_path / "killed.log") <= held
        since = len(site.paths())
        again = start_run(env, tmp_path / "next.log")
        stdout, _ = again.communicate(timeout=120)
        assert again.returncode == 0, stdout + (tmp_path / "next.log").read_text()[-3000:]
        assert not set(article_downloads(site, since, articles)) & held
        assert_complete(database, articles)
        lines = stdout.strip().splitlines()
        assert f"loaded {len(held)} from dead runs' journals ({len(held)} new" in lines[0], lines
        dead = database["crawl_runs"].find_one({"status": "abandoned"})
        assert dead["journal"]["held"] == len(held) and dead["journal"]["new"] == len(held)
        assert f"its journal held {len(held)} articles" in dead["failure_reason"]
    finally:
        mongo_client.drop_database(name)


@pytest.mark.slow
def test_killed_while_the_database_is_down_then_the_next_run_loads_the_journal(gen_site, tmp_path):
    site, articles = gen_site
    server = EmbeddedServer(var_dir=tmp_path / "db", port=free_port())
    uri = server.ensure_running()
    database = connect(uri, "outage0")
    rng = random.Random(27017)
    try:
        # 3 seeded moments here (suite time); run once with range(20) on 2026-12-01: 20 of 20
        # next runs complete, 453 articles loaded from journals, 0 downloaded again
        for attempt in range(3):
            name = f"outage{attempt}"  # a fresh database each time, on the one server
            database.client.close()
            database = connect(uri, name)
            env = gen_env(uri, name, tmp_path, site, MONGO_TIMEOUT_MS="300",
                          STORE_RETRY_SECONDS="30")
            since = len(site.paths())
            before = set(stored(database))
            # one request at a time: the crawl is still going when the database has stopped
            run = start_run({**env, "CONCURRENT_REQUESTS": "1"}, tmp_path / f"killed{attempt}.log")
            wait_for_articles(site, since, articles, rng.randint(5, 40), run)
            database.client.close()
            server.stop()  # the database goes away in the middle of the crawl ...
            time.sleep(rng.uniform(0.2, 1.0))
            assert run.poll() is None
            os.killpg(run.pid, signal.SIGKILL)  # ... and the crawl is killed while it is away
            run.communicate(timeout=30)
            held = held_by_journals(tmp_path / "var" / "journal")
            assert held - before, "the killed run journalled nothing new"

            server.ensure_running()
            database = connect(uri, name)
            # what the killed run had accepted is in the database (written before the outage)
            # or in its journal
            assert scraped(tmp_path / f"killed{attempt}.log") <= held | set(stored(database))
            since = len(site.paths())
            again = start_run(env, tmp_path / f"next{attempt}.log")
            stdout, _ = again.communicate(timeout=120)
            assert again.returncode == 0, stdout + (tmp_path / f"next{attempt}.log").read_text()[-3000:]
            assert not set(article_downloads(site, since, articles)) & held
            assert_complete(database, articles)
            assert database["crawl_runs"].count_documents({"status": "running"}) == 0
            assert database["crawl_runs"].count_documents({"status": "abandoned"}) == 1
    finally:
        database.client.close()
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("signals", [(signal.SIGINT, signal.SIGINT), (signal.SIGTERM,),
                                     (signal.SIGTERM, signal.SIGTERM)],
                         ids=["two-SIGINT", "SIGTERM", "two-SIGTERM"])
def test_a_stopped_run_is_recorded_interrupted_and_its_summary_says_what_it_did(
        gen_site, mongo_uri, database, tmp_path, signals):
    site, articles = gen_site
    env = gen_env(mongo_uri, database.name, tmp_path, site, STORE_BATCH_SIZE="1000",
                  STORE_FLUSH_SECONDS="600")
    since = len(site.paths())
    run = start_run(env, tmp_path / "stopped.log")
    wait_for_articles(site, since, articles, 30, run)
    for number in signals:
        os.kill(run.pid, number)
        time.sleep(0.05)
    stdout, _ = run.communicate(timeout=60)
    log = (tmp_path / "stopped.log").read_text()
    assert run.returncode == 1, stdout + log[-3000:]
    record = database["crawl_runs"].find_one({"spider": SITE_KEY})
    assert record["status"] == "interrupted", record
    summary, verdict = stdout.strip().splitlines()[-2:]
    assert summary.startswith(f"{SITE_KEY}: interrupted"), summary
    assert "not started" not in summary and "did not run" not in verdict
    assert f"{record['requests']} requests" in summary and record["requests"] > 30
    assert f"{record['journalled']} journalled" in summary and record["journalled"] > 0
    kept = held_by_journals(tmp_path / "var" / "journal")
    stored_now = set(stored(database))
    assert len(stored_now) + len(kept) == record["journalled"]  # each accepted article, somewhere
    if kept:  # a forced stop: the journal holds what the buffer held, for the next run
        assert f"{len(kept)} of them kept for the next run" in summary

    since = len(site.paths())
    again = start_run(env, tmp_path / "next.log")
    stdout, _ = again.communicate(timeout=120)
    assert again.returncode == 0, stdout + (tmp_path / "next.log").read_text()[-3000:]
    assert not set(article_downloads(site, since, articles)) & (kept | stored_now)
    assert_complete(database, articles)
    assert database["crawl_runs"].count_documents({"status": "running"}) == 0


def test_replay_without_a_file_loads_the_journals_of_dead_runs_once(mongo_uri, database, tmp_path):
    journal_dir = tmp_path / "var" / "journal"
    journal = Journal.create(journal_dir, spider="fixture_fr", run_id="dead")
    for n in (1, 2):
        journal.append(document(n))
    journal.close()
    live = Journal.create(journal_dir, spider="fixture_fr", run_id="live")  # a running crawl's
    live.append(document(3))
    env = crawl_env(mongo_uri, database.name, tmp_path)
    command = [sys.executable, "-m", "crawler.cli.main", "replay"]
    try:
        first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        assert f"replayed 2 articles from {journal.path}: 2 new" in first.stdout
        assert not journal.path.exists() and live.path.exists()
        again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert again.stdout.startswith("no journal of a dead run")
        busy = subprocess.run([*command, str(live.path)], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)
        assert busy.returncode == 1 and "journal of a running crawl" in busy.stderr
    finally:
        live.close()
    assert sorted(d["url"] for d in database["articles"].find()) == ["https://h.fr/1", "https://h.fr/2"]
