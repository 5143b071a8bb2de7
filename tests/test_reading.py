"""An article page is read once, dates included: the item the reader hands the crawl has its dates
resolved (in the catalogue site's zone), and the crawl counts and reports the date strings it
could not use, as the dates pipeline did before it was folded into the reading."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.catalogue.sites import load_catalogue
from crawler.reading.reader import PageJob, read_page
from crawler.reading.responses import article_from
from crawler.spiders.loader import spider_class_for

FETCHED = dt.datetime(2023, 11, 24, tzinfo=dt.UTC)
PROSE = ("Le texte de cet article est assez long pour être lu comme un article, avec des phrases "
         "entières qui se terminent par un point. ")


def _html(published: str, updated: str) -> bytes:
    paragraphs = "".join(f"<p>{PROSE * 3} Paragraphe {n}.</p>" for n in range(4))
    return (f'<html lang="fr"><head><title>Un titre</title>'
            f'<meta property="article:published_time" content="{published}">'
            f'<meta property="article:modified_time" content="{updated}">'
            f'</head><body><article><h1>Un titre</h1>{paragraphs}</article></body></html>'
            ).encode()


def _reading(url: str, published: str, updated: str, **options):
    job = PageJob(url, _html(published, updated), "utf-8", FETCHED,
                  {"source": "softonic_fr", "language": "fr", **options})
    return read_page(job)


@pytest.fixture
def crawler():
    spider_class = spider_class_for(load_catalogue()["softonic_fr"])
    crawler = get_crawler(spider_class)
    crawler.spider = spider_class.from_crawler(crawler)
    return crawler


def test_the_reading_resolves_dates_in_the_site_time_zone():
    reading = _reading("https://fr.softonic.com/articles/a", "2023-11-21T18:05:00",
                       "2023-11-22T09:00:00+00:00", timezone="Europe/Paris")
    assert reading.is_article, reading.reason
    assert reading.item is not None
    assert reading.item["published_at"] == dt.datetime(2023, 11, 21, 17, 5, tzinfo=dt.UTC)
    assert reading.item["updated_at"] == dt.datetime(2023, 11, 22, 9, 0, tzinfo=dt.UTC)
    assert reading.item["date_source"]["published"].startswith("meta:article:published_time/")
    assert "timezone_hint" not in reading.item and reading.date_errors == {}


def test_the_crawl_counts_parsed_and_rejected_dates_and_says_each_kind_once(crawler, caplog):
    items = []
    for n in range(2):
        url = f"https://fr.softonic.com/articles/{n}"
        reading = _reading(url, "2023-11-21T18:05:00", "2031-01-01T00:00:00Z",
                           timezone="Europe/Paris")
        assert reading.date_errors == {"updated": "future"}
        with caplog.at_level(logging.DEBUG, logger="crawler.reading.responses"):
            items.append(article_from(HtmlResponse(url, body=b"", request=Request(url)), crawler,
                                      reading))
    assert [item["updated_at"] for item in items] == [None, None]
    assert items[0]["published_at"] == dt.datetime(2023, 11, 21, 17, 5, tzinfo=dt.UTC)
    assert crawler.stats.get_value("dates/published/parsed") == 2
    assert crawler.stats.get_value("dates/updated/future") == 2
    said = [(r.levelname, r.getMessage()) for r in caplog.records if "updated date" in r.getMessage()]
    assert said == [
        ("WARNING", "updated date '2031-01-01T00:00:00Z' (meta:article:modified_time) of "
                    "https://fr.softonic.com/articles/0: future (further cases are counted, "
                    "not logged)"),
        ("DEBUG", "updated date '2031-01-01T00:00:00Z' (meta:article:modified_time) of "
                  "https://fr.softonic.com/articles/1: future"),
    ]


def test_a_page_of_a_site_outside_the_catalogue_is_read_in_its_own_zone():
    reading = _reading("https://example.fr/a", "2023-11-21T18:05:00",
                       "2023-11-21T20:00:00+01:00")
    assert reading.item is not None
    assert reading.item["published_at"] == dt.datetime(2023, 11, 21, 17, 5, tzinfo=dt.UTC)
