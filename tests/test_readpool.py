"""Pages read in worker processes (`EXTRACT_PROCESSES`, crawler/reading/pool.py).

What a user would notice: the documents are the same as when the crawl reads its pages itself;
the log says when the workers take over; a worker that dies costs no page (one warning, the crawl
reads on in process); and a crawl killed with SIGKILL leaves no worker process behind.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from crawler.devserver import StaticSite
from crawler.reading.pool import ReadPool
from crawler.reading.reader import PageJob, read_page
from tests.conftest import ROOT, _command_runner
from tests.sitegen import generate

ARTICLE = (ROOT / "crawler" / "demo_site" / "articles"
           / "voici-comment-microsoft-a-vecu-de-linterieur-la-debacle-dopenai-et-de-sam-altman"
           / "index.html")
# what the crawl itself sets per run or per write, not read from the page
NOT_READ = {"_id", "fetched_at", "first_seen_at", "last_seen_at", "stored_at", "updated_seen_at",
            "run_id", "content_hash", "changed_at",
            "archive"}  # where each crawl's own WARC file holds the page


def _job(url: str = "https://fr.softonic.com/articles/voici-comment") -> PageJob:
    return PageJob(url, ARTICLE.read_bytes(), "utf-8", dt.datetime(2023, 11, 24, tzinfo=dt.UTC),
                   {"source": "softonic_fr", "language": "fr"})


def _same(one: Any, other: Any) -> bool:
    """Equal; for dates, within the seconds between the two crawls ("il y a 3 heures" is read
    from each crawl's own download time)."""
    if isinstance(one, dt.datetime) and isinstance(other, dt.datetime):
        return abs(one - other) < dt.timedelta(minutes=2)
    return bool(one == other)


def _documents(database: Any) -> dict[str, dict[str, Any]]:
    return {d["url"]: {k: v for k, v in d.items() if k not in NOT_READ}
            for d in database["articles"].find()}


@pytest.mark.slow
def test_worker_processes_store_what_the_crawl_process_stores(mongo_uri, mongo_client, tmp_path):
    generate(tmp_path / "site", count=60, seed=11)
    names = {mode: f"newscrawl_test_{uuid.uuid4().hex[:10]}" for mode in ("here", "workers")}
    results = {}
    try:
        with StaticSite(tmp_path / "site") as site:
            for mode, processes in (("here", "0"), ("workers", "1")):
                (tmp_path / mode).mkdir()
                run = _command_runner([sys.executable, "-m", "scrapy"], mongo_uri, names[mode],
                                      tmp_path / mode)
                # a download delay: the crawl lasts longer than a worker takes to start
                results[mode] = run("crawl", "news", "-a", f"url={site.base_url}/", "-a",
                                    "sources=sections", site=site,
                                    env={"EXTRACT_PROCESSES": processes,
                                         "EXTRACT_PROCESSES_AFTER": "0",
                                         "DOWNLOAD_DELAY": "0.1"})
                assert results[mode].returncode == 0, results[mode].stderr[-3000:]
        here = _documents(mongo_client[names["here"]])
        by_workers = _documents(mongo_client[names["workers"]])
    finally:
        for name in names.values():
            mongo_client.drop_database(name)

    assert len(here) >= 50
    differing = {(url, key) for url in here for key in here[url]
                 if not _same(by_workers.get(url, {}).get(key), here[url][key])}
    assert by_workers.keys() == here.keys() and differing == set()
    log = results["workers"].stderr
    assert "reading pages in 1 worker process(es) once started (0 article pages read in process)" in log
    read_by_workers = re.search(r"'extract/pages_read_by_workers': (\d+)", log)
    assert read_by_workers and int(read_by_workers[1]) >= 10, log[-3000:]
    assert "extract/pages_read_by_workers" not in results["here"].stderr
    assert "Traceback" not in log


async def _started(pool: ReadPool) -> list[int]:
    """Read one page (in process: it starts the workers), then wait until they are ready."""
    await pool.read(_job())
    for _ in range(1200):  # at most 120 s
        workers = pool._workers.workers if pool._workers is not None else []
        if len(workers) == pool.processes and all(worker.ready for worker in workers):
            return [worker.process.pid for worker in workers]
        await asyncio.sleep(0.1)
    raise AssertionError("the workers did not start")


def test_a_dead_worker_costs_no_page_and_one_warning(caplog):
    crawler = get_crawler()
    pool = ReadPool(crawler, processes=1, after=0)
    expected = read_page(_job())

    async def crawl() -> list[Any]:
        try:
            workers = await _started(pool)
            first = await pool.read(_job())
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            return [first, await pool.read(_job()), await pool.read(_job())]
        finally:
            await pool.engine_stopped()

    readings = asyncio.run(crawl())

    assert readings == [expected] * 3
    given_up = [r for r in caplog.records if "read in the crawl process from now on" in r.message]
    assert len(given_up) == 1 and given_up[0].levelname == "WARNING", caplog.text
    assert crawler.stats.get_value("extract/pool_given_up") == 1
    assert crawler.stats.get_value("extract/pages_read_by_workers") == 1


def test_reading_in_a_worker_gives_the_same_page_as_in_process(caplog):
    crawler = get_crawler()
    pool = ReadPool(crawler, processes=2, after=0)
    jobs = [_job(f"https://fr.softonic.com/articles/voici-comment-{n}") for n in range(6)]

    async def crawl() -> list[Any]:
        try:
            await _started(pool)
            return list(await asyncio.gather(*(pool.read(job) for job in jobs)))
        finally:
            await pool.engine_stopped()

    readings = asyncio.run(crawl())

    assert readings == [read_page(job) for job in jobs]
    assert readings[0].is_article and "Microsoft" in readings[0].item["title"]
    assert crawler.stats.get_value("extract/pages_read_by_workers") == 6
    assert crawler.stats.get_value("extract/processes") == 2
    assert "WARNING" not in caplog.text


def test_the_crawls_of_one_process_share_its_workers():
    # `newscrawl crawl --all` runs every site in one process: one set of workers for all
    pools = [ReadPool(get_crawler(), processes=1, after=0) for _ in range(2)]

    async def crawl() -> tuple[list[int], Any]:
        try:
            workers = await _started(pools[0])
            await pools[1].read(_job())  # its first page: in process; it joins the workers
            assert pools[1]._workers is pools[0]._workers
            await pools[0].engine_stopped()  # the first site is done; the second goes on
            return workers, await pools[1].read(_job())
        finally:
            for pool in pools:
                await pool.engine_stopped()

    workers, reading = asyncio.run(crawl())

    assert reading == read_page(_job())
    assert pools[0].crawler.stats.get_value("extract/processes") == 1
    assert pools[1].crawler.stats.get_value("extract/processes") is None
    assert pools[1].crawler.stats.get_value("extract/pages_read_by_workers") == 1
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "the last crawl did not stop the workers"


_ORPHAN_SCRIPT = """
import asyncio, json, sys
sys.path.insert(0, {root!r})
from scrapy.utils.test import get_crawler
from crawler.reading.pool import ReadPool
from tests.test_readpool import _started

async def main():
    pool = ReadPool(get_crawler(), processes=2, after=0)
    print(json.dumps(await _started(pool)), flush=True)
    await asyncio.sleep(300)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        state = next(line for line in status.read_text().splitlines() if line.startswith("State:"))
    except (FileNotFoundError, StopIteration):
        return False
    return "Z" not in state.split()[1]  # a zombie has ended; only its parent has not reaped it


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_workers_end_when_their_crawl_is_killed():
    with subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT.format(root=str(ROOT))],
                          cwd=ROOT, stdout=subprocess.PIPE, text=True) as crawl:
        try:
            assert crawl.stdout is not None
            workers = json.loads(crawl.stdout.readline())
            assert len(workers) == 2 and all(_alive(pid) for pid in workers)
            crawl.send_signal(signal.SIGKILL)
            crawl.wait(timeout=30)
            deadline = time.monotonic() + 20
            while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not any(_alive(pid) for pid in workers), "a worker outlived its crawl"
        finally:
            crawl.kill()
