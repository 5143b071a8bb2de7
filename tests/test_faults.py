"""Faults: flaky sites, a failing site in a multi-site run, a database that goes away, killed runs.

Every test ends with the same two questions: is every article the site serves in the database,
and is none of them there twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from crawler.storage.connection import connect
from crawler.storage.embedded import EmbeddedServer
from tests.conftest import DEMO_CATALOGUE, DEMO_SITE, FIXTURES, ROOT, crawl_env, free_port
from tests.faulty_site import FaultySite

EXPECTED = json.loads((FIXTURES / "demo_site" / "expected.json").read_text())
ALL_PATHS = {a["path"] for a in EXPECTED["articles"]}
pytestmark = pytest.mark.slow


def stored_paths(database: Any) -> list[str]:
    return ["/" + d["url"].split("/", 3)[3] for d in database["articles"].find({}, {"url": 1})]


def article_requests(site: FaultySite, path: str) -> int:
    return sum(1 for p in site.paths() if p.split("?")[0].rstrip("/") == path)


def last_run(database: Any, spider: str = "fixture_fr") -> dict[str, Any]:
    return database["crawl_runs"].find_one({"spider": spider}, {"_id": 0}, sort=[("started_at", -1)])


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


PS5 = "/articles/la-ps5-slim-arrive-en-france-a-549-euros"
STEAM = "/articles/steam-deck-oled-ce-qui-change-vraiment"
CNIL = "/articles/la-cnil-inflige-une-amende-record-a-un-courtier-en-donnees"
FREE = "/articles/free-lance-sa-nouvelle-freebox-ultra"
MARIO = "/articles/test-super-mario-bros-wonder-la-revolution-douce"
PATCH = "/articles/le-patch-5-de-baldurs-gate-3-ajoute-un-mode-honneur"
CYBER = "/articles/cybersecurite-les-rancongiciels-visent-les-hopitaux-francais"


def test_retry_after_on_429_and_503_is_waited_for_then_the_article_is_stored(run_scrapy, database):
    script = {PS5: ["status:429:retry-after=1", "ok"], STEAM: ["status:503:retry-after=1", "ok"]}
    with FaultySite(DEMO_SITE, script=script) as site:
        result = run_scrapy("crawl", "fixture_fr", site=site)
    assert result.returncode == 0, result.stderr[-2000:]
    for path in (PS5, STEAM):
        first, second = site.times(path)
        assert second - first >= 0.95, f"{path} was retried after {second - first:.2f} s"
    assert sorted(stored_paths(database)) == sorted(ALL_PATHS)
    assert "retry/retry_after/count': 2" in result.stderr


def test_error_statuses_timeouts_resets_and_redirect_loops_do_not_stop_the_crawl(run_scrapy, database):
    script = {
        CNIL: ["status:404"], FREE: ["status:410"], MARIO: ["status:500"],
        PATCH: ["sleep:3"], CYBER: ["reset"],
        STEAM: ["redirect:/articles/loop-b"], "/articles/loop-b": [f"redirect:{STEAM}"],
    }
    with FaultySite(DEMO_SITE, script=script) as site:
        result = run_scrapy("crawl", "fixture_fr", site=site,
                            env={"DOWNLOAD_TIMEOUT": "1", "RETRY_TIMES": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert article_requests(site, CNIL) == 1 and article_requests(site, FREE) == 1  # not retried
    assert article_requests(site, MARIO) == 2  # 500: retried RETRY_TIMES
    assert article_requests(site, PATCH) == 2  # timeout: retried
    assert article_requests(site, CYBER) == 2  # connection reset: retried
    assert article_requests(site, STEAM) <= 6  # the redirect loop ends (REDIRECT_MAX_TIMES)
    failed = {CNIL, FREE, MARIO, PATCH, CYBER, STEAM}
    assert sorted(stored_paths(database)) == sorted(ALL_PATHS - failed)
    record = last_run(database)
    assert record["status"] == "ok"
    assert record["responses_by_status"]["4xx"] >= 2 and record["responses_by_status"]["5xx"] >= 2
    assert record["download_errors"] >= 2


def test_a_site_that_fails_entirely_does_not_stop_the_others(run_newscrawl, database, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(DEMO_CATALOGUE.read_text()
                      .replace("fixture_fr", "broken_fr").replace("BASE_URL", "http://127.0.0.1:9"))
    with FaultySite(DEMO_SITE) as site:
        sites_file = tmp_path / "sites.toml"  # written by the runner; the broken site on top
        result = run_newscrawl("crawl", "fixture_fr", "broken_fr", site=site,
                               env={"SITES_FILE": f"{sites_file}:{broken}", "RETRY_TIMES": "0"})
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith("fixture_fr: ok") for line in lines)
    # the cause named (crawler/middlewares/network.py): port 9 on 127.0.0.1 refuses the connection
    assert lines[-1].startswith("FAILED: broken_fr: no response received: connection refused (")
    assert sorted(stored_paths(database)) == sorted(ALL_PATHS)
    assert last_run(database, "fixture_fr")["status"] == "ok"
    broken_run = last_run(database, "broken_fr")
    assert broken_run["failed"] is True
    assert broken_run["failure_reason"].startswith("no response received: connection refused (")
    assert broken_run["network_errors"]["refused"] >= 1


def test_database_outage_mid_crawl_keeps_the_journal_then_replay_loses_nothing(tmp_path):
    server = EmbeddedServer(var_dir=tmp_path / "db", port=free_port())
    uri = server.ensure_running()
    database = connect(uri, "outage")
    try:
        with FaultySite(DEMO_SITE, delay=0.25) as site:
            env = crawl_env(uri, "outage", tmp_path, site, {
                "STORE_BATCH_SIZE": "1", "STORE_RETRY_SECONDS": "1", "MONGO_TIMEOUT_MS": "300",
                "CONCURRENT_REQUESTS": "2"})
            crawl = subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "fixture_fr"],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
            wait_for(lambda: database["articles"].count_documents({}) >= 2)
            database.client.close()  # this test's client, not the crawl's, sees no outage
            server.stop()  # the database goes away in the middle of the crawl
            _, stderr = crawl.communicate(timeout=120)
        assert crawl.returncode == 1, stderr[-3000:]
        assert "could not be written" in stderr and "newscrawl replay" in stderr
        dead_letters = list((tmp_path / "var" / "journal").glob("fixture_fr-*.jsonl"))
        assert len(dead_letters) == 1  # the run's journal, kept with what was not written

        server.ensure_running()  # back, with what it had
        database = connect(uri, "outage")
        before = database["articles"].count_documents({})
        assert 2 <= before < len(ALL_PATHS)
        env = crawl_env(uri, "outage", tmp_path, None)
        for attempt in (1, 2):  # replaying twice changes nothing more
            replay = subprocess.run([sys.executable, "-m", "crawler.cli.main", "replay",
                                 str(dead_letters[0])],
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
            assert replay.returncode == 0, replay.stderr
            if attempt == 2:
                assert " 0 new, 0 updated" in replay.stdout
        assert sorted(stored_paths(database)) == sorted(ALL_PATHS)
        assert database["articles"].count_documents({}) == len(ALL_PATHS)
    finally:
        database.client.close()
        server.stop()


def _start_cron_run(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "crawler.cli.main", "crawl", "fixture_fr"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_a_terminated_run_flushes_says_interrupted_and_releases_its_lock(
        mongo_uri, database, tmp_path, signal_number):
    with FaultySite(DEMO_SITE, delay=0.3) as site:
        env = crawl_env(mongo_uri, database.name, tmp_path, site, {"CONCURRENT_REQUESTS": "2"})
        run = _start_cron_run(env)
        wait_for(lambda: sum(p.startswith("/articles/") for p in site.paths()) >= 4)
        os.kill(run.pid, signal_number)
        stdout, stderr = run.communicate(timeout=60)
        assert run.returncode == 1, stderr[-2000:]
        assert stdout.strip().splitlines()[-1] == "FAILED: fixture_fr: interrupted"
        record = last_run(database)
        assert record["status"] == "interrupted" and record["finish_reason"] == "shutdown"
        stored = database["articles"].count_documents({})
        assert stored == record["articles"]["new"] > 0  # every extracted article was flushed

        again = _start_cron_run(env)  # the lock was released: the next run goes ahead
        stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stdout + stderr[-2000:]
    assert sorted(stored_paths(database)) == sorted(ALL_PATHS)


def test_a_killed_run_loses_nothing_it_wrote_and_the_next_run_takes_over(mongo_uri, database, tmp_path):
    with FaultySite(DEMO_SITE, delay=0.3) as site:
        env = crawl_env(mongo_uri, database.name, tmp_path, site,
                        {"CONCURRENT_REQUESTS": "2", "STORE_BATCH_SIZE": "1"})
        run = _start_cron_run(env)
        wait_for(lambda: database["articles"].count_documents({}) >= 2)
        os.killpg(run.pid, signal.SIGKILL)
        run.communicate(timeout=30)
        written = {d["url"] for d in database["articles"].find({}, {"url": 1})}
        assert Path(tmp_path / "var" / "locks" / "fixture_fr.lock").exists()  # left behind

        again = _start_cron_run(env)
        stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stdout + stderr[-2000:]
    assert written <= {d["url"] for d in database["articles"].find({}, {"url": 1})}
    assert sorted(stored_paths(database)) == sorted(ALL_PATHS)


def test_missing_indexes_are_recreated_at_the_next_start(run_scrapy, database):
    with FaultySite(DEMO_SITE) as site:
        assert run_scrapy("crawl", "fixture_fr", site=site).returncode == 0
        database["articles"].drop_indexes()
        database["crawl_runs"].drop_indexes()
        assert index_keys(database["articles"]) == {("_id",)}
        again = run_scrapy("crawl", "fixture_fr", site=site)
    assert again.returncode == 0, again.stderr[-2000:]
    assert {("url",), ("source", "published_at"), ("changed_at",)} <= index_keys(database["articles"])
    assert ("spider", "started_at") in index_keys(database["crawl_runs"])
    assert database["articles"].count_documents({}) == len(ALL_PATHS)


def index_keys(collection: Any) -> set[tuple[str, ...]]:
    """The indexed fields, whatever the server names its indexes."""
    return {tuple(field for field, _ in spec["key"]) for spec in collection.index_information().values()}
