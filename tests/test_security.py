"""Security: no password in any output, no request to a private address or an off-site host,
no page content as a MongoDB key (the last one: tests/test_hostile_input.py, JSON-LD)."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.test import get_crawler
from twisted.internet import defer

from crawler.devserver import StaticSite
from crawler.links.urls import mask_uri
from crawler.middlewares import security
from crawler.middlewares.security import PrivateAddressMiddleware, refused_address
from tests.conftest import _command_runner
from tests.test_hostile_input import article

PASSWORD = "hunter2-s3cret"

# --- private addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "refused"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("10.0.0.1", True), ("172.16.5.4", True),
    ("192.168.1.1", True), ("169.254.169.254", True), ("100.64.0.1", True), ("0.0.0.0", True),
    ("224.0.0.1", True), ("::1", True), ("fe80::1%eth0", True), ("fd00::1", True),
    ("::ffff:127.0.0.1", True), ("::ffff:10.0.0.1", True),
    ("93.184.216.34", False), ("2606:2800:220:1:248:1893:25c8:1946", False),
    ("example.com", False),  # not an address: names are resolved first
])
def test_refused_address(address, refused):
    assert refused_address(address) is refused


def _middleware(monkeypatch: pytest.MonkeyPatch, resolved: dict[str, list[str]],
                **settings: Any) -> tuple[PrivateAddressMiddleware, list[str]]:
    lookups: list[str] = []

    def resolve(host: str) -> list[str]:
        lookups.append(host)
        return resolved.get(host, [])

    # no reactor here: run the resolver inline instead of in the reactor's thread pool
    monkeypatch.setattr(security, "deferToThread", lambda f, *a: defer.succeed(f(*a)))
    monkeypatch.setattr(security, "maybe_deferred_to_future", lambda d: d)
    monkeypatch.setattr(security, "resolve_host", resolve)
    crawler = get_crawler(settings_dict=settings)
    return PrivateAddressMiddleware.from_crawler(crawler), lookups


def test_names_are_resolved_once_per_host_and_refused_when_any_address_is_private(monkeypatch):
    mw, lookups = _middleware(monkeypatch, {
        "news.example": ["93.184.216.34"],
        "intranet.example": ["93.184.216.35", "10.1.2.3"],  # one private address is enough
    })
    fetch = asyncio.run
    for _ in range(3):
        assert fetch(mw.process_request(Request("https://news.example/a"))) is None
        with pytest.raises(IgnoreRequest, match=r"10\.1\.2\.3"):
            fetch(mw.process_request(Request("https://intranet.example/a")))
    with pytest.raises(IgnoreRequest):
        fetch(mw.process_request(Request("http://169.254.169.254/latest/meta-data/")))
    with pytest.raises(IgnoreRequest):
        fetch(mw.process_request(Request("http://[::1]:8080/")))
    assert fetch(mw.process_request(Request("http://93.184.216.34/"))) is None
    assert fetch(mw.process_request(Request("https://unresolvable.example/"))) is None
    assert sorted(lookups) == ["intranet.example", "news.example", "unresolvable.example"]
    assert mw.stats.get_value("security/refused_private") == 5


def test_refused_hosts_are_logged_once_each(monkeypatch, caplog):
    mw, _ = _middleware(monkeypatch, {"intranet.example": ["192.168.0.10"]})
    with caplog.at_level("DEBUG", logger="crawler.middlewares.security"):
        for path in ("a", "b", "c"):
            with pytest.raises(IgnoreRequest):
                asyncio.run(mw.process_request(Request(f"https://intranet.example/{path}")))
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "intranet.example" in warnings[0].getMessage()


def test_allow_private_addresses_switches_the_check_off():
    with pytest.raises(NotConfigured, match="ALLOW_PRIVATE_ADDRESSES"):
        PrivateAddressMiddleware.from_crawler(get_crawler(settings_dict={
            "ALLOW_PRIVATE_ADDRESSES": True}))


LOCAL_CATALOGUE = """
[sites.local_hosts]
name = "A site on this machine"
domains = ["127.0.0.1", "localhost"]
language = "fr"
timezone = "Europe/Paris"
sections = { literal = "http://127.0.0.1:PORT/actualites/", name = "http://localhost:PORT/jeux/" }
article_patterns = ['^/articles/[\\w-]+/?$']
"""


@pytest.mark.slow
def test_a_catalogue_site_on_a_private_address_is_never_requested(fixture_site, run_scrapy,
                                                                   database, tmp_path):
    catalogue = tmp_path / "local.toml"
    catalogue.write_text(LOCAL_CATALOGUE.replace("PORT", str(fixture_site.port)))
    result = run_scrapy("crawl", "local_hosts", site=fixture_site,
                        env={"SITES_FILE": str(catalogue), "ALLOW_PRIVATE_ADDRESSES": "false"})
    assert result.returncode != 0
    assert result.stderr.strip().endswith("run failed: no response received")
    assert result.requests == []  # not even robots.txt
    assert re.search(r"'security/refused_private': 2\b", result.stderr)
    refusals = [line for line in result.stderr.splitlines() if "WARNING: refused requests to" in line]
    assert len(refusals) == 2  # one per host: the IP literal, and the name resolved in a thread
    assert any("refused requests to localhost" in line for line in refusals)
    assert database["articles"].count_documents({}) == 0
    run = database["crawl_runs"].find_one({"spider": "local_hosts"})
    assert run["failed"] and run["failure_reason"] == "no response received"


# --- off-site redirects ------------------------------------------------------------------------

REDIRECT_CATALOGUE = """
[sites.redirecting]
name = "A site whose article moved to another host"
domains = DOMAINS
language = "fr"
timezone = "Europe/Paris"
sections = { news = "BASE_URL/news/" }
article_patterns = ['^/articles/[\\w-]+/?$']
"""


@pytest.mark.slow
def test_a_redirect_to_another_host_is_followed_when_the_catalogue_allows_it(run_scrapy, database,
                                                                             tmp_path):
    # and not followed when it does not: tests/test_hostile_input.py, /articles/redirect-away
    (tmp_path / "a" / "news").mkdir(parents=True)
    (tmp_path / "b" / "articles" / "moved").mkdir(parents=True)
    (tmp_path / "b" / "articles" / "moved" / "index.html").write_text(article("Déménagé"))
    with StaticSite(tmp_path / "b") as other:
        target = f"http://localhost:{other.port}/articles/moved"
        with StaticSite(tmp_path / "a", redirects={"/articles/away": target}) as site:
            (tmp_path / "a" / "news" / "index.html").write_text('<a href="/articles/away">x</a>')
            catalogue = tmp_path / "redirecting.toml"
            catalogue.write_text(REDIRECT_CATALOGUE.replace("BASE_URL", site.base_url)
                                 .replace("DOMAINS", json.dumps(["127.0.0.1", "localhost"])))
            result = run_scrapy("crawl", "redirecting", site=site,
                                env={"SITES_FILE": str(catalogue)})
            served_elsewhere = other.paths()
    assert result.returncode == 0, result.stderr[-3000:]
    assert "/articles/away" in result.requests
    assert "/articles/moved" in served_elsewhere
    assert [d["title"] for d in database["articles"].find()] == ["Déménagé"]
    assert not re.search(r"'offsite/filtered'", result.stderr)


# --- MONGO_URI credentials ---------------------------------------------------------------------


def _with_password(uri: str) -> str:
    return uri.replace("mongodb://", f"mongodb://newscrawl:{PASSWORD}@", 1)


@pytest.mark.slow
@pytest.mark.parametrize("program", ["scrapy", "newscrawl"])
def test_a_refused_password_is_masked_in_the_one_line_error(run_scrapy, run_newscrawl, mongo_uri,
                                                           fixture_site, program):
    # the test server has no users: it refuses any credentials, after a connection
    run = run_scrapy if program == "scrapy" else run_newscrawl
    result = run("crawl", "fixture_fr", site=fixture_site,
                 env={"MONGO_URI": _with_password(mongo_uri), "LOG_LEVEL": "DEBUG"})
    assert result.returncode != 0
    assert PASSWORD not in result.stderr + result.stdout
    assert "newscrawl:***@" in result.stderr + result.stdout  # `newscrawl crawl` reports on stdout
    assert "Traceback" not in result.stderr
    assert result.requests == []


# nx-27017 accepts no credentials: the child process drops them just before pymongo sees them,
# so everything above pymongo (settings, logs, run records, errors) still has the password.
_STRIP_CREDENTIALS = """
import sys
from urllib.parse import urlsplit
import crawler.storage.connection as storage
real = storage.MongoClient
def client(uri, *args, **kwargs):
    parts = urlsplit(uri)
    return real(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl(), *args, **kwargs)
