"""Every operator mistake is answered by one line naming it, the documented exit code (2 for a
usage mistake: README "Scheduling"), no traceback, and nothing written.

The cases are the table of issue 17 and the mistakes found around them. Each is a real `scrapy`
or `newscrawl` process; they all stop before any crawl, so they run side by side (four at a
time) in one module fixture, and each case is then its own test.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, crawl_env

SCRAPY = (sys.executable, "-m", "scrapy")
NEWSCRAWL = (sys.executable, "-m", "crawler.cli.main")
USAGE, FAILED = 2, 1
# 44 processes, ~25 s of a loaded 2-core machine: a third of `make test-fast` (2026-12-01)
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Mistake:
    id: str
    program: tuple[str, ...]
    args: tuple[str, ...]
    code: int
    says: str  # in the one line on stderr
    env: dict[str, str] = field(default_factory=dict)
    stdout: str = ""  # expected in stdout ("" = stdout stays empty)
    lines: int = 1  # lines on stderr (a crawl that reaches Scrapy's logging prints its banner)


def closed_port() -> int:
    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CLOSED_DB = {"MONGO_URI": f"mongodb://127.0.0.1:{closed_port()}/", "MONGO_TIMEOUT_MS": "300"}
BAD_MANIFEST = "BAD_MANIFEST"  # replaced by a file with a non-JSON line
MISSING_DIR_OUTPUT = "/nonexistent-newscrawl-dir/x.csv"

MISTAKES = [
    # --- scrapy crawl: spider names and arguments (issue table: tracebacks, "Crawler.stats is not set yet")
    Mistake("scrapy-max-pages-abc", SCRAPY, ("crawl", "softonic_fr", "-a", "max_pages=abc"), USAGE,
            "scrapy crawl softonic_fr: -a max_pages='abc': expected a whole number"),
    Mistake("scrapy-max-pages-zero", SCRAPY, ("crawl", "softonic_fr", "-a", "max_pages=0"), USAGE,
            "-a max_pages='0': must be at least 1"),
    Mistake("scrapy-sections-empty", SCRAPY, ("crawl", "softonic_fr", "-a", "sections="), USAGE,
            "-a sections='': name at least one section"),
    Mistake("scrapy-sections-unknown", SCRAPY, ("crawl", "softonic_fr", "-a", "sections=nosuch"),
            USAGE, "-a sections='nosuch': no known section; choose from"),
    Mistake("scrapy-url-garbage", SCRAPY, ("crawl", "news", "-a", "url=garbage"), USAGE,
            "-a url='garbage': expected an http(s):// start page"),
    Mistake("scrapy-news-no-url", SCRAPY, ("crawl", "news"), USAGE, "the news spider needs -a url="),
    Mistake("scrapy-max-depth-negative", SCRAPY,
            ("crawl", "news", "-a", "url=https://example.com/", "-a", "max_depth=-1"), USAGE,
            "-a max_depth='-1': must be at least 1"),
    Mistake("scrapy-full-perhaps", SCRAPY, ("crawl", "softonic_fr", "-a", "full=perhaps"), USAGE,
            "-a full='perhaps': expected true or false"),
    Mistake("scrapy-since-not-a-date", SCRAPY, ("crawl", "softonic_fr", "-a", "since=yesterdayish"),
            USAGE, "-a since='yesterdayish': expected a date"),
    Mistake("scrapy-sources-unknown", SCRAPY, ("crawl", "softonic_fr", "-a", "sources=podcasts"),
            USAGE, "-a sources='podcasts': no usable source"),
    Mistake("scrapy-a-without-value", SCRAPY, ("crawl", "softonic_fr", "-a", "max_pages"), USAGE,
            "Invalid -a value, use -a NAME=VALUE"),
    Mistake("scrapy-unknown-spider", SCRAPY, ("crawl", "softonic"), USAGE,
            "unknown spider 'softonic'; did you mean softonic_fr"),
    Mistake("scrapy-no-spider", SCRAPY, ("crawl",), USAGE, "name exactly one spider"),
    # --- settings, wherever they are set (issue table: tracebacks, or accepted)
    Mistake("setting-log-level", SCRAPY, ("list",), USAGE,
            "LOG_LEVEL='VERBOSE': expected one of CRITICAL, ERROR, WARNING, INFO, DEBUG",
            env={"LOG_LEVEL": "VERBOSE"}),
    Mistake("setting-batch-size-abc", SCRAPY,
            ("crawl", "fixture_fr", "-s", "STORE_BATCH_SIZE=abc"), USAGE,
            "newscrawl: bad setting: STORE_BATCH_SIZE='abc': expected an integer"),
    Mistake("setting-error-rate-above-1", SCRAPY, ("crawl", "fixture_fr"), USAGE,
            "MAX_ERROR_RATE='2': must be at most 1", env={"MAX_ERROR_RATE": "2"}),
    Mistake("setting-concurrency-zero", SCRAPY,
            ("crawl", "fixture_fr", "-s", "CONCURRENT_REQUESTS=0"), USAGE,
            "CONCURRENT_REQUESTS='0': must be at least 1"),
    Mistake("setting-port-range", NEWSCRAWL, ("db", "status"), USAGE,
            "EMBEDDED_DB_PORT='70000': must be at most 65535", env={"EMBEDDED_DB_PORT": "70000"}),
    Mistake("setting-database-name", SCRAPY, ("crawl", "fixture_fr", "-s", "MONGO_DATABASE=a.b"),
            USAGE, "MONGO_DATABASE='a.b': expected a MongoDB database name"),
    Mistake("setting-timeout-nan", SCRAPY, ("list",), USAGE, "DOWNLOAD_TIMEOUT='nan'",
            env={"DOWNLOAD_TIMEOUT": "nan"}),
    Mistake("setting-sites-file-missing", SCRAPY, ("list",), USAGE,
            "newscrawl: bad site catalogue: /nonexistent-newscrawl.toml: catalogue file not found",
            env={"SITES_FILE": "/nonexistent-newscrawl.toml"}),
    # --- newscrawl crawl (issue table: exit 1 and "Unhandled error in Deferred" instead of 2)
    Mistake("newscrawl-max-pages-abc", NEWSCRAWL, ("crawl", "softonic_fr", "-a", "max_pages=abc"),
            USAGE, "newscrawl crawl softonic_fr: -a max_pages='abc': expected a whole number"),
    Mistake("newscrawl-sections-empty", NEWSCRAWL, ("crawl", "softonic_fr", "-a", "sections="),
            USAGE, "-a sections='': name at least one section"),
    Mistake("newscrawl-unknown-site", NEWSCRAWL, ("crawl", "softonic"), USAGE,
            "unknown site 'softonic'; did you mean softonic_fr"),
    Mistake("newscrawl-no-site", NEWSCRAWL, ("crawl",), USAGE, "name at least one site, or --all"),
    Mistake("newscrawl-a-without-value", NEWSCRAWL, ("crawl", "--all", "-a", "full"), USAGE,
            "-a 'full': expected NAME=VALUE"),
    # --- the other newscrawl commands
    Mistake("export-missing-directory", NEWSCRAWL, ("export", "-o", MISSING_DIR_OUTPUT), USAGE,
            f"newscrawl export: cannot write {MISSING_DIR_OUTPUT}: No such file or directory"),
    Mistake("export-negative-limit", NEWSCRAWL, ("export", "--limit", "-3"), USAGE,
            "argument --limit: must be at least 0, got -3"),
    Mistake("export-since-garbage", NEWSCRAWL, ("export", "--since", "yesterdayish"), USAGE,
            "argument --since: 'yesterdayish': expected an ISO 8601 date"),
    Mistake("stats-days-zero", NEWSCRAWL, ("stats", "--days", "0"), USAGE,
            "argument --days: must be at least 1"),
    Mistake("extract-missing-file", NEWSCRAWL, ("extract", "--url", "http://a.invalid/", "missing.html"),
            USAGE, "newscrawl extract: no such file: missing.html"),
    Mistake("extract-bad-manifest", NEWSCRAWL, ("extract", "--manifest", BAD_MANIFEST), USAGE,
            "line 1: not JSON"),
    Mistake("extract-nothing", NEWSCRAWL, ("extract",), USAGE, "extract needs --manifest FILE"),
    Mistake("replay-missing-file", NEWSCRAWL, ("replay", "/nonexistent-newscrawl.jsonl"), USAGE,
            "newscrawl replay: no such file"),
    Mistake("classify-unknown-site", NEWSCRAWL, ("sites", "--classify", "nosuch", "http://a.invalid/"),
            USAGE, "unknown site(s) nosuch"),
    Mistake("db-unknown-action", NEWSCRAWL, ("db", "restart"), USAGE,
            "invalid choice: 'restart'"),
    Mistake("demo-empty-database", NEWSCRAWL, ("demo", "--database", ""), USAGE,
            "argument --database: '': expected a MongoDB database name"),
    Mistake("unknown-command", NEWSCRAWL, ("frobnicate",), USAGE, "invalid choice: 'frobnicate'"),
    Mistake("newscrawl-log-level", NEWSCRAWL, ("stats",), USAGE, "LOG_LEVEL='VERBOSE'",
            env={"LOG_LEVEL": "VERBOSE"}),
    # --- the database (exit code 1: not a usage mistake, but one line, password masked)
    Mistake("uri-with-login", NEWSCRAWL, ("stats",), FAILED, "mongodb://bob:***@",
            env={"MONGO_URI": "WITH_LOGIN"}),
    Mistake("uri-refused", NEWSCRAWL, ("stats",), FAILED, "newscrawl stats: cannot reach MongoDB at",
            env=CLOSED_DB),
    # --- warnings: the command goes on, the likely intended name is given
    Mistake("env-mongo-url", NEWSCRAWL, ("stats", "--json"), 0,
            "environment variable MONGO_URL is not a setting and is ignored; did you mean MONGO_URI?",
            env={"MONGO_URL": "mongodb://db.invalid/"}, stdout='"sources": []'),
    Mistake("env-prefixed", NEWSCRAWL, ("stats", "--json"), 0,
            "NEWSCRAWL_RUN_TIME_LIMIT is not a setting and is ignored; did you mean RUN_TIME_LIMIT?",
            env={"NEWSCRAWL_RUN_TIME_LIMIT": "60"}, stdout='"sources": []'),
    Mistake("newscrawl-unknown-argument", NEWSCRAWL, ("crawl", "fixture_fr", "-a", "max_pagse=2"),
            FAILED, "newscrawl crawl: warning: -a max_pagse: the fixture_fr spider has no such "
            "argument and ignores it; did you mean -a max_pages=...?",
            env=CLOSED_DB, stdout="FAILED: cannot reach MongoDB"),
]


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def outcomes(mongo_uri: str, mongo_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Every case run once, four at a time; then the places nothing may have been written."""
    database_name = "newscrawl_mistakes"
    mongo_client.drop_database(database_name)
    tmp = tmp_path_factory.mktemp("mistakes")
    manifest = tmp / "bad.jsonl"
    manifest.write_text('{"file": "a.html", "url": \n', encoding="utf-8")
    with_login = mongo_uri.replace("mongodb://", "mongodb://bob:s3cret@", 1)

    def run(mistake: Mistake) -> Outcome:
        home = tmp / mistake.id
        home.mkdir()
        extra = {k: (with_login if v == "WITH_LOGIN" else v) for k, v in mistake.env.items()}
        env = crawl_env(mongo_uri, database_name, home, None, extra)
        args = [str(manifest) if a == BAD_MANIFEST else a for a in mistake.args]
        proc = subprocess.run([*mistake.program, *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        return Outcome(proc.returncode, proc.stdout, proc.stderr)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip([m.id for m in MISTAKES], pool.map(run, MISTAKES), strict=True))
    written = {
        # documents, not collections: nx-27017 creates a collection that a read (`distinct`) names
        "documents": {name: mongo_client[database_name][name].count_documents({})
                      for name in mongo_client[database_name].list_collection_names()
                      if mongo_client[database_name][name].count_documents({})},
        "var files": sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*")
                            if p.is_file() and p.name != "sites.toml" and p != manifest),
        "export output": Path(MISSING_DIR_OUTPUT).exists(),
    }
    yield results, written
    mongo_client.drop_database(database_name)


