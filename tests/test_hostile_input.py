"""Bad input end to end: a hostile site built at test time, crawled by the real spider into a real
database. The crawl survives every page; each page is stored, or dropped with its reason counted.

One crawl of the hostile site serves every test of this module (crawls are what cost time).
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crawler.devserver import StaticSite
from tests.conftest import CrawlResult, _command_runner

pytestmark = pytest.mark.slow

PARAGRAPH = ("Le constructeur a présenté mardi sa nouvelle gamme de processeurs pour ordinateurs "
             "portables, avec une autonomie annoncée en hausse et une puce graphique intégrée plus "
             "rapide que la génération précédente, selon les premiers tests publiés.")

CATALOGUE = """
[sites.hostile]
name = "Hostile pages"
domains = ["127.0.0.1"]
language = "fr"
timezone = "Europe/Paris"
sections = { hostile = "BASE_URL/hostile/" }
article_patterns = ['^/articles/[\\w-]+/?$']
max_pages = 1
"""


def article(title: str, *, jsonld: Any = None, jsonld_text: str | None = None,
            head: str = "", body_extra: str = "", paragraphs: int = 4,
            published: str | None = "2024-03-05T10:00:00+01:00") -> str:
    """An article page: JSON-LD NewsArticle unless `jsonld`/`jsonld_text` says otherwise."""
    if jsonld is None and jsonld_text is None:
        jsonld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                  "author": {"@type": "Person", "name": "Jeanne Martin"}}
        if published is not None:
            jsonld["datePublished"] = published
    if jsonld_text is None:
        jsonld_text = json.dumps(jsonld, ensure_ascii=False)
    text = "\n".join(f"<p>{PARAGRAPH}</p>" for _ in range(paragraphs))
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title>'
            f'{head}<script type="application/ld+json">{jsonld_text}</script></head>'
            f"<body><article><h1>{title}</h1>{body_extra}{text}</article></body></html>")


def og_article(title: str, *, jsonld_text: str) -> str:
    """An article whose JSON-LD is unusable: OpenGraph and the page itself must carry it."""
    head = ('<meta property="og:type" content="article">'
            '<meta property="article:published_time" content="2024-03-05T10:00:00+01:00">')
    return article(title, jsonld_text=jsonld_text, head=head)


def nested_divs(depth: int) -> str:
    return "<div>" * depth + f"<p>{PARAGRAPH}</p>" + "</div>" * depth


def pages() -> dict[str, str | bytes]:
    """path -> content of every page of the hostile site (listing links added by `build`)."""
    good = article("Article témoin")
    operator_jsonld = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": "Clés hostiles",
        "datePublished": "2024-03-05T10:00:00+01:00", "$where": "sleep(1000)", "a.b": 1,
        "author": {"@type": "Person", "name": "Eve", "$gt": "", "name.first": "x"},
        "keywords": [{"$where": 1}, "sécurité"], "publisher": {"$ne": None, "name": "Org.Name"},
        "image": {"url": "http://127.0.0.1/i.png", "$set": {"admin": True}},
        "articleSection": {"$in": ["a"]}, "about": {"x.y": {"$where": "1"}},
    }
    return {
        # --- HTML
        "articles/good-control": good,
        "articles/html-truncated": good[: len(good) * 2 // 3],
        "articles/html-nested": article("Article imbriqué", body_extra=nested_divs(5000)),
        "articles/html-nested-after-text": article("Article suivi d'un imbriqué",
                                                    paragraphs=0, body_extra="".join(
                                                        f"<p>{PARAGRAPH}</p>" for _ in range(4))
                                                    + nested_divs(5000)),
        "articles/html-binary": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40,
        "articles/html-gzip": b"\x1f\x8b\x08\x00" + bytes(range(256)) * 40,
        "articles/html-wrong-charset": article("Café déjà vu à Noël").encode("cp1252"),
        "articles/html-empty": b"",
        # --- JSON-LD
        "articles/jsonld-invalid": og_article("JSON-LD cassé",
                                                   jsonld_text='{"@type": "NewsArticle", "headline": '),
        "articles/jsonld-huge": og_article(
            "JSON-LD énorme", jsonld_text=json.dumps({"@type": "NewsArticle", "headline": "x",
                                                      "articleBody": "y" * 3_000_000})),
        "articles/jsonld-nested": og_article("JSON-LD imbriqué",
                                                  jsonld_text="[" * 100_000 + "]" * 100_000),
        "articles/jsonld-nested-objects": article(
            "JSON-LD objets imbriqués",
            jsonld_text=json.dumps({"@type": "NewsArticle", "headline": "Objets imbriqués",
                                    "datePublished": "2024-03-05T10:00:00+01:00",
                                    "author": _deep({"name": "Profond"}, 500)})),
        "articles/jsonld-wrong-type": og_article(
            "JSON-LD d'un autre type",
            jsonld_text=json.dumps([{"@type": 42}, {"@type": ["Person"], "name": "x"}, "texte", 7,
                                    None, {"@graph": "pas une liste"}])),
        "articles/jsonld-strings-for-lists": article(
            "JSON-LD chaînes au lieu de listes",
            jsonld={"@type": "NewsArticle", "headline": "Chaînes", "author": "Jean Dupont",
                    "keywords": "matériel, processeurs", "image": 5, "@graph": "x",
                    "datePublished": ["2024-03-05T10:00:00+01:00"], "mainEntity": "y",
                    "publisher": ["Org"], "articleSection": 12}),
        "articles/jsonld-operators": article("Clés hostiles", jsonld=operator_jsonld),
        # --- dates
        "articles/date-impossible": article("Date impossible", published="31 février 2024"),
        "articles/date-future": article("Date future", published="2999-01-01T00:00:00Z"),
        "articles/date-before-1995": article("Date ancienne", published="1990-05-01"),
        "articles/date-only-time": article("Heure seule", published="14:30"),
        "articles/date-only-weekday": article("Jour seul", published="mercredi"),
        "articles/date-unknown-language": article("Langue inconnue",
                                                       published="5 березня 2024"),
        "articles/date-disagree": article(
            "Dates en désaccord", published="2024-03-05T10:00:00+01:00",
            head='<meta property="article:published_time" content="2023-01-01T08:00:00Z">',
            body_extra='<time datetime="2022-06-01T12:00:00Z">1 juin 2022</time>'
                       "<p>Publié le 3 février 2021 à 9h00</p>"),
        # --- URLs
        "articles/rel-target": article("Lien relatif"),
        "articles/protocol-relative": article("Lien sans protocole"),
        "articles/control-chars": article("Caractères de contrôle"),
        "articles/moved-target": article("Redirection interne"),
    }


def _deep(leaf: dict[str, Any], depth: int) -> dict[str, Any]:
    node = leaf
    for _ in range(depth):
        node = {"@type": "Person", "name": node}
    return node


HUGE_PATH = "articles/html-huge"
OFFSITE_REDIRECT = "/articles/redirect-away"
ONSITE_REDIRECT = "/articles/moved"
LISTING_HREFS = [
    "../articles/rel-target",  # relative
    "//127.0.0.1:PORT/articles/protocol-relative",  # protocol-relative
    "/articles/control&#9;-&#10;chars",  # tab and newline inside the path
    "/articles/\x01\x7fcontrol-chars",  # raw control characters (same URL once cleaned)
    "javascript:alert(document.cookie)",
    "JavaScript:void(0)",
    "mailto:redaction@example.com",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "tel:+33100000000",
    "http://bücher.example/articles/idn-host",  # IDN host, off-site
    "http://xn--bcher-kva.example/articles/idn-punycode",
    "/articles/" + "a" * 5000,  # too long
    "http://evil.example/articles/off-site",
    "https://127.0.0.1.evil.example/articles/lookalike",
    "http://[::1]:PORT/articles/ipv6-loopback",
    "http://127.0.0.1:PORT:80/articles/bad-port",
    OFFSITE_REDIRECT,
    ONSITE_REDIRECT,
    "#top",
    "",
]


@dataclass
class HostileCrawl:
    result: CrawlResult
    served: list[str]
    offsite_served: list[str]
    documents: dict[str, dict[str, Any]]  # by path
    stats: dict[str, Any]
    run: dict[str, Any]


def build(root: Path, port_placeholder: str = "PORT") -> None:
    for path, content in pages().items():
        file = root / path / "index.html"  # StaticSite serves /a/b from a/b/index.html
        file.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            file.write_bytes(content)
        else:
            file.write_text(content, encoding="utf-8")
    (root / HUGE_PATH).mkdir(parents=True)
    with (root / HUGE_PATH / "index.html").open("wb") as handle:  # 20 MB: above DOWNLOAD_MAXSIZE (10 MB)
        handle.write(article("Article énorme").encode() + b"<!--" + b"x" * 20_000_000 + b"-->")
    links = [p.removesuffix("") for p in pages() if p.startswith("articles/")
             and "/rel-target" not in p and "/protocol-relative" not in p
             and "/control-chars" not in p and "/moved-target" not in p]
    hrefs = [f"/{p}" for p in [*links, HUGE_PATH.removesuffix("")]] + LISTING_HREFS
    anchors = "\n".join(f'<a href="{h}">lien</a>' for h in hrefs)
    (root / "hostile").mkdir()
    (root / "hostile" / "index.html").write_text(
        f"<!DOCTYPE html><html><head><title>Hostile</title></head><body>{anchors}</body></html>",
        encoding="utf-8")


def _stats_from_log(stderr: str) -> dict[str, Any]:
    match = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n\d{4}-", stderr, re.S)
    assert match, stderr[-3000:]
    text = re.sub(r"datetime\.datetime\([^)]*\)", "None", match.group(1))
    return dict(eval(text, {"None": None}))  # the stats dump is a Python literal


@pytest.fixture(scope="module")
def hostile(mongo_uri: str, mongo_client: Any,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileCrawl]:
    tmp = tmp_path_factory.mktemp("hostile")
    root = tmp / "site"
    root.mkdir()
    name = f"newscrawl_test_{uuid.uuid4().hex[:10]}"
    database = mongo_client[name]
    with StaticSite(tmp / "offsite") as offsite:
        redirects = {OFFSITE_REDIRECT: f"http://localhost:{offsite.port}/articles/stolen",
                     ONSITE_REDIRECT: "/articles/moved-target"}
        with StaticSite(root, redirects=redirects) as site:
            build(root)
            index = root / "hostile" / "index.html"
            index.write_text(index.read_text(encoding="utf-8").replace("PORT", str(site.port)),
                             encoding="utf-8")
            catalogue = tmp / "hostile.toml"
            catalogue.write_text(CATALOGUE.replace("BASE_URL", site.base_url), encoding="utf-8")
            run = _command_runner([sys.executable, "-m", "scrapy"], mongo_uri, name, tmp)
            result = run("crawl", "hostile", site=site, env={"SITES_FILE": str(catalogue)})
            offsite_served = offsite.paths()
    try:
        documents = {}
        for document in database["articles"].find({}, {"_id": 0}):
            documents[document["url"].split(str(site.port), 1)[1]] = document
        runs = list(database["crawl_runs"].find({}, {"_id": 0}))
        assert len(runs) == 1
        yield HostileCrawl(result, result.requests, offsite_served, documents,
                           _stats_from_log(result.stderr), runs[0])
    finally:
        database.client.drop_database(name)



# What happens to each page: stored, or not stored with the stats key that counts it.
NOT_STORED = {
    "/articles/html-binary": "article/not_article",
    "/articles/html-gzip": "article/not_article",
    "/articles/html-empty": "article/not_article",
    "/articles/html-nested": "validate/dropped/no_body",  # text after 5,000 nested divs: lxml
    "/articles/html-huge": "download/too_large",  # stops at its depth limit (256), see report
}
DATE_ERRORS = {
    "/articles/date-impossible": "unparseable",
    "/articles/date-future": "future",
    "/articles/date-before-1995": "before-1995",
    "/articles/date-only-time": "unparseable",
    "/articles/date-only-weekday": "unparseable",
    "/articles/date-unknown-language": "unparseable",
}


def article_paths() -> set[str]:
    return {f"/{p}" for p in pages() if p.startswith("articles/")} | {f"/{HUGE_PATH}"}


def test_the_crawl_survives_and_every_page_is_stored_or_counted(hostile):
    assert hostile.result.returncode == 0, hostile.result.stderr[-3000:]
    assert "Traceback" not in hostile.result.stderr
    assert "log_count/ERROR" not in hostile.stats
    assert hostile.run["status"] == "ok", hostile.run
    expected_stored = article_paths() - set(NOT_STORED)
    assert set(hostile.documents) == expected_stored  # nothing lost, nothing extra
    counted: dict[str, int] = {}
    for key in NOT_STORED.values():
        counted[key] = counted.get(key, 0) + 1
    for key, count in counted.items():
        assert hostile.stats.get(key) == count, key
    # the run record accounts for every page not stored, the oversize one included
    assert hostile.run["dropped"] == {"not_article": 3, "no_body": 1, "too_large": 1}
    assert hostile.stats["store/inserted"] == len(expected_stored)
    assert hostile.stats["item_scraped_count"] == len(expected_stored)


def test_no_page_is_downloaded_twice_and_no_document_is_duplicated(hostile):
    article_requests = [p for p in hostile.served if p.startswith("/articles/")]
    assert len(article_requests) == len(set(article_requests))
    urls = [d["url"] for d in hostile.documents.values()]
    assert len(urls) == len(set(urls))


def test_broken_html_is_stored_with_what_could_be_read(hostile):
    docs = hostile.documents
    assert docs["/articles/html-truncated"]["title"] == "Article témoin"
    assert PARAGRAPH in docs["/articles/html-truncated"]["body"]
    assert PARAGRAPH in docs["/articles/html-nested-after-text"]["body"]
    # declared UTF-8, written in cp1252: read as cp1252, counted and logged once
    assert docs["/articles/html-wrong-charset"]["title"] == "Café déjà vu à Noël"
    assert "\ufffd" not in docs["/articles/html-wrong-charset"]["body"]
    assert hostile.stats["article/charset_mismatch"] == 1
    assert hostile.result.stderr.count("wrong charset declaration") == 1


def test_a_page_above_download_maxsize_is_refused_and_counted_not_failed(hostile):
    assert hostile.stats["download/too_large"] == 1
    assert "downloader/exception_count" not in hostile.stats
    assert hostile.run["download_errors"] == 0
    assert "/articles/html-huge" not in hostile.documents


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def test_hostile_jsonld_never_becomes_a_key_and_the_article_is_kept(hostile):
    for path, document in hostile.documents.items():
        bad = [k for k in _keys(document) if k.startswith("$") or "." in k or "\x00" in k]
        assert not bad, (path, bad)
    operators = hostile.documents["/articles/jsonld-operators"]
    assert operators["title"] == "Clés hostiles"
    assert operators["authors"] == ["Eve"]
    assert operators["published_at"] is not None
    lists = hostile.documents["/articles/jsonld-strings-for-lists"]
    assert lists["authors"] == ["Jean Dupont"]
    assert isinstance(lists["tags"], list) and all(isinstance(t, str) for t in lists["tags"])
    for name in ("invalid", "huge", "nested", "wrong-type"):  # JSON-LD unusable: meta tags and
        document = hostile.documents[f"/articles/jsonld-{name}"]  # the page itself suffice
        assert document["published_raw"]["where"] == "meta:article:published_time", name
        assert PARAGRAPH in document["body"], name
    assert hostile.documents["/articles/jsonld-nested-objects"]["authors"] == []


def test_bad_dates_are_stored_as_null_and_counted_once_per_kind(hostile):
    for path in DATE_ERRORS:
        document = hostile.documents[path]
        assert document["published_at"] is None, path
        assert document["published_raw"]["where"] == "jsonld", path
    for error in set(DATE_ERRORS.values()):
        count = sum(1 for e in DATE_ERRORS.values() if e == error)
        assert hostile.stats[f"dates/published/{error}"] == count, error
        warnings = [line for line in hostile.result.stderr.splitlines()
                    if "WARNING: published date" in line and line.rstrip().endswith(
                        f"{error} (further cases are counted, not logged)")]
        assert len(warnings) == 1, error
    assert hostile.run["date_parse_failures"] == len(DATE_ERRORS)
    # several dates that disagree: the JSON-LD one wins, the others are not errors
    disagree = hostile.documents["/articles/date-disagree"]
    assert disagree["published_at"].isoformat() == "2024-03-05T09:00:00+00:00"


def test_bad_links_are_never_requested_and_nothing_off_site_is_followed(hostile):
    listing = {"/robots.txt", "/hostile/"}
    redirects = {OFFSITE_REDIRECT, ONSITE_REDIRECT}
    assert set(hostile.served) == listing | redirects | (article_paths() - redirects)
    # relative, protocol-relative and control-character links reach their article
    for path in ("/articles/rel-target", "/articles/protocol-relative", "/articles/control-chars"):
        assert path in hostile.documents, path
    # a 301 to another host is not followed; one on the site is, and stored under its target
    assert hostile.offsite_served == []
    assert hostile.stats["offsite/filtered"] == 1
    assert "/articles/moved-target" in hostile.documents
    assert "/articles/stolen" not in hostile.documents


# --- catalogue and settings: refused at start, one line naming file, site and key ---------------

WRONG_TYPE = """[sites.bad_site]
name = "Bad"
domains = "127.0.0.1"
language = "fr"
timezone = "Europe/Paris"
sections = { a = "http://127.0.0.1:9/a/" }
article_patterns = ['^/a/']
"""
UNKNOWN_KEY = WRONG_TYPE.replace('domains = "127.0.0.1"', 'domains = ["127.0.0.1"]\nmax_page = 3')


@pytest.mark.parametrize(("program", "args", "catalogue", "key", "problem"), [
    ("scrapy", ("list",), WRONG_TYPE, "domains", "must be a list, got str"),
    ("scrapy", ("crawl", "fixture_fr"), UNKNOWN_KEY, "max_page", "unknown key"),
    ("newscrawl", ("crawl", "--all"), WRONG_TYPE, "domains", "must be a list, got str"),
])
def test_a_bad_catalogue_stops_every_command_with_one_line(run_scrapy, run_newscrawl, tmp_path,
                                                           program, args, catalogue, key, problem):
    bad = tmp_path / "bad.toml"
    bad.write_text(catalogue, encoding="utf-8")
    run = run_scrapy if program == "scrapy" else run_newscrawl
    result = run(*args, env={"SITES_FILE": str(bad)}, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"newscrawl: bad site catalogue: {bad}: site 'bad_site', key {key!r}: "
        + result.stderr.split(f"key {key!r}: ", 1)[1].strip()
    ]
    assert problem in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("args", "name", "value", "problem"), [
    (("crawl", "fixture_fr"), "CONCURRENT_REQUESTS", "lots", "expected an integer"),
    (("list",), "ALLOW_PRIVATE_ADDRESSES", "perhaps", "expected true or false"),
])
def test_a_bad_setting_stops_the_command_with_one_line(run_scrapy, args, name, value, problem):
    result = run_scrapy(*args, env={name: value}, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"newscrawl: bad setting: environment variable {name}={value!r}: {problem}"]
