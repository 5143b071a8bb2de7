"""Operator commands: `newscrawl extract` prints the stored document, `--version`, the packaged
demo site, option range messages, the embedded database's port check, `SITES_FILE` per key."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from crawler.catalogue.sites import load_catalogue
from crawler.storage.embedded import EmbeddedServer, PortTaken, speaks_mongodb
from crawler.storage.schema import article_schema
from tests.conftest import DEMO_SITE, FIXTURES, ROOT, free_port
from tests.test_schema import schema_errors

EXPECTED = json.loads((FIXTURES / "demo_site" / "expected.json").read_text())
PS5 = "articles/la-ps5-slim-arrive-en-france-a-549-euros"
PS5_URL = f"https://www.techactu.example/{PS5}?utm_source=rss"


def newscrawl(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT,
              timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli.main", *args], cwd=cwd,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The stderr of a refused command: one line, no traceback, nothing on stdout."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _dates_as_bson(document: dict[str, Any]) -> dict[str, Any]:
    """The JSON form back to BSON types: `_id`, and the schema's date fields as datetimes."""
    dates = [name for name, spec in article_schema()["properties"].items()
             if "date" in json.dumps(spec.get("bsonType", ""))]
    out = {**document, "_id": document["url"]}
    for name in dates:
        if isinstance(out.get(name), str):
            out[name] = dt.datetime.fromisoformat(out[name].replace("Z", "+00:00"))
    return out


# --- newscrawl extract ---------------------------------------------------------------------

# Written only from the WARC archive (issue 24): where a crawled page lies, and by `reextract`.
ARCHIVE_ONLY = ("archive", "extractor_version")


def test_extract_prints_the_stored_document_with_utc_dates():
    result = newscrawl("extract", "--url", PS5_URL, str(DEMO_SITE / PS5 / "index.html"))

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == set(article_schema()["properties"]) - {"_id", *ARCHIVE_ONLY}
    assert schema_errors(_dates_as_bson(document)) == []
    assert document["published_at"] == "2023-11-08T09:00:00Z"  # page: 10:00+01:00
    assert document["updated_at"] == "2023-11-09T11:30:00Z"
    assert "utm_source" not in document["url"]
    assert document["run_id"] == "extract" and document["revision"] == 1
    assert not {"published", "lang", "is_article", "verdict", "timezone_hint", "debug"} & set(document)


def test_extract_debug_adds_the_extraction_evidence():
    result = newscrawl("extract", "--debug", "--url", PS5_URL,
                       str(DEMO_SITE / PS5 / "index.html"))

    document = json.loads(result.stdout)
    assert document.pop("debug") == {"is_article": True, "verdict": "jsonld:NewsArticle",
                                     "timezone_hint": None, "stored_by_a_crawl": True,
                                     "dropped_because": None, "evidence": {
        "title": ["jsonld+h1: 'La PS5 Slim arrive en France à 549 euros'"],
        "authors": ["jsonld: ['Jean Dupont']"]}}
    assert set(document) == set(article_schema()["properties"]) - {"_id", *ARCHIVE_ONLY}


def test_extract_manifest_prints_one_document_per_entry_in_order(tmp_path):
    manifest = tmp_path / "pages.jsonl"
    articles = EXPECTED["articles"][:3]
    manifest.write_text("".join(
        json.dumps({"file": str(DEMO_SITE / a["path"].strip("/") / "index.html"),
                    "url": "https://www.techactu.example" + a["path"], "id": str(n)}) + "\n"
        for n, a in enumerate(articles)) + "\n")

    result = newscrawl("extract", "--manifest", str(manifest))

    assert result.returncode == 0, result.stderr
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["title"] for d in documents] == [a["title"] for a in articles]


@pytest.mark.parametrize(("make_args", "says"), [
    (lambda tmp: ["--url", "https://a.example/x", str(tmp / "missing.html")], "no such file"),
    (lambda tmp: ["--manifest", str(tmp / "missing.jsonl")], "cannot read manifest"),
    (lambda tmp: ["--manifest", str(_manifest(tmp, '{"file": "%s", "url": "u"}\nnot json\n'))],
     "line 2: not JSON"),
    (lambda tmp: ["--manifest", str(_manifest(tmp, '["a list"]\n'))], "line 1: expected an object"),
    (lambda tmp: ["--manifest", str(_manifest(tmp, '{"file": "gone.html", "url": "u"}\n'))],
     "line 1: no such file"),
], ids=["missing-page", "missing-manifest", "non-json-line", "not-an-object", "missing-listed-page"])
def test_extract_mistakes_give_one_line_and_exit_code_2(tmp_path, make_args, says):
    result = newscrawl("extract", *make_args(tmp_path))

    line = one_line_error(result, 2)
    assert line.startswith("newscrawl extract: ") and says in line


