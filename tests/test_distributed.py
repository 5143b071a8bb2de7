"""Distributed mode: workers sharing one crawl through Redis (scrapy-redis), README "Scaling out".

Redis is the server `REDIS_TEST_URL` names (CI starts one), else a `redis-server` this session
starts on a free port; each test uses its own key prefix in database REDIS_DB and deletes its keys.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis

from tests.conftest import DEMO_CATALOGUE, ROOT, free_port
from tests.test_incremental import (
    ARTICLE_COUNT,
    EXPECTED,
    NEW_SLUG,
    add_article,
    article_paths,
    documents,
    listing_paths,
)

pytestmark = pytest.mark.slow

REDIS_DB = 13  # the tests' own database number on a shared server
SITE = "fixture_fr"
EXPECTED_SLUGS = {a["path"].rsplit("/", 1)[1] for a in EXPECTED["articles"]}


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("REDIS_TEST_URL")
    if configured:
        yield configured.rstrip("/")
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no Redis for the distributed tests: set REDIS_TEST_URL, or install "
                    "redis-server (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class Redis:
    url: str
    prefix: str
    client: redis.Redis

    def keys(self) -> list[str]:
        return sorted(k.decode() for k in self.client.scan_iter(f"{self.prefix}:*"))

    def inflight(self) -> list[str]:
        """The URLs of the requests the workers hold."""
        return [pickle.loads(data)["url"]
                for key in self.client.scan_iter(f"{self.prefix}:{SITE}:inflight:*")
                for data in self.client.hvals(key)]


@pytest.fixture
def shared_redis(redis_server: str) -> Iterator[Redis]:
    url = f"{redis_server}/{REDIS_DB}"
    state = Redis(url, f"nctest-{uuid.uuid4().hex[:8]}", redis.Redis.from_url(url))
    try:
        yield state
    finally:
        for key in state.client.scan_iter(f"{state.prefix}:*"):
            state.client.delete(key)
        state.client.close()


@dataclass
class Worker:
    proc: subprocess.Popen[str]
    log: Path

    def wait(self, timeout: float = 120) -> int:
        return self.proc.wait(timeout=timeout)

    def output(self) -> str:
        return self.log.read_text()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def start_worker(mongo_uri: str, database_name: str, tmp_path: Path,
                 shared_redis: Redis) -> Iterator[Callable[..., Worker]]:
    """Start one worker process (`newscrawl crawl fixture_fr` or `scrapy crawl fixture_fr`)."""
    workers: list[Worker] = []

    def start(site: Any, *, command: str = "scrapy", env: dict[str, str] | None = None) -> Worker:
        sites_file = tmp_path / "sites.toml"
        sites_file.write_text(DEMO_CATALOGUE.read_text()
                              .replace("BASE_URL", site.base_url))
        full_env = {
            **os.environ,
            "MONGO_URI": mongo_uri, "MONGO_DATABASE": database_name, "SITES_FILE": str(sites_file),
            "AUTOTHROTTLE_ENABLED": "false", "ALLOW_PRIVATE_ADDRESSES": "true",
            "VAR_DIR": str(tmp_path / "var"), "LOG_LEVEL": "INFO",
            "REDIS_URL": shared_redis.url, "REDIS_KEY_PREFIX": shared_redis.prefix,
            "SCHEDULER_IDLE_BEFORE_CLOSE": "2", "REDIS_WORKER_TIMEOUT": "2",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
            **(env or {}),
        }
        program = ([sys.executable, "-m", "crawler.cli.main", "crawl", SITE] if command == "newscrawl"
                   else [sys.executable, "-m", "scrapy", "crawl", SITE])
        log = tmp_path / f"worker-{len(workers) + 1}.log"
        with log.open("w") as out:
            proc = subprocess.Popen(program, cwd=ROOT, env=full_env, stdout=out,
                                    stderr=subprocess.STDOUT, text=True)
        workers.append(Worker(proc, log))
        return workers[-1]

    yield start
    for worker in workers:
        if worker.proc.poll() is None:
            worker.kill()


def finish(*workers: Worker) -> None:
    for worker in workers:
        assert worker.wait() == 0, worker.output()[-3000:]


def round_records(database: Any) -> list[dict[str, Any]]:
    return list(database["crawl_runs"].find({}, {"_id": 0}, sort=[("started_at", 1)]))


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_workers_share_the_crawl_without_downloading_anything_twice(
        site_copy, start_worker, database, shared_redis):
    site, _ = site_copy
    site.delay = 0.2  # network latency, so that the work spreads over both workers
    first = start_worker(site, command="newscrawl")
    second = start_worker(site, command="newscrawl")  # same machine, same LOCK_DIR: no lock
    finish(first, second)

    assert set(documents(database)) == EXPECTED_SLUGS
    requests = site.paths()
    articles = article_paths(requests)
    assert len(articles) == len(set(articles)) == ARTICLE_COUNT + 1  # + the video hub, once
    # sections seeded once per round, not once per worker
    assert Counter(listing_paths(requests))["/actualites/"] == 1
    assert Counter(listing_paths(requests))["/jeux/"] == 1

    [record] = round_records(database)
    assert record["distributed"] is True and record["round_ended"] is True
    assert record["status"] == "ok" and record["failed"] is False
    workers = record["workers"]
    assert len(workers) == 2 and record["workers_count"] == 2
    assert all(w["status"] == "ok" and w["finish_reason"] == "finished" for w in workers.values())
    assert all(w["articles"]["new"] > 0 for w in workers.values()), workers  # both did some work
    assert sum(w["seeded"] for w in workers.values()) == 1
    assert sum(w["requests"] for w in workers.values()) == record["requests"] == len(requests), record
    assert record["articles"]["new"] == ARTICLE_COUNT
    assert {d["run_id"] for d in database["articles"].find()} == {record["run_id"]}
    print("requests per worker:", {k: w["requests"] for k, w in workers.items()},
          "articles per worker:", {k: w["articles"]["new"] for k, w in workers.items()})
    # the round is over: no queue, no duplicate filter, no round key, nothing in flight
    assert shared_redis.keys() == []
    for worker in (first, second):
        lines = worker.output().strip().splitlines()
        assert lines[-1] == "OK: 1 site(s) crawled"


def test_requests_of_a_killed_worker_are_finished_by_the_next_one(
        site_copy, start_worker, database, shared_redis):
    site, _ = site_copy
    site.delay = 0.4
    doomed = start_worker(site)
    wait_for(lambda: len(article_paths(site.paths())) >= 3)
    doomed.kill()
    held = {urlsplit(url).path for url in shared_redis.inflight()}
    assert held  # it died holding requests
    killed_at = len(site.paths())

    rescuer = start_worker(site)
    finish(rescuer)

    assert set(documents(database)) == EXPECTED_SLUGS
    [record] = round_records(database)
    assert record["round_ended"] is True and record["status"] == "ok"
    lost = [w for w in record["workers"].values() if w["status"] == "lost"]
    [survivor] = [w for w in record["workers"].values() if w["status"] == "ok"]
    assert len(lost) == 1 and lost[0]["requeued_requests"] >= 1
    assert survivor["recovered_requests"] == lost[0]["requeued_requests"]
    assert survivor["seeded"] is False  # it joined the open round: no second seeding
    # what the rescuer fetched again is what the dead worker held (it might have finished some of
    # it just before dying); the sections were not seeded again
    before, after = site.paths()[:killed_at], site.paths()[killed_at:]
    assert set(before) & set(after) <= held | {"/robots.txt"}
    assert shared_redis.keys() == []


def test_second_round_fetches_only_the_new_article_and_the_section_pages(
        site_copy, start_worker, database, shared_redis):
    site, root = site_copy
    site.delay = 0.05
    finish(start_worker(site), start_worker(site))
    first_round = len(site.paths())
    assert set(documents(database)) == EXPECTED_SLUGS
    add_article(root)

    finish(start_worker(site), start_worker(site))
    requests = site.paths()[first_round:]
    assert article_paths(requests) == [f"/articles/{NEW_SLUG}"]
    # the first news page has a new article, so its next page is read (and stops there)
    assert sorted(listing_paths(requests)) == ["/actualites/", "/actualites/page/2/", "/jeux/"]
    assert set(documents(database)) == EXPECTED_SLUGS | {NEW_SLUG}
    first, second = round_records(database)
    assert first["run_id"] != second["run_id"]
    assert second["articles"]["new"] == 1 and second["status"] == "ok"
    # /jeux/ was asked for with its validators and answered 304: not parsed (issue 23)
    assert second["articles"]["skipped_known"] >= 1
    assert second["revisits"]["not_modified"] >= 1
    assert shared_redis.keys() == []


@pytest.mark.parametrize(("command", "prefix"), [("newscrawl", "FAILED: "), ("scrapy", "newscrawl: ")])
def test_unreachable_redis_fails_the_run_with_one_line(site_copy, start_worker, command, prefix):
    site, _ = site_copy
    worker = start_worker(site, command=command, env={"REDIS_URL": "redis://:hunter2@127.0.0.1:9/0"})
    assert worker.wait() == 1
    output = worker.output()
    assert output.strip().splitlines()[-1].startswith(
        f"{prefix}cannot reach Redis at redis://:***@127.0.0.1:9/0")
    assert "hunter2" not in output and "Traceback" not in output
    assert site.paths() == []


def test_without_redis_url_the_crawl_is_local_and_redis_is_not_imported():
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    code = ("import sys; from scrapy.utils.project import get_project_settings; "
            "from scrapy.crawler import CrawlerProcess; import crawler.cli.main, crawler.commands.crawl; "
            "s = get_project_settings(); CrawlerProcess(s).create_crawler('news'); "
            "import crawler.middlewares.paramfilter, crawler.pipelines.store; "
            "import crawler.middlewares.incremental, crawler.extensions.runs; "
            "print(s['SCHEDULER'], s.getint('STORE_BATCH_SIZE'), 'redis' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**env, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}, check=True)
    assert result.stdout.split() == ["scrapy.core.scheduler.Scheduler", "100", "False"]


def test_two_workers_download_each_article_of_a_trap_site_once(
        tmp_path, mongo_uri, database_name, database, shared_redis):
    """Issue 13: parameter copies in distributed mode. The catalogue entry lets `?src_ctx=`
    links through; the workers learn it from each other through the database, and the shared
    dupefilter sees the clean URLs: every article once, at most 3 copies (the pages that teach)."""
    from crawler.devserver import StaticSite
    from tests.sitegen import SECTIONS as TRAP_SECTIONS
    from tests.sitegen import generate
    from tests.test_traps import CATALOGUE

    root = tmp_path / "trapsite"
    articles = {a.path for a in generate(root, count=60, seed=9, traps=True)}
    with StaticSite(root, delay=0.05) as site:
        sites_file = tmp_path / "trap_sites.toml"
        sites_file.write_text(CATALOGUE.format(
            sections=", ".join(f'{s} = "{site.base_url}/{s}/"' for s in TRAP_SECTIONS),
            names="|".join(TRAP_SECTIONS), extra=""))
        env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": database_name,
               "SITES_FILE": str(sites_file), "AUTOTHROTTLE_ENABLED": "false",
               "ALLOW_PRIVATE_ADDRESSES": "true", "VAR_DIR": str(tmp_path / "var"),
               "LOG_LEVEL": "INFO", "REDIS_URL": shared_redis.url,
               "REDIS_KEY_PREFIX": shared_redis.prefix, "SCHEDULER_IDLE_BEFORE_CLOSE": "2",
               "REDIS_WORKER_TIMEOUT": "2", "CONCURRENT_REQUESTS_PER_DOMAIN": "2"}
        workers = []
        for n in (1, 2):
            log = tmp_path / f"trap-worker-{n}.log"
            with log.open("w") as out:
                workers.append((subprocess.Popen(
                    [sys.executable, "-m", "scrapy", "crawl", "trap_site"], cwd=ROOT, env=env,
                    stdout=out, stderr=subprocess.STDOUT, text=True), log))
        try:
            for proc, log in workers:
                assert proc.wait(timeout=180) == 0, log.read_text()[-3000:]
        finally:
            for proc, _ in workers:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
        requests = [urlsplit(p) for p in site.paths()]

    clean = Counter(r.path for r in requests if r.path in articles and not r.query)
    copies = [r for r in requests if r.path in articles and r.query]
    assert set(clean) == articles and set(clean.values()) == {1}, clean.most_common(3)
    assert len(copies) <= 3, copies
    stored = {urlsplit(d["url"]).path for d in database["articles"].find({}, {"url": 1})}
    assert stored == articles


def test_the_workers_of_a_round_share_one_budget_of_teaching_copies(shared_redis):
    from crawler.distributed.connection import RoundKeys, TeachingCopies

    keys = RoundKeys(shared_redis.prefix, "trap_site")
    first, second = (TeachingCopies(shared_redis.client, keys, "round-1", ttl=60) for _ in range(2))
    claims = [first.claim("example.com", "src_ctx", "/a", 3), second.claim("example.com", "src_ctx", "/a", 3),
              second.claim("example.com", "src_ctx", "/b", 3), first.claim("example.com", "src_ctx", "/c", 3),
              second.claim("example.com", "src_ctx", "/d", 3)]
    next_round = TeachingCopies(shared_redis.client, keys, "round-2", ttl=60)

    # /a once across the workers; three pages in all, then the budget is spent for both
    assert claims == [(True, False), (False, False), (True, False), (True, True), (False, True)]
    assert first.claim("example.com", "other", "/a", 3) == (True, False)  # a budget per parameter
    assert next_round.claim("example.com", "src_ctx", "/a", 3) == (True, False)  # and per round
