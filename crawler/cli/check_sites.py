"""`newscrawl sites` and `newscrawl check-sites`: what the catalogue holds, and whether it still
matches the live sites.

`check_site` fetches, synchronously and politely (robots.txt obeyed, one request at a time), the
first section page, one feed (or sitemap) and one article of a catalogue entry, and reports what
each gave: article links, feed entries, extracted fields, whether the date parsed, and what looks
broken. Layouts drift; this is the command to run when a site's counts drop. `check_site_keys`
(`check-sites --json`) reports every key of an entry as works / broken / unverified with the URL
it tried, and proposes an article pattern from the links it saw when the entry's no longer match
(`crawler.catalogue.fallback`). The fetcher is a parameter, so tests run it against local fixtures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urljoin

from parsel import Selector

from crawler.cli.common import project_settings
from crawler.cli.sites import catalogue_sites, table
from crawler.dates.normalise import normalise_date
from crawler.links.kinds import Kind
from crawler.links.urls import canonical_url, classify_link, on_domains
from crawler.reading.listing import ArticlePage, SectionPage
from crawler.sources.feeds import discover_feeds, parse_feed
from crawler.sources.sitemaps import SitemapKind, parse_sitemap, robots_sitemaps

if TYPE_CHECKING:
    from crawler.catalogue.sites import Site

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
            report.problems.append(f"section {section}: no link matches the article patterns"
                                   + _proposal_text(site, listing))
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
                u, article=site.article_patterns, exclude=site.exclude_patterns) is Kind.ARTICLE]
            return url, articles or urls
        report.problems.append(f"sitemap {url}: not a sitemap")
    return (site.sitemaps[0] if site.sitemaps else ""), []


def _page_links(page: Fetched) -> list[str]:
    selector = Selector(text=page.text())
    return [url for href in selector.xpath("//a/@href").getall()
            if (url := canonical_url(urljoin(page.url, href.strip())))]


def _proposal(site: Site, page: Fetched) -> dict[str, Any] | None:
    """A pattern for the article links the `news` heuristics see on a listing page, or None."""
    from crawler.catalogue.fallback import article_like_links, propose_pattern

    like = article_like_links(site, _page_links(page))
    proposed = propose_pattern(like)
    if proposed is None:
        return None
    pattern, matches = proposed
    return {"pattern": pattern, "matches": matches, "article_like": len(like),
            "examples": like[:3]}


def _proposal_text(site: Site, page: Fetched) -> str:
    proposal = _proposal(site, page)
    if proposal is None:
        return ""
    return (f"; proposed article pattern {proposal['pattern']!r} (matches {proposal['matches']} "
            f"of {proposal['article_like']} article-like links)")


# ------------------------------------------------------------------------------ per key

WORKS, BROKEN, UNVERIFIED = "works", "broken", "unverified"


def _key(status: str, url: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "url": url, "detail": detail, **extra}


def check_site_keys(site: Site, fetch: Fetcher) -> dict[str, dict[str, Any]]:
    """Each key of an entry as a live site answers it: works, broken or unverified (nothing to
    try it on), with the URL tried and what was seen. A broken `article_patterns` carries the
    pattern proposed from the links the `news` heuristics see on the section page."""
    from crawler.catalogue.fallback import assess_listing

    keys: dict[str, dict[str, Any]] = {}
    candidates: list[str] = []
    first_listing: tuple[Fetched, Any] | None = None
    for name, url in site.sections.items():
        got = fetch(url)
        if not got.ok:
            keys[f"sections.{name}"] = _key(BROKEN, url, got.error or f"HTTP {got.status}")
            continue
        links = SectionPage(got.url, Selector(text=got.text()), site).links()
        keys[f"sections.{name}"] = _key(WORKS, url, f"{len(links.articles)} article links")
        candidates += links.articles
        if first_listing is None:
            first_listing = (got, links)
    if first_listing is None:
        listing_url = next(iter(site.sections.values()))
        keys["article_patterns"] = _key(UNVERIFIED, listing_url, "no section page could be read")
        keys["next_page"] = _key(UNVERIFIED, listing_url, "no section page could be read")
    else:
        got, links = first_listing
        assessment = assess_listing(site, _page_links(got), len(links.articles))
        if assessment.fall_back or not links.articles:
            keys["article_patterns"] = _key(
                BROKEN, got.url, f"matched {assessment.accepted} of {len(assessment.article_like)} "
                f"article-like links ({len(links.articles)} links in all)",
                proposal=_proposal(site, got))
        else:
            keys["article_patterns"] = _key(WORKS, got.url, f"{len(links.articles)} article links")
        if links.next_page:
            keys["next_page"] = _key(WORKS, got.url, f"next page {links.next_page}")
        elif site.max_pages > 1:
            keys["next_page"] = _key(BROKEN, got.url, "no next-page link found")
        else:
            keys["next_page"] = _key(UNVERIFIED, got.url, "max_pages is 1")

    feeds = list(site.feeds)
    if site.discover_feeds:
        home = fetch(site.home)
        found = ([u for u in discover_feeds(home.text(), home.url) if on_domains(u, site.domains)]
                 if home.ok else [])
        status = WORKS if found else (BROKEN if not home.ok else UNVERIFIED)
        keys["discover_feeds"] = _key(status, site.home, f"{len(found)} feeds declared" if home.ok
                                      else home.error or f"HTTP {home.status}")
        feeds += [u for u in found if u not in feeds]
    for n, url in enumerate(feeds):
        got = fetch(url)
        entries = parse_feed(got.body, got.url) if got.ok else []
        if entries:
            keys[f"feeds[{n}]"] = _key(WORKS, url, f"{len(entries)} entries, "
                                       f"{sum(1 for e in entries if e.published)} dated")
            candidates += [u for e in entries if (u := canonical_url(e.url))
                           and on_domains(u, site.domains)]
        else:
            keys[f"feeds[{n}]"] = _key(BROKEN, url, (got.error or f"HTTP {got.status}") if not got.ok
                                       else "no entry (not RSS/Atom?)")
    for n, url in enumerate(site.sitemaps):
        got = fetch(url)
        if not got.ok:
            keys[f"sitemaps[{n}]"] = _key(BROKEN, url, got.error or f"HTTP {got.status}")
        elif url.endswith("/robots.txt"):
            listed = [u for u in robots_sitemaps(got.text(), got.url) if on_domains(u, site.domains)]
            keys[f"sitemaps[{n}]"] = _key(WORKS if listed else BROKEN, url,
                                          f"names {len(listed)} sitemaps" if listed
                                          else "robots.txt names no sitemap")
        else:
            kind = parse_sitemap(got.body, got.url).kind
            keys[f"sitemaps[{n}]"] = _key(BROKEN if kind is SitemapKind.UNKNOWN else WORKS, url,
                                          "not a sitemap" if kind is SitemapKind.UNKNOWN
                                          else f"a sitemap {kind.name.lower()}")
    if not candidates:
        keys["article"] = _key(UNVERIFIED, "", "no article URL from any source")
        return keys
    page = fetch(candidates[0])
    if not page.ok:
        keys["article"] = _key(BROKEN, candidates[0], page.error or f"HTTP {page.status}")
        return keys
    article = ArticlePage(page.url, page.body, source=site.key, language=site.language,
                          timezone=site.timezone, selectors=site.selectors)
    item = article.to_item()
    missing = [name for name in ("title", "published_raw", "body") if not item.get(name)]
    keys["article"] = _key(BROKEN if missing else WORKS, candidates[0],
                           f"missing {', '.join(missing)}" if missing
                           else "title, date and body extracted")
    return keys


def run_key_checks(sites: Sequence[Site], fetch: Fetcher, out: TextIO) -> int:
    """`check-sites --json`: {site: {key: {status, url, detail}}}; 1 when a key is broken."""
    report = {site.key: check_site_keys(site, fetch) for site in sites}
    out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    broken = any(entry["status"] == BROKEN for keys in report.values() for entry in keys.values())
    return 1 if broken else 0


# ------------------------------------------------------------------------------ tables


def print_reports(reports: Iterable[SiteReport], out: TextIO) -> None:
    reports = list(reports)
    rows = [["site", "links", "next", "feed/sitemap", "fields", "date (UTC)", "status"]]
    for r in reports:
        status = "NOTHING" if r.yields_nothing else ("ok" if not r.problems else "check")
        rows.append([r.key, str(r.listing_links), "yes" if r.next_page else "no",
                     f"{r.feed_entries} ({r.feed_dated} dated)" if r.feed_url else "-",
                     ",".join(f.removesuffix("_raw") for f in r.fields) or "-",
                     r.date or "-", status])
    table(rows, out)
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


def add_parser(commands: Any) -> None:
    check = commands.add_parser("check-sites", help="fetch a section, a feed and an article of "
                                "each site and report what looks broken")
    check.add_argument("sites", nargs="*", help="site keys (default: every site)")
    check.add_argument("--timeout", type=float, default=20.0, help="seconds per request")
    check.add_argument("--json", action="store_true",
                       help="per site and key: works / broken / unverified, the URL tried, and a "
                            "proposed article pattern where the entry's no longer match; exit 1 "
                            "when a key is broken")
    check.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from crawler.errors import CatalogueError

    settings = project_settings()
    try:
        sites = catalogue_sites(settings.get("SITES_FILE"), args.sites)
    except (CatalogueError, KeyError) as exc:
        print(f"newscrawl check-sites: {str(exc).strip(chr(39))}", file=sys.stderr)
        return 2
    fetch = http_fetcher(user_agent=settings.get("USER_AGENT"), timeout=args.timeout)
    if args.json:
        return run_key_checks(sites, fetch, sys.stdout)
    return run_checks(sites, fetch, sys.stdout)
