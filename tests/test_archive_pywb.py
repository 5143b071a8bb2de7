"""The raw record replayed by pywb (issue 24: "standard tools must read the files").

Real article pages (../shared/eval/dev) written by `ArchiveWriter`, one of them gzip-encoded as a
server sends it, then pywb's own commands: `wb-manager init`, `wb-manager add`, and `wayback`
bound to 127.0.0.1 on a free port, asked for each page as a user would.

pywb is not a project dependency (it pins old versions of what we use): the test runs only when
PYWB_BIN_DIR names the `bin` directory of a virtualenv holding it, e.g.
    python3.11 -m venv /tmp/pywbenv && /tmp/pywbenv/bin/pip install pywb==2.10.0
    PYWB_BIN_DIR=/tmp/pywbenv/bin .venv/bin/python -m pytest -q tests/test_archive_pywb.py
and then fails, never skips, when pywb cannot replay the files.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from html import escape
from pathlib import Path

import pytest

from crawler.archive.writer import ArchiveWriter, Exchange
from crawler.devserver import StaticSite
from tests.conftest import free_port
from tests.sitegen import generate
from tests.test_journal import gen_env, path_of, start_run

PYWB_BIN_DIR = os.environ.get("PYWB_BIN_DIR", "")
DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev"
PAGES = ["aeb-9to5mac-com-1", "aeb-aljazeera-com-1"]  # the second is stored gzip-encoded

pytestmark = pytest.mark.skipif(not PYWB_BIN_DIR, reason="pywb replay: set PYWB_BIN_DIR to the bin "
                                "directory of a virtualenv with pywb installed (not a project dependency)")
needs_dev = pytest.mark.skipif(not (DEV / "truth.jsonl").is_file(),
                               reason=f"eval pages not found at {DEV} (beside the project)")


def pywb(name: str) -> str:
    program = Path(PYWB_BIN_DIR) / name
    assert program.is_file(), f"PYWB_BIN_DIR={PYWB_BIN_DIR} has no {name}: is pywb installed there?"
    return str(program)


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def add_to_collection(directory: Path, files: list[Path]) -> dict[str, str]:
    """`wb-manager init coll` and `wb-manager add coll FILES` in `directory`; the URLs pywb
    indexed, each with its capture's 14-digit timestamp."""
    for args in (["init", "coll"], ["add", "coll", *map(str, files)]):
        done = subprocess.run([pywb("wb-manager"), *args], cwd=directory, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    index = (directory / "collections" / "coll" / "indexes" / "index.cdxj").read_text()
    return {json.loads(line.split(" ", 2)[2])["url"]: line.split(" ", 2)[1]
            for line in index.splitlines()}


@contextlib.contextmanager
def wayback_server(directory: Path) -> Iterator[str]:
    """pywb's `wayback` serving `directory`'s collections on 127.0.0.1; its base URL."""
    port = free_port()
    log_path = directory / "wayback.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([pywb("wayback"), "--bind", "127.0.0.1", "--port", str(port),
                                   "--directory", str(directory)], cwd=directory, stdout=log,
                                  stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:  # bounded: up within a minute, or the test fails
                assert server.poll() is None, log_path.read_text()
                try:
                    urllib.request.urlopen(base + "/", timeout=5).close()
                    break
                except (urllib.error.URLError, ConnectionError):
                    assert time.monotonic() < deadline, log_path.read_text()
                    time.sleep(0.3)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=15)


@pytest.fixture
def wayback(tmp_path: Path) -> Iterator[tuple[str, dict[str, tuple[str, bytes, str]]]]:
    """Real pages archived, added to a pywb collection `coll` and served; the base URL and, per
    page id, (URL, HTML as written, capture timestamp)."""
    rows = {row["id"]: row for row in map(json.loads, (DEV / "truth.jsonl").read_text().splitlines())}
    writer = ArchiveWriter(tmp_path / "warcs", rotate_bytes=10**9)
    pages = {}
    for n, page_id in enumerate(PAGES):
        html = (DEV / rows[page_id]["file"]).read_bytes()
        headers = [("Content-Type", "text/html; charset=utf-8")]
        body = html
        if n == 1:  # as received: the downloader's decompression comes after the archive
            body = gzip.compress(html)
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
        writer.write_exchange(Exchange(rows[page_id]["url"], 200, headers, body, reason="OK",
                                       request_headers=[("User-Agent", "newscrawl-test")],
                                       fields={"Newscrawl-Source": "dev", "Newscrawl-Kind": "article"}))
        pages[page_id] = (rows[page_id]["url"], html)
    writer.close()
    indexed = add_to_collection(tmp_path, [tmp_path / "warcs" / name for name in writer.files])
    assert set(indexed) == {url for url, _ in pages.values()}, indexed  # the responses, once each
    with wayback_server(tmp_path) as base:
        yield base, {key: (url, html, indexed[url]) for key, (url, html) in pages.items()}


def title_of(html: bytes) -> bytes:
    found = re.search(rb"<title[^>]*>\s*(.*?)\s*</title>", html, re.S | re.I)
    assert found and found.group(1), "every page chosen has a title"
    return found.group(1)


@needs_dev
def test_pywb_replays_the_archived_articles(wayback):
    base, pages = wayback
    for url, html, timestamp in pages.values():
        # as archived (id_: no rewriting): the page's own bytes (pywb undoes the gzip-encoded
        # one's Content-Encoding), with the capture's date
        status, headers, body = get(f"{base}/coll/{timestamp}id_/{url}")
        assert status == 200, body[:500]
        assert body == html
        assert headers.get("Memento-Datetime") == time.strftime(
            "%a, %d %b %Y %H:%M:%S GMT", time.strptime(timestamp, "%Y%m%d%H%M%S"))
        # replayed for a browser (mp_: links rewritten into the archive): the article is there
        status, _, body = get(f"{base}/coll/{timestamp}mp_/{url}")
        assert status == 200, body[:500]
        assert title_of(html) in body


@needs_dev
def test_pywb_says_a_page_that_was_never_archived_is_not_there(wayback):
    base, pages = wayback
    url, _, timestamp = next(iter(pages.values()))
    status, _, _ = get(f"{base}/coll/{timestamp}id_/{url}never-archived")
    assert status == 404


@pytest.mark.slow
def test_pywb_replays_what_a_crawl_archived(mongo_uri, database, tmp_path):
    """The files a crawl writes (the archive middleware's records, headers as Scrapy saw them)."""
    site_root = tmp_path / "site"
    articles = {a.path: a for a in generate(site_root, count=12)}
    with StaticSite(site_root) as site:
        env = gen_env(mongo_uri, database.name, tmp_path, site, LOG_LEVEL="INFO")
        run = start_run(env, tmp_path / "crawl.log")
        stdout, _ = run.communicate(timeout=180)
        assert run.returncode == 0, stdout + (tmp_path / "crawl.log").read_text()[-3000:]
    files = sorted((tmp_path / "var" / "archive").glob("*.warc.gz"))
    indexed = add_to_collection(tmp_path, files)
    replayed = {path_of(url): (url, stamp) for url, stamp in indexed.items()
                if path_of(url) in articles}
    assert set(replayed) == set(articles), sorted(set(articles) - set(replayed))
    with wayback_server(tmp_path) as base:  # the site is gone: pywb answers from the files
        for path, (url, timestamp) in sorted(replayed.items())[:3]:
            status, _, body = get(f"{base}/coll/{timestamp}mp_/{url}")
            assert status == 200, body[:500]
            assert escape(articles[path].title).encode() in body
