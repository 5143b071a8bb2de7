"""Issue 23, item 3: a listing page's own date for each article link (crawler.reading.teasers),
as the `news` spider's reader (crawler.reading.reader) and a catalogue site's section page
(crawler.reading.listing.SectionPage) return it."""

from __future__ import annotations

import datetime as dt
import pickle

from lxml import html
from parsel import Selector

from crawler.reading.listing import SectionPage, page_links
from crawler.reading.reader import PageJob, read_page
from crawler.reading.teasers import date_elements, parse_listing_dates, teaser_dates

FETCHED = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)

LISTING = """<html><body><header><a href="/">Home</a><time datetime="2026-12-08">today</time>
</header><main><h1>Tech</h1>
<article class="teaser"><a href="/2026/12/01/one-two-three/"><img src="x.jpg"></a>
 <h2><a href="/2026/12/01/one-two-three/">One</a></h2>
 <time class="published" datetime="2026-12-01T08:00:00+01:00">1 Dec</time>
 <time class="updated" datetime="2026-12-05T10:30:00+01:00">updated 5 Dec</time></article>
<ul><li><a href="/2026/12/02/four-five-six/">Two</a> <a href="/2026/12/02/four-five-six/#c">3
 comments</a> <span class="meta"><time
 datetime="2026-12-02T09:00:00Z">2 Dec</time></span></li></ul>
<div class="pair"><a href="/2026/12/03/seven-eight-nine/">Three</a>
 <a href="/2026/12/03/ten-eleven-twelve/">Four</a><time datetime="2026-12-03">3 Dec</time></div>
<div itemscope><a href="/2026/12/04/thirteen-fourteen-fifteen/">Five</a>
 <meta itemprop="datePublished" content="2026-12-04T07:00:00Z">
 <meta itemprop="dateModified" content="2026-12-06T07:00:00Z"></div>
<div><a href="/2026/12/05/sixteen-seventeen-eighteen/">Six</a>
 <time datetime="le 5 décembre, vers midi ???">broken</time></div>
<div><a href="/2026/12/06/nineteen-twenty-one/">Seven</a><time>no attribute</time></div>
<div><a href="/2026/12/07/twenty-two-three/">Eight</a>
 <a href="/tag/ia/">ia</a><time datetime="2026-12-07T06:00:00Z">7 Dec</time></div>
<a href="/2026/12/08/no-teaser-at-all/">Nine</a>
</main></body></html>"""

ONE = "https://h.test/2026/12/01/one-two-three/"
TWO = "https://h.test/2026/12/02/four-five-six/"
FIVE = "https://h.test/2026/12/04/thirteen-fourteen-fifteen/"
EIGHT = "https://h.test/2026/12/07/twenty-two-three/"


def test_each_teaser_shape_gives_its_link_a_date_updated_first():
    dates = teaser_dates(date_elements(html.fromstring(LISTING)), lambda href: "/2026/" in href)
    assert dates == {
        "/2026/12/01/one-two-three/": "2026-12-05T10:30:00+01:00",  # updated beats published
        "/2026/12/02/four-five-six/": "2026-12-02T09:00:00Z",  # <time> in a span in an <li>
        "/2026/12/04/thirteen-fourteen-fifteen/": "2026-12-06T07:00:00Z",  # microdata
        "/2026/12/05/sixteen-seventeen-eighteen/": "le 5 décembre, vers midi ???",  # raw, for now
        "/2026/12/07/twenty-two-three/": "2026-12-07T06:00:00Z",  # a tag link is no article
    }
    # two article links in one container: no date for either; a link with no teaser: none
    # every link counts as an article link when no judge is given: the tag link then too
    assert "/2026/12/07/twenty-two-three/" not in teaser_dates(date_elements(html.fromstring(LISTING)))
    assert teaser_dates(date_elements(None)) == {}
    lone = html.fromstring("<p>no links <time datetime='2026-01-01'></time></p>")
    assert teaser_dates(date_elements(lone)) == {}


def test_page_links_collects_the_date_elements_in_its_walk_and_the_same_links():
    root = html.fromstring(LISTING)
    collected: list = []
    assert page_links(root, dates=collected) == page_links(root)
    assert collected == date_elements(root) and len(collected) == 10  # 8 time, 2 meta


def test_the_reader_returns_parsed_utc_dates_and_drops_broken_ones():
    job = PageJob("https://h.test/tech/", LISTING.encode(), "utf-8", FETCHED,
                  {"timezone": "Europe/Paris"}, domains=("h.test",), article=False, links=True)
    reading = read_page(job)
    assert reading.link_dates == {
        ONE: dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC),
        TWO: dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC),
        FIVE: dt.datetime(2026, 12, 6, 7, 0, tzinfo=dt.UTC),
        EIGHT: dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC),
    }  # the broken datetime is left out, not raised
    assert pickle.loads(pickle.dumps(reading)).link_dates == reading.link_dates
    # an article read at the crawl's last hop asks for no links, and gets no dates either
    assert read_page(PageJob(job.url, job.body, "utf-8", FETCHED, article=False,
                             next_links=True)).link_dates == {}


def test_a_date_without_offset_is_read_in_the_sites_zone_and_future_ones_dropped():
    parsed = parse_listing_dates({"a": "2026-12-01T10:00", "b": "2027-06-01", "c": "", "d": "x"},
                                 timezone="Europe/Paris", fetched_at=FETCHED)
    assert parsed == {"a": dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)}


class _Site:
    domains = ("h.test",)
    article_patterns = [__import__("re").compile(r"^/2026/")]
    section_patterns = [__import__("re").compile(r"^/tag/")]
    exclude_patterns: list = []
    next_page_css = "link[rel=next]::attr(href)"
    next_page_patterns: list = []


def test_a_catalogue_section_page_gives_its_article_links_their_teaser_dates():
    links = SectionPage("https://h.test/tech/", Selector(text=LISTING), _Site()).links()  # type: ignore[arg-type]
    assert links.articles[0] == ONE and "https://h.test/tag/ia/" in links.sections
    assert links.dates[ONE] == "2026-12-05T10:30:00+01:00"
    assert links.dates[EIGHT] == "2026-12-07T06:00:00Z"  # the tag link is a section, not an article
    assert "https://h.test/2026/12/03/seven-eight-nine/" not in links.dates
    assert "https://h.test/2026/12/08/no-teaser-at-all/" not in links.dates
