"""The raw record (issue 24): WARC files that standard tools read, provenance, and the database
rebuilt from the archive alone.

The writer and reader first (files on disk, `warcio check` run as a program), their bad input (a
last record cut by a kill, a file that is not a WARC, a full disk), retention; then crawls of the
generated 200-article site: every article response archived, every stored document pointing at
its record, and `newscrawl reextract` restoring the articles collection with the site gone.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import crawler.archive.writer as writer_module
from crawler.archive.reader import ArchivedPage, Damaged, read_archive, read_record
from crawler.archive.retention import REMOVED_LIST, enforce_retention
from crawler.archive.writer import ArchiveWriter, Exchange, dead_writers
from crawler.devserver import StaticSite
from tests.conftest import ROOT
from tests.sitegen import generate
from tests.test_journal import ARTICLES, gen_env, path_of, start_run

WARCIO = str(Path(sys.executable).parent / "warcio")
PAGE = ("<html><head><title>Titre {n}</title></head><body><article><h1>Titre {n}</h1>"
        "<p>" + "Texte. " * 300 + "</p></article></body></html>")


def exchange(n: int, **fields: str) -> Exchange:
    return Exchange(f"https://a.fr/{n}", 200, [("Content-Type", "text/html; charset=utf-8"),
                                               ("Transfer-Encoding", "chunked")],
                    PAGE.format(n=n).encode(), request_headers=[("User-Agent", "t")],
                    fields={"Newscrawl-Source": "a", "Newscrawl-Kind": "article", **fields})


def warcio_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([WARCIO, "check", *map(str, paths)], capture_output=True, text=True,
                          timeout=60)


# --- the writer and the reader -------------------------------------------------------------------

def test_records_are_read_back_at_their_offsets_and_warcio_check_accepts_the_files(tmp_path):
    writer = ArchiveWriter(tmp_path, rotate_bytes=4000)
    locations = [writer.write_exchange(exchange(n)) for n in range(6)]
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) > 1, "rotated by size"
    assert [f.name for f in files] == writer.files
    assert not list(tmp_path.glob("*.open")), "a clean close leaves no marker"
    pages = list(read_archive(files))
    assert [p.url for p in pages if isinstance(p, ArchivedPage)] == [f"https://a.fr/{n}" for n in range(6)]
    assert [p.location for p in pages] == locations
    page = read_record(tmp_path / locations[4].file, locations[4].offset)
    assert isinstance(page, ArchivedPage) and page.body == PAGE.format(n=4).encode()
    assert page.fields == {"Source": "a", "Kind": "article"}
    assert page.header("Transfer-Encoding") is None  # the downloader had undone the chunking
    assert page.fetched_at is not None and page.fetched_at.tzinfo is not None
    checked = warcio_check(*files)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_last_record_cut_by_a_kill_is_skipped_and_counted(tmp_path):
    writer = ArchiveWriter(tmp_path, rotate_bytes=10**9)
    locations = [writer.write_exchange(exchange(n)) for n in range(3)]
    path = tmp_path / writer.files[0]
    size = path.stat().st_size
    with path.open("r+b") as handle:  # the kill came in the middle of the last write
        handle.truncate(locations[2].offset + (size - locations[2].offset) // 2)
    pages = list(read_archive([path]))
    assert [p.url for p in pages if isinstance(p, ArchivedPage)] == ["https://a.fr/0", "https://a.fr/1"]
    assert len([p for p in pages if isinstance(p, Damaged)]) == 1
    # warcio 1.8.2's own `check` passes such a file (it checks the digests of whole records
    # only): the reader's payload digest and gzip checks are what catch the cut record


def test_a_file_that_is_not_a_warc_is_one_damaged_record(tmp_path):
    bogus = tmp_path / "notes.warc.gz"
    bogus.write_text("these are not the records you are looking for\n")
    (damaged,) = list(read_archive([bogus]))
    assert isinstance(damaged, Damaged) and damaged.reason == "not a WARC file"


def test_a_full_disk_leaves_no_half_record_and_says_so(tmp_path, monkeypatch):
    writer = ArchiveWriter(tmp_path, rotate_bytes=10**9)
    writer.write_exchange(exchange(1))
    path = tmp_path / writer.files[0]
    size = path.stat().st_size
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        real_write(fd, data[:100])  # part of it went to the disk before it was full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer_module.os, "write", full)
    with pytest.raises(OSError, match="No space left"):
        writer.write_exchange(exchange(2))
    monkeypatch.undo()
    assert path.stat().st_size == size  # the part written was cut off again
    writer.write_exchange(exchange(3))  # room again: the file goes on
    writer.close()
    assert [p.url for p in read_archive([path])] == ["https://a.fr/1", "https://a.fr/3"]


def test_a_dead_writer_is_found_by_its_marker_and_a_live_one_is_not(tmp_path):
    live = ArchiveWriter(tmp_path, rotate_bytes=10**9)
    live.write_exchange(exchange(1))
    assert dead_writers(tmp_path) == []
    os.close(live._marker)  # what the kernel does when the process dies  # type: ignore[arg-type]
    live._marker = None
    (dead,) = dead_writers(tmp_path)
    assert [f.name for f in dead.files] == live.files
    dead.discard()
    assert not list(tmp_path.glob("*.open"))


# --- retention -------------------------------------------------------------------------------------

def test_retention_removes_the_oldest_finished_files_and_lists_them(tmp_path):
    old = ArchiveWriter(tmp_path, rotate_bytes=1)  # one exchange per file
    for n in range(4):
        old.write_exchange(exchange(n))
    old.close()
    live = ArchiveWriter(tmp_path, rotate_bytes=10**9)
    live.write_exchange(exchange(9))
    now = dt.datetime.now(dt.UTC)
    ages = {live.files[0]: 50, **{name: 40 - 10 * n for n, name in enumerate(old.files)}}
    for name, days in ages.items():
        stamp = (now - dt.timedelta(days=days)).timestamp()
        os.utime(tmp_path / name, (stamp, stamp))
    sizes = {p.name: p.stat().st_size for p in tmp_path.glob("*.warc.gz")}
    budget = sum(sizes.values()) - sizes[old.files[0]] // 2  # one file too many
    removed = enforce_retention(tmp_path, max_bytes=budget, max_age_days=0, now=now)
    # the oldest of all is the live writer's: it is kept, the oldest finished one goes
    assert [name for name, _ in removed] == [old.files[0]]
    removed = enforce_retention(tmp_path, max_bytes=0, max_age_days=15, now=now)
    assert [name for name, _ in removed] == old.files[1:3]
    assert (tmp_path / live.files[0]).exists() and (tmp_path / old.files[3]).exists()
    listed = (tmp_path / REMOVED_LIST).read_text().splitlines()
    assert [line.split("\t")[1] for line in listed] == old.files[:3]
    assert [line.split("\t")[3] for line in listed] == ["size", "age", "age"]
    live.close()


# --- crawls of the generated site ----------------------------------------------------------------

@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("gen200archive")
    articles = generate(root, count=ARTICLES)
    return root, {a.path: a for a in articles}


def crawl(env: dict[str, str], log: Path) -> subprocess.CompletedProcess[str]:
    run = start_run(env, log)
    stdout, _ = run.communicate(timeout=180)
    assert run.returncode == 0, stdout + log.read_text()[-3000:]
    return subprocess.CompletedProcess(run.args, run.returncode, stdout, "")


def reextract(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli.main", "reextract", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def archived_articles(archive: Path) -> Iterator[ArchivedPage]:
    for page in read_archive(sorted(archive.glob("*.warc.gz"))):
        assert isinstance(page, ArchivedPage), page
        if page.fields.get("Kind") == "article":
            yield page


@pytest.mark.slow
def test_the_archive_holds_every_article_and_rebuilds_the_database_with_the_site_gone(
        site_root, mongo_uri, database, tmp_path):
    root, articles = site_root
    with StaticSite(root) as site:
        env = gen_env(mongo_uri, database.name, tmp_path, site, LOG_LEVEL="INFO")
        crawl(env, tmp_path / "crawl.log")
    archive = tmp_path / "var" / "archive"
    files = sorted(archive.glob("*.warc.gz"))
    checked = warcio_check(*files)
    assert files and checked.returncode == 0, checked.stdout + checked.stderr
    assert not list(archive.glob("*.open")), "the writer closed cleanly"
    responses = {path_of(p.url): p for p in archived_articles(archive)}
    assert set(articles) <= set(responses)
    before = {d["url"]: d for d in database["articles"].find()}
    assert len(before) == ARTICLES
    for document in before.values():  # each document points at its page's record
        place = document["archive"]
        page = read_record(archive / place["file"], place["offset"])
        assert isinstance(page, ArchivedPage) and page.location.record_id == place["record_id"]
        assert path_of(page.url) == path_of(document["url"])

    database.drop_collection("articles")  # the site is gone too: nothing to download from
    done = reextract(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"inserted {ARTICLES}, unreadable 0" in done.stdout, done.stdout
    after = {d["url"]: d for d in database["articles"].find()}
    assert set(after) == set(before)
    for url, document in after.items():
        assert document["title"] == before[url]["title"] == articles[path_of(url)].title
        assert document["published_at"] == before[url]["published_at"]
        assert document["content_hash"] == before[url]["content_hash"]
        assert document["archive"] == before[url]["archive"]
        assert document["extractor_version"].startswith("newscrawl ")

    again = reextract(env)  # nothing changed since: nothing is written
    assert f"read {ARTICLES}, unchanged {ARTICLES}, updated 0, inserted 0" in again.stdout, again.stdout
    assert {d["url"]: d["last_seen_at"] for d in database["articles"].find()} == {
        url: d["last_seen_at"] for url, d in after.items()}

    # a kill cut the last record of a file, and a stranger left a file that is not a WARC
    last = files[-1]
    with last.open("r+b") as handle:
        handle.truncate(last.stat().st_size - 200)
    (archive / "zz-not-a-warc.warc.gz").write_bytes(b"\x00" * 500)
    damaged = reextract(env, "--dry-run")
    assert damaged.returncode == 0, damaged.stdout + damaged.stderr
    assert "unreadable 2" in damaged.stdout, damaged.stdout
    assert "zz-not-a-warc.warc.gz at byte 0: not a WARC file (skipped)" in damaged.stderr
    assert "Traceback" not in damaged.stderr
    assert database["articles"].count_documents({}) == ARTICLES  # nothing stored was lost


@pytest.mark.slow
def test_an_archive_that_cannot_be_written_costs_one_line_and_no_article(site_root, mongo_uri,
                                                                           database, tmp_path):
    root, _ = site_root
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the archive directory should be")
    with StaticSite(root) as site:
        env = gen_env(mongo_uri, database.name, tmp_path, site, LOG_LEVEL="INFO",
                      ARCHIVE_DIR=str(blocked))
        crawl(env, tmp_path / "crawl.log")
    log = (tmp_path / "crawl.log").read_text()
    assert log.count("cannot write the page archive") == 1, log[-3000:]
    assert "Traceback" not in log
    assert database["articles"].count_documents({}) == ARTICLES
    assert database["articles"].count_documents({"archive": {"$exists": True}}) == 0