def _manifest(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.html"
    shutil.copy(DEMO_SITE / PS5 / "index.html", page)
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text(text.replace("%s", page.name))
    return manifest


@pytest.mark.slow
def test_extract_gives_the_keys_and_dates_export_gives_after_a_crawl(
        fixture_site, run_scrapy, run_newscrawl, database, tmp_path):
    assert run_scrapy("crawl", "fixture_fr", site=fixture_site).returncode == 0
    exported = run_newscrawl("export", "--format", "jsonl")
    stored = {d["url"]: d for d in map(json.loads, exported.stdout.splitlines())}
    assert len(stored) == len(EXPECTED["articles"])

    manifest = tmp_path / "crawled.jsonl"
    manifest.write_text("".join(json.dumps({
        "file": str(DEMO_SITE / url.split(str(fixture_site.port), 1)[1].strip("/") / "index.html"),
        "url": document["fetched_url"]}) + "\n" for url, document in stored.items()))
    result = newscrawl("extract", "--manifest", str(manifest))
    assert result.returncode == 0, result.stderr

    for (url, document), line in zip(stored.items(), result.stdout.splitlines(), strict=True):
        extracted = json.loads(line)
        # (a crawled document also says where its page lies in the archive; a saved page does not)
        assert set(extracted) == set(document) - {"archive"}, url
        # (not `source`, `crawl_section` and so `content_hash`: extract has no catalogue entry)
        for field in ("url", "title", "subtitle", "authors", "tags", "language", "body",
                      "published_raw", "updated_raw", "image_url"):
            assert extracted[field] == document[field], (url, field)
        if (document["date_source"]["published"] or "").endswith("-offset"):
            assert extracted["published_at"] == document["published_at"], url


# --- --version, option ranges ----------------------------------------------------------------

def test_version_names_newscrawl_scrapy_and_python():
    result = newscrawl("--version")

    assert result.returncode == 0
    assert result.stdout.startswith("newscrawl 0.1.0 (Scrapy 2.19.0, Python 3.")


@pytest.mark.parametrize(("args", "option"), [
    (["export", "--limit", "-3"], "--limit"), (["export", "--limit", "many"], "--limit"),
    (["stats", "--days", "0"], "--days"),
])
def test_out_of_range_numbers_name_the_option_given(args, option):
    result = newscrawl(*args)

    assert result.returncode == 2 and "Traceback" not in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert f"argument {option}:" in message
    assert ({"--limit", "--days"} - {option}).pop() not in message


# --- SITES_FILE merged key by key ------------------------------------------------------------

def test_sites_file_overriding_one_key_keeps_the_rest_of_the_builtin_entry(tmp_path):
    override = tmp_path / "mine.toml"
    override.write_text("[sites.softonic_fr]\nmax_pages = 2\n")
    builtin = load_catalogue()["softonic_fr"]

    site = load_catalogue([override])["softonic_fr"]

    assert site.max_pages == 2
    assert (site.name, site.sections, site.feeds) == (builtin.name, builtin.sections, builtin.feeds)
    assert site.origin == str(override)
    listed = newscrawl("sites", env={"SITES_FILE": str(override)})
    assert listed.returncode == 0 and "softonic_fr" in listed.stdout, listed.stderr


def test_sites_file_override_with_a_bad_value_names_the_file_site_and_key(tmp_path):
    override = tmp_path / "mine.toml"
    override.write_text('[sites.softonic_fr]\nmax_pages = "two"\n')

    line = one_line_error(newscrawl("sites", env={"SITES_FILE": str(override)}), 2)

    assert str(override) in line and "'softonic_fr'" in line and "'max_pages'" in line


# --- the embedded database's port ------------------------------------------------------------

class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def port_held_by_a_web_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow  # waits for the server's start-up timeout: 7 s
def test_db_start_on_a_port_another_program_holds_says_so_and_exits_1(
        port_held_by_a_web_server, tmp_path):
    env = {"MONGO_URI": "", "EMBEDDED_DB_PORT": str(port_held_by_a_web_server),
           "VAR_DIR": str(tmp_path / "var")}

    started = newscrawl("db", "start", env=env)
    status = newscrawl("db", "status", env=env)
    exported = newscrawl("export", env=env)

    line = one_line_error(started, 1)
    assert "not a MongoDB server" in line and "EMBEDDED_DB_PORT" in line and "running" not in line
    assert not (tmp_path / "var" / "db.pid").exists()
    assert status.returncode == 1 and "not a MongoDB server" in status.stdout
    assert "not a MongoDB server" in one_line_error(exported, 1)


def test_a_mongodb_server_already_on_the_port_is_used_not_replaced(mongo_uri, tmp_path):
    if os.environ.get("MONGO_URI"):
        pytest.skip("the tests use an external MongoDB, not a local nx-27017 server")
    port = int(mongo_uri.rstrip("/").rsplit(":", 1)[1])
    server = EmbeddedServer(var_dir=tmp_path / "other-var", port=port)

    assert speaks_mongodb("127.0.0.1", port)
    assert server.ensure_running() == mongo_uri
    assert server.pid() is None  # nothing started


def test_a_silent_port_is_not_taken_for_a_database(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not speaks_mongodb("127.0.0.1", port, timeout=0.5)
        with pytest.raises(PortTaken):
            EmbeddedServer(var_dir=tmp_path, port=port).ensure_running()


# --- the packaged demo site ------------------------------------------------------------------

@pytest.mark.slow
def test_demo_runs_from_an_installed_wheel(mongo_uri, mongo_client, tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("crawler", "pyproject.toml", "setup.py", "README.md"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-w", str(tmp_path / "dist"), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("newscrawl-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"crawler/demo_site/index.html", "crawler/demo_site.toml", "crawler/catalogue/sites.toml"} <= names
    assert not any(n.startswith("tests/") for n in names)
    installed = tmp_path / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                    str(installed), str(wheel)], check=True, capture_output=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"  # no scrapy.cfg, no checkout on the path
    elsewhere.mkdir()
    database = f"newscrawl_demo_{free_port()}"

    result = newscrawl("demo", "--database", database, cwd=elsewhere, timeout=180,
                       env={"PYTHONPATH": str(installed), "MONGO_URI": mongo_uri,
                            "VAR_DIR": str(tmp_path / "var")})

    assert result.returncode == 0, result.stderr[-3000:]
    assert f"{len(EXPECTED['articles'])} articles in {database}.articles" in result.stdout
    assert str(installed) in subprocess.run(
        [sys.executable, "-c", "import crawler; print(crawler.__file__)"], cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(installed)}, capture_output=True, text=True).stdout
    from crawler.storage.connection import drop_database
    drop_database(mongo_client[database])
