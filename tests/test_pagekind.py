"""Article or listing, decided per page: real articles are never listings, listings never articles.

The real article pages are the 427 of ../shared/eval (dev + wide, all articles); the listing pages
are real ones saved by public projects (tests/fixtures/listings, sources in its README) and the
generated sites' home, section, pagination, tag, author and search pages.

Cost, measured with the eval pages (`python -m pytest tests/test_pagekind.py -k cost -s`): about
0.1 ms per page on top of parsing (2.3 ms per page), since an article page with article markup
at an article-shaped URL is settled without reading the layout; reading the layout costs ~1 ms.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bench import sitegen as bench_sitegen
from crawler.extract.page import ArticlePage
from crawler.extract.pagekind import PageKind, classify_page
from tests.conftest import DEMO_SITE, FIXTURES
from tests.sitegen import generate

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval"
EVAL_SETS = [EVAL_DIR / "dev" / "truth.jsonl", EVAL_DIR / "wide" / "truth.jsonl"]
LISTINGS = FIXTURES / "listings"
REAL_LISTINGS = {
    "engadget-news.html": "https://www.engadget.com/news/",
    "cnn-international-home.html": "http://edition.cnn.com/",
}


def _eval_pages() -> list[tuple[str, str, str]]:
    pages = []
    for truth in EVAL_SETS:
        for line in truth.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            html = (truth.parent / row["file"]).read_text(encoding="utf-8", errors="replace")
            pages.append((row["id"], row.get("url") or "", html))
    return pages


needs_eval = pytest.mark.skipif(not all(p.is_file() for p in EVAL_SETS),
                                reason=f"eval sets not found at {EVAL_DIR} (beside the project)")


@needs_eval
def test_no_real_article_page_is_called_a_listing():
    pages = _eval_pages()
    assert len(pages) == 427

    listings = [(page_id, ArticlePage(url, html).page_kind.reason)
                for page_id, url, html in pages
                if ArticlePage(url, html).page_kind.kind is PageKind.LISTING]

    assert listings == []


@needs_eval
def test_classifier_costs_little_next_to_parsing(capsys):
    pages = [ArticlePage(url, html) for _, url, html in _eval_pages()]
    start = time.perf_counter()
    for page in pages:  # parse first: the classifier reuses the tree, JSON-LD and meta tags
        _ = page.tree, page.jsonld, page.meta
    parsing = time.perf_counter() - start
    start = time.perf_counter()
    for page in pages:
        classify_page(page.url, page.tree, jsonld=page.jsonld, meta=page.meta)
    classifying = time.perf_counter() - start
    with capsys.disabled():
        print(f"\npage classifier: {classifying * 1000 / len(pages):.3f} ms per eval page, "
              f"{classifying / parsing:.2f}x the parsing")
    # a ratio, not a time: measured 0.03-0.07x; quadratic work on a large page would pass 1x
    assert classifying < parsing


@pytest.mark.parametrize("name", sorted(REAL_LISTINGS))
def test_real_listing_page_is_not_an_article(name):
    page = ArticlePage(REAL_LISTINGS[name], (LISTINGS / name).read_text(encoding="utf-8"))

    is_article, reason = page.article_verdict()

    assert page.page_kind.kind is PageKind.LISTING, page.page_kind.reason
    assert not is_article and reason.startswith("listing: ")


def _fixture_site_pages() -> list[tuple[str, str]]:
    root = DEMO_SITE
    out = []
    for file in sorted(root.rglob("index.html")):
        path = "/" + file.relative_to(root).parent.as_posix().strip(".") + "/"
        out.append((path.replace("//", "/"), file.read_text(encoding="utf-8")))
    return out


@pytest.mark.parametrize(("path", "html"), _fixture_site_pages(), ids=lambda v: v[:40])
def test_fixture_site_pages_are_told_apart(path, html):
    page = ArticlePage(f"http://127.0.0.1:8000{path}", html)

    kind = page.page_kind.kind

    if path.startswith("/articles/") and path != "/articles/videos/":
        assert kind is PageKind.ARTICLE, page.page_kind.reason
    elif path.startswith(("/tag/", "/auteur/", "/actualites/", "/jeux/", "/recherche/")) or path == "/":
        assert kind is PageKind.LISTING, page.page_kind.reason


@pytest.mark.parametrize("traps", [False, True], ids=["plain", "article-stamped-listings"])
def test_generated_news_site_listings_are_listings_and_articles_articles(tmp_path, traps):
    articles = generate(tmp_path, count=80, traps=traps)
    listings = ["/", "/tech/", "/tech/page/2/", "/tag/ia/", "/auteur/jean-dupont/"]

    kinds = {path: ArticlePage(f"http://127.0.0.1:8000{path}",
                               (tmp_path / path.lstrip("/") / "index.html").read_text()).page_kind
             for path in listings}
    article_kinds = {a.path: ArticlePage(f"http://127.0.0.1:8000{a.path}", (
        tmp_path / a.path.lstrip("/") / ("index.html" if a.path.endswith("/") else "")
    ).read_text()).page_kind.kind for a in articles if a.path.endswith("/")}

    assert {p: k.kind for p, k in kinds.items()} == dict.fromkeys(listings, PageKind.LISTING)
    assert PageKind.LISTING not in article_kinds.values()


def test_benchmark_site_listings_are_listings(tmp_path):
    bench_sitegen.generate(tmp_path, articles=120, traps=True)

    for path in ("/", "/actualites/", "/actualites/page/2/", "/tag/apple/", "/auteur/hugo-faure/"):
        html = (tmp_path / path.lstrip("/") / "index.html").read_text()
        assert ArticlePage(f"http://127.0.0.1:8000{path}", html).page_kind.is_listing, path


def test_benchmark_trap_copies_declare_the_clean_article_as_canonical(tmp_path):
    bench_sitegen.generate(tmp_path, articles=120, traps=True)
    article = sorted((tmp_path / "articles").iterdir())[0]
    path = f"/articles/{article.name}"

    page = ArticlePage(f"http://127.0.0.1:8000{path}?replytocom=3", (article / "index.html").read_text())
    amp = ArticlePage(f"http://127.0.0.1:8000{path}/amp/", (article / "amp" / "index.html").read_text())

    assert page.canonical_url == amp.canonical_url == f"http://127.0.0.1:8000{path}"
    assert page.page_kind.kind is amp.page_kind.kind is PageKind.ARTICLE


def _teaser_page(*, head: str, teasers: int) -> str:
    cards = "".join(
        f'<article class="post"><h2><a href="/2024/06/story-number-{n}/">Story number {n} about '
        f'phones</a></h2><time datetime="2024-06-0{n % 9 + 1}">June</time>'
        f'<p><a href="/2024/06/story-number-{n}/">Read more</a></p></article>'
        for n in range(teasers))
    return f"<html><head>{head}</head><body><h1>Tag: phones</h1>{cards}</body></html>"


def test_tag_page_with_article_markup_everywhere_is_still_a_listing():
    # Some WordPress themes print og:type=article on every page: URL and layout overrule it.
    html = _teaser_page(head='<meta property="og:type" content="article">', teasers=15)

    verdict = classify_page("https://example.com/tag/phones/", ArticlePage("", html).tree)

    assert verdict.kind is PageKind.LISTING and "despite og:type=article" in verdict.reason


def test_collection_page_of_news_articles_is_a_listing():
    nodes = [{"@type": "NewsArticle", "headline": f"Story {n}", "url": f"/s{n}"} for n in range(5)]
    jsonld = json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": "CollectionPage", "name": "Phones"}, {"@type": "ItemList",
                                                        "itemListElement": nodes}, *nodes]})
    html = _teaser_page(head=f'<script type="application/ld+json">{jsonld}</script>', teasers=5)

    verdict = ArticlePage("https://example.com/phones", html).page_kind

    assert verdict.kind is PageKind.LISTING and verdict.reason.startswith("jsonld:")


def test_article_with_related_teasers_stays_an_article():
    related = "".join(f'<li><h3><a href="/other-{n}/">Other story {n}</a></h3></li>' for n in range(20))
    html = ('<html><head><meta property="og:type" content="article"></head><body>'
            '<article><h1>One story</h1><p>' + "Text of the story. " * 60 + "</p></article>"
            f"<aside><ul>{related}</ul></aside></body></html>")

    verdict = ArticlePage("https://example.com/2024/06/one-story/", html).page_kind

    assert verdict.kind is PageKind.ARTICLE