storage.MongoClient = client
from scrapy.cmdline import execute
sys.argv = ["scrapy", *sys.argv[1:]]
execute()
"""


@pytest.mark.slow
def test_a_password_in_mongo_uri_never_reaches_logs_stats_or_records(
        mongo_uri, database_name, database, tmp_path, fixture_site):
    run = _command_runner([sys.executable, "-c", _STRIP_CREDENTIALS], mongo_uri, database_name,
                          tmp_path)
    result = run("crawl", "fixture_fr", site=fixture_site,
                 env={"MONGO_URI": _with_password(mongo_uri), "LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert database["articles"].count_documents({}) > 0  # the crawl did store
    assert "Overridden settings" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    for collection in database.list_collection_names():
        for document in database[collection].find():
            assert PASSWORD not in json.dumps(document, default=str), collection


@pytest.mark.parametrize("uri", [
    f"mongodb://bob:{PASSWORD}@db.example:27017/x?authSource=admin",
    f"mongodb+srv://bob:{PASSWORD}@cluster.example/x",
    f"mongodb://bob:{PASSWORD}@h1:1,h2:2/?replicaSet=r",
    f"mongodb://bob:{PASSWORD}/x@db.example/",
])
def test_mask_uri_hides_the_password(uri):
    masked = mask_uri(uri)
    assert PASSWORD not in masked and "bob:***@" in masked


def test_mask_uri_hides_a_password_with_an_unescaped_at_sign():
    assert "ss-word" not in mask_uri("mongodb://bob:p@ss-word@db.example/")