def test_the_table_has_at_least_thirty_distinct_mistakes():
    assert len({m.id for m in MISTAKES}) == len(MISTAKES) >= 30


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_a_mistake_gets_one_line_and_the_documented_exit_code(outcomes, mistake):
    result = outcomes[0][mistake.id]
    assert "Traceback" not in result.stderr and "Unhandled error" not in result.stderr, result.stderr
    assert result.returncode == mistake.code, result.stderr
    if mistake.lines:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == mistake.lines, result.stderr
    assert mistake.says in result.stderr, result.stderr
    assert "s3cret" not in result.stderr + result.stdout
    if mistake.stdout:
        assert mistake.stdout in result.stdout
    else:
        assert result.stdout == ""


def test_no_mistake_wrote_anything(outcomes):
    """No run record, no lock file, no database files, no partial export."""
    assert outcomes[1] == {"documents": {}, "var files": [], "export output": False}


def test_scrapy_crawl_names_an_argument_it_ignores(run_scrapy):
    """After Scrapy's banner (the crawl got as far as the database check), the warning and the
    one-line reason, no traceback."""
    result = run_scrapy("crawl", "fixture_fr", "-a", "max_pagse=2", env=CLOSED_DB, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert ("WARNING: -a max_pagse: the fixture_fr spider has no such argument and ignores it; "
            "did you mean -a max_pages=...?") in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("newscrawl: cannot reach MongoDB at")
