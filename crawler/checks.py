"""`newscrawl sites` and `newscrawl check-sites`: what the catalogue holds, and whether it still
matches the live sites.

`check_site` fetches, synchronously and politely (robots.txt obeyed, one request at a time), the
first section page, one feed (or sitemap) and one article of a catalogue entry, and reports what
each gave: article links, feed entries, extracted fields, whether the date parsed, and what looks
broken. Layouts drift; this is the command to run when a site's counts drop. The fetcher is a
parameter, so tests run it against local fixtures.
"""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urljoin

from parsel import Selector

from crawler.dates import normalise_date
from crawler.feeds import discover_feeds, parse_feed
from crawler.pages import ArticlePage, SectionPage
from crawler.sitemaps import SitemapKind, parse_sitemap, robots_sitemaps
from crawler.urls import LinkKind, canonical_url, classify_link, on_domains

if TYPE_CHECKING:
    from crawler.sites import Site

DEFAULT_USER_AGENT = "newscrawl-check/0.1 (+https://github.com/newscrawl/newscrawl)"


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int  # 0 when the request failed
    body: bytes = b""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and bool(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


Fetcher = Callable[[str], Fetched]


def http_fetcher(*, user_agent: str = DEFAULT_USER_AGENT, timeout: float = 20.0) -> Fetcher:
    """A plain synchronous fetcher that obeys each host's robots.txt."""
    robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def allowed(url: str) -> bool:
        root = urljoin(url, "/robots.txt")
        if root not in robots:
            reader = urllib.robotparser.RobotFileParser(root)
            try:
                reader.read()
                robots[root] = reader
            except (OSError, UnicodeDecodeError):
                robots[root] = None  # unreadable robots.txt: allowed, as Scrapy does
        parser = robots[root]
        return parser is None or parser.can_fetch(user_agent, url)

    def fetch(url: str) -> Fetched:
        if not url.endswith("/robots.txt") and not allowed(url):
            return Fetched(url, 0, error="disallowed by robots.txt")
        request = urllib.request.Request(url, headers={"User-Agent": user_agent})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Fetched(response.geturl(), response.status, response.read(10_000_000))
        except urllib.error.HTTPError as exc:
            return Fetched(url, exc.code, error=f"HTTP {exc.code}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return Fetched(url, 0, error=str(getattr(exc, "reason", exc)))

    return fetch


@dataclass
class SiteReport:
    key: str
    listing_url: str = ""
    listing_links: int = 0
    next_page: bool = False
    feed_url: str = ""
    feed_entries: int = 0
    feed_dated: int = 0
    article_url: str = ""
    fields: list[str] = field(default_factory=list)
    date: str = ""  # the parsed UTC date, or "" when none
    problems: list[str] = field(default_factory=list)

    @property
    def yields_nothing(self) -> bool:
        """No article link from any source, or no article could be extracted."""
        return (self.listing_links == 0 and self.feed_entries == 0) or "title" not in self.fields


def check_site(site: Site, fetch: Fetcher) -> SiteReport:
    report = SiteReport(site.key)
    candidates: list[str] = []

    section, listing_url = next(iter(site.sections.items()))
    report.listing_url = listing_url
    listing = fetch(listing_url)
    if not listing.ok:
        report.problems.append(f"section {section}: {listing.error or f'HTTP {listing.status}'}")
    else:
        links = SectionPage(listing.url, Selector(text=listing.text()), site).links()
        report.listing_links = len(links.articles)
        report.next_page = links.next_page is not None
        candidates += links.articles
        if not links.articles:
            report.problems.append(f"section {section}: no link matches the article patterns")
        if site.max_pages > 1 and not links.next_page:
            report.problems.append(f"section {section}: no next-page link found")

    feeds = list(site.feeds)
    if not feeds and site.discover_feeds:
        home = fetch(site.home)
        if home.ok:
            feeds = [u for u in discover_feeds(home.text(), home.url) if on_domains(u, site.domains)]
    if feeds:
        report.feed_url = feeds[0]
        feed = fetch(feeds[0])
        entries = parse_feed(feed.body, feed.url) if feed.ok else []
        if not feed.ok:
            report.problems.append(f"feed: {feed.error or f'HTTP {feed.status}'}")
        elif not entries:
            report.problems.append("feed: no entry (not RSS/Atom?)")
        report.feed_entries = len(entries)
        report.feed_dated = sum(1 for e in entries if e.published)
        candidates += [u for e in entries if (u := canonical_url(e.url)) and on_domains(u, site.domains)]
    elif site.sitemaps:
        report.feed_url, urls = _first_sitemap_urls(site, fetch, report)
        report.feed_entries = len(urls)
        candidates += urls

    if not candidates:
        report.problems.append("no article URL from any source")
        return report
    report.article_url = candidates[0]
    page = fetch(candidates[0])
    if not page.ok:
        report.problems.append(f"article: {page.error or f'HTTP {page.status}'}")
        return report
    article = ArticlePage(page.url, page.body, source=site.key, language=site.language,
                          timezone=site.timezone, selectors=site.selectors)
    is_article, reason = article.article_verdict()
    if not is_article:
        report.problems.append(f"article: not recognised as an article ({reason})")
    item = article.to_item()
    report.fields = [name for name in ("title", "authors", "published_raw", "body", "image_url",
                                       "section", "tags") if item.get(name)]
    raw = (item.get("published_raw") or {}).get("text")
    if raw:
        result = normalise_date(raw, language=site.language, timezone=site.timezone,
                                fetched_at=dt.datetime.now(dt.UTC))
        if result.value is not None:
            report.date = result.value.strftime("%Y-%m-%d %H:%M")
        else:
            report.problems.append(f"article: date {raw!r} {result.error}")
    else:
        report.problems.append("article: no publication date found")
    for name in ("title", "body"):
        if name not in report.fields:
            report.problems.append(f"article: no {name}")
    return report


def _first_sitemap_urls(site: Site, fetch: Fetcher, report: SiteReport) -> tuple[str, list[str]]:
    """Follow robots.txt and indexes (first child each time) to one URL set."""
    queue = list(site.sitemaps)
    for _ in range(6):
        if not queue:
            break
        url = queue.pop(0)
        got = fetch(url)
        if not got.ok:
            report.problems.append(f"sitemap {url}: {got.error or f'HTTP {got.status}'}")
            continue
        if url.endswith("/robots.txt"):
            queue = [u for u in robots_sitemaps(got.text(), got.url) if on_domains(u, site.domains)]
            if not queue:
                report.problems.append("robots.txt names no sitemap")
            continue
        sitemap = parse_sitemap(got.body, got.url)
        if sitemap.kind is SitemapKind.INDEX:
            newest = sorted(sitemap.entries, key=lambda e: e.lastmod or dt.datetime.min.replace(
                tzinfo=dt.UTC), reverse=True)
            queue = [e.url for e in newest if on_domains(e.url, site.domains)][:1] + queue
            continue
        if sitemap.kind is SitemapKind.URLSET:
            urls = [u for e in sitemap.entries if (u := canonical_url(e.url))
                    and on_domains(u, site.domains)]
            articles = [u for u in urls if classify_link(
                u, article=site.article_patterns, exclude=site.exclude_patterns) is LinkKind.ARTICLE]
            return url, articles or urls
        report.problems.append(f"sitemap {url}: not a sitemap")
    return (site.sitemaps[0] if site.sitemaps else ""), []


# ------------------------------------------------------------------------------ tables


def _table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        out.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def print_sites(sites: Iterable[Site], out: TextIO) -> None:
    rows = [["key", "name", "language", "time zone", "sources", "from"]]
    for site in sites:
        rows.append([site.key, site.name, site.language, site.timezone,
                     ",".join(sorted(site.sources)), site.origin.rsplit("/", 1)[-1]])
    _table(rows, out)


def print_reports(reports: Iterable[SiteReport], out: TextIO) -> None:
    reports = list(reports)
    rows = [["site", "links", "next", "feed/sitemap", "fields", "date (UTC)", "status"]]
    for r in reports:
        status = "NOTHING" if r.yields_nothing else ("ok" if not r.problems else "check")
        rows.append([r.key, str(r.listing_links), "yes" if r.next_page else "no",
                     f"{r.feed_entries} ({r.feed_dated} dated)" if r.feed_url else "-",
                     ",".join(f.removesuffix("_raw") for f in r.fields) or "-",
                     r.date or "-", status])
    _table(rows, out)
    for r in reports:
        for problem in r.problems:
            out.write(f"{r.key}: {problem}\n")


def run_checks(sites: Sequence[Site], fetch: Fetcher, out: TextIO) -> int:
    """Check each site, print the table; 1 when a site yields nothing, else 0."""
    reports = []
    for site in sites:
        reports.append(check_site(site, fetch))
    print_reports(reports, out)
    return 1 if any(r.yields_nothing for r in reports) else 0


def catalogue_sites(settings_sites_file: str | None, keys: Sequence[str] = ()) -> list[Site]:
    """The catalogue (built-in + SITES_FILE), or the named entries; KeyError names unknown keys."""
    from crawler.sites import load_catalogue

    files = [p for p in str(settings_sites_file or "").replace(";", ":").split(":") if p.strip()]
    catalogue = load_catalogue(files)
    unknown = [k for k in keys if k not in catalogue]
    if unknown:
        raise KeyError(f"unknown site(s) {', '.join(unknown)}; sites: {', '.join(catalogue)}")
    return [catalogue[k] for k in keys] if keys else list(catalogue.values())
