"""Feed and sitemap parsing from saved XML (tests/fixtures/xml/), and the date window."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from crawler.dates.window import DateWindow
from crawler.errors import WindowArgumentError
from crawler.sources.feeds import discover_feeds, parse_feed
from crawler.sources.sitemaps import SitemapKind, parse_sitemap, robots_sitemaps
from crawler.sources.xml import MAX_XML_BYTES, gunzip_if_needed
from tests.conftest import FIXTURES

XML = FIXTURES / "xml"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_rss2_items_give_links_and_utc_dates_and_guid_permalinks():
    entries = parse_feed((XML / "rss2_wordpress.xml").read_bytes(), "https://www.numerama.com/feed/")
    assert [e.url for e in entries] == [
        "https://www.numerama.com/tech/1567890-openai-sam-altman-revient.html"
        "?utm_source=rss&utm_medium=rss",
        "https://www.numerama.com/tech/1566001-la-ps5-slim-arrive-en-france.html",
        "https://www.numerama.com/sciences/1200000-un-vieil-article.html",  # guid, permalink
    ]
    assert [e.published for e in entries] == [utc(2023, 11, 22, 9, 12), utc(2023, 11, 21, 16, 5),
                                              utc(2023, 1, 2, 8)]
    assert entries[0].title.startswith("OpenAI : Sam Altman revient")


def test_atom_entries_prefer_published_then_updated_and_resolve_relative_links():
    entries = parse_feed((XML / "atom_verge.xml").read_bytes(), "https://www.theverge.com/rss/index.xml")
    assert [(e.url, e.published) for e in entries] == [
        ("https://www.theverge.com/2023/11/22/23972344/sam-altman-openai-ceo-return",
         utc(2023, 11, 22, 14, 30)),
        ("https://www.theverge.com/23971234/steam-deck-oled-review", utc(2023, 11, 21, 18)),
    ]


def test_broken_feed_gives_the_items_before_the_damage():
    entries = parse_feed((XML / "broken_feed.xml").read_bytes(), "https://www.clubic.com/feed/news.rss")
    assert [e.url for e in entries][:2] == [
        "https://www.clubic.com/pro/actualite-501234-premier.html",
        "https://www.clubic.com/pro/actualite-501235-second.html",
    ]
    assert entries[0].published == utc(2023, 11, 22, 9)


def test_entities_are_never_expanded_nor_external_files_read():
    entries = parse_feed((XML / "entity_bomb.xml").read_bytes(), "https://example.com/")
    assert [e.url for e in entries] == ["https://example.com/safe-article"]
    assert "lollol" not in (entries[0].title or "") and "root:" not in (entries[0].title or "")


@pytest.mark.parametrize("data", [b"", b"<html><body>no feed</body></html>", b"\x00\x01\x02",
                                  b"<rss><channel></channel></rss>"])
def test_not_a_feed_gives_no_entry(data):
    assert parse_feed(data, "https://example.com/") == []


def test_feed_discovery_reads_link_alternate_rss_and_atom_only():
    html = """<html><head>
    <link rel="alternate" type="application/rss+xml" title="Flux" href="https://www.numerama.com/feed/">
    <link rel='alternate' type='application/atom+xml' href='/atom.xml'>
    <link rel="alternate" type="application/rss+xml" title="Flux des commentaires" href="/comments/feed/">
    <link rel="alternate" hreflang="en" href="https://en.example.com/">
    <link rel="stylesheet" type="text/css" href="/style.css">
    <link rel="alternate" type="application/rss+xml" href="https://www.numerama.com/feed/">
    </head></html>"""
    assert discover_feeds(html, "https://www.numerama.com/") == [
        "https://www.numerama.com/feed/", "https://www.numerama.com/atom.xml"]


def test_robots_txt_sitemap_lines_are_absolute_and_unique():
    text = (XML / "robots.txt").read_text()
    assert robots_sitemaps(text, "https://www.presse-citron.net/robots.txt") == [
        "https://www.presse-citron.net/sitemap_index.xml",
        "https://www.presse-citron.net/news-sitemap.xml",
    ]


def test_sitemap_index_lists_child_sitemaps_with_lastmod():
    sitemap = parse_sitemap((XML / "sitemap_index.xml").read_bytes(),
                            "https://www.presse-citron.net/sitemap_index.xml")
    assert sitemap.kind is SitemapKind.INDEX
    assert [(e.url.rsplit("/", 1)[1], e.lastmod) for e in sitemap.entries] == [
        ("post-sitemap.xml", utc(2023, 3, 1, 10)),
        ("post-sitemap2.xml.gz", utc(2023, 11, 22, 9)),
        ("category-sitemap.xml", None),
    ]
    window = DateWindow.from_args(since="2023-11-01")
    assert [window.may_hold_newer(e.lastmod) for e in sitemap.entries] == [False, True, True]


def test_gzip_sitemap_is_read_and_old_urls_fall_outside_the_window():
    sitemap = parse_sitemap((XML / "post-sitemap2.xml.gz").read_bytes(),
                            "https://www.presse-citron.net/post-sitemap2.xml.gz")
    assert sitemap.kind is SitemapKind.URLSET
    window = DateWindow.from_args(since="2023-11-01", until="2023-11-30")
    kept = [e.url.rsplit("/", 2)[1] for e in sitemap.entries if window.contains(e.date)]
    # the undated URL is kept: its date will be known after download
    assert kept == ["apple-corrige-une-faille-zero-day", "la-ps5-slim-arrive-en-france", "sans-date"]
    assert sitemap.entries[0].date == utc(2023, 11, 22, 7, 12)


def test_google_news_sitemap_dates_are_publication_dates():
    sitemap = parse_sitemap((XML / "news-sitemap.xml").read_bytes(), "https://techcrunch.com/")
    first, second = sitemap.entries
    assert first.news and first.title == "Sam Altman returns as OpenAI CEO"
    assert first.date == utc(2023, 11, 22, 6, 15, 32) and first.lastmod == utc(2023, 11, 22, 8)
    assert second.date == utc(2023, 10, 2)
    window = DateWindow.from_args(since="2023-11-01")
    assert [window.contains(e.date) for e in sitemap.entries] == [True, False]


def test_broken_sitemap_gives_what_was_recovered():
    data = (XML / "news-sitemap.xml").read_bytes()
    second = data.index(b"<url>", data.index(b"<url>") + 1)
    cut = data[:second] + b"<url><loc>https://techcrunch.com/x/</lo"
    sitemap = parse_sitemap(cut, "https://techcrunch.com/")
    assert sitemap.entries[0].url == "https://techcrunch.com/2023/11/22/openai-sam-altman-returns/"


def test_plain_text_sitemap_and_garbage():
    text = b"https://example.com/a\nhttps://example.com/b\n\nnot a url\n"
    assert [e.url for e in parse_sitemap(text, "https://example.com/").entries] == [
        "https://example.com/a", "https://example.com/b"]
    assert parse_sitemap(b"<html>oops</html>", "https://example.com/").kind is SitemapKind.UNKNOWN
    assert parse_sitemap(b"\x1f\x8bnot really gzip", "https://example.com/").entries == []


def test_gzip_bomb_is_refused():
    bomb = gzip.compress(b"<" + b"a" * (MAX_XML_BYTES + 10))
    assert gunzip_if_needed(bomb) is None
    assert parse_sitemap(bomb, "https://example.com/").entries == []


def test_window_arguments_are_checked():
    with pytest.raises(WindowArgumentError, match="since"):
        DateWindow.from_args(since="last week")
    with pytest.raises(WindowArgumentError, match="after"):
        DateWindow.from_args(since="2023-12-01", until="2023-11-01")
    window = DateWindow.from_args(until="2023-11-30")
    assert window.contains(utc(2023, 11, 30, 23, 59)) and not window.contains(utc(2023, 12, 1))
