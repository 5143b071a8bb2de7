"""Shared test fixtures: the fixture site on 127.0.0.1, a database server, a fresh database.

The database is the MongoDB that `MONGO_URI` names when it is set, else an nx-27017 server this
test session starts on a free port (through `crawler.storage.embedded`, as the embedded default does) and
stops at the end. Each test gets its own database name, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from crawler.devserver import StaticSite
from crawler.storage.connection import connect, drop_database
from crawler.storage.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The demo site ships inside the package (`newscrawl demo`); the tests serve the same files.
DEMO_SITE = ROOT / "crawler" / "demo_site"
DEMO_CATALOGUE = ROOT / "crawler" / "demo_site.toml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("MONGO_URI")
    if configured:
        yield configured
        return
    server = EmbeddedServer(var_dir=tmp_path_factory.mktemp("nx"), port=free_port())
    uri = server.ensure_running()
    try:
        yield uri
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mongo_client(mongo_uri: str) -> Iterator[Any]:
    """The test session's one client (the crawls under test open their own, in their process)."""
    client = connect(mongo_uri, "admin").client
    yield client
    client.close()


@pytest.fixture
def database_name(mongo_client: Any) -> Iterator[str]:
    name = f"newscrawl_test_{uuid.uuid4().hex[:10]}"
    yield name
    drop_database(mongo_client[name])


@pytest.fixture
def database(mongo_client: Any, database_name: str) -> Any:
    return mongo_client[database_name]


@pytest.fixture
def fixture_site() -> Iterator[StaticSite]:
    with StaticSite(DEMO_SITE) as site:
        yield site


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def site_copy(tmp_path: Path) -> Iterator[tuple[StaticSite, Path]]:
    """The fixture site served from a copy that a test may change between runs."""
    root = tmp_path / "site"
    shutil.copytree(DEMO_SITE, root)
    with StaticSite(root) as site:
        yield site, root


def crawl_env(mongo_uri: str, database_name: str, tmp_path: Path, site: Any = None,
              extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a crawl subprocess: test database, fixture catalogue, no throttling."""
    sites_file = tmp_path / "sites.toml"
    base = site.base_url if site else "http://127.0.0.1:9"
    sites_file.write_text(DEMO_CATALOGUE.read_text().replace("BASE_URL", base))
    return {
        **os.environ,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": database_name,
        "SITES_FILE": str(sites_file),
        "AUTOTHROTTLE_ENABLED": "false",
        "ALLOW_PRIVATE_ADDRESSES": "true",  # the fixture sites are on 127.0.0.1
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "INFO",
        **(extra or {}),
    }


def _command_runner(program: list[str], mongo_uri: str, database_name: str, tmp_path: Path) -> Any:
    def run(*args: str, site: StaticSite | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> CrawlResult:
        full_env = crawl_env(mongo_uri, database_name, tmp_path, site, env)
        before = len(site.paths()) if site else 0
        proc = subprocess.run([*program, *args], cwd=ROOT, env=full_env,
                              capture_output=True, text=True, timeout=timeout)
        return CrawlResult(proc.returncode, proc.stdout, proc.stderr,
                           site.paths()[before:] if site else [])

    return run


@pytest.fixture
def run_scrapy(mongo_uri: str, database_name: str, tmp_path: Path) -> Any:
    """Run `scrapy ARGS` in a subprocess against the test database and fixture catalogue."""
    return _command_runner([sys.executable, "-m", "scrapy"], mongo_uri, database_name, tmp_path)


@pytest.fixture
def run_newscrawl(mongo_uri: str, database_name: str, tmp_path: Path) -> Any:
    """Run `newscrawl ARGS` in a subprocess against the test database and fixture catalogue."""
    return _command_runner([sys.executable, "-m", "crawler.cli.main"], mongo_uri, database_name, tmp_path)
