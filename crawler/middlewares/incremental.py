"""Incremental crawling: the database is the crawl's memory.

`IncrementalMiddleware` (a spider middleware) sees everything a listing page (section, feed,
sitemap, a `news` crawl's page) or an article yields. It looks up the article links in the
articles collection in one query (cached for the run) and drops the requests of stored articles
before they are downloaded, except those due for a re-fetch:
- a source says the article changed after our last fetch: a sitemap's lastmod, a feed entry's
  updated (else published) date, a listing teaser's date (crawler.reading.teasers)
  (`listing_lastmod` in the request's meta). A spider yields a feed or sitemap link
  it already scheduled again when it carries such a date (`repeated`), so that the first source
  met does not hide a later one's news; a URL let through once is not let through twice;
- the age schedule: an article is fetched again when its age (from `published_at`, else from when
  we first saw it) passes one of REFRESH_AGES_HOURS (1, 6, 24 and 72 h) since the last fetch.
A re-fetch carries the page's validators (crawler.middlewares.conditional): a 304 only moves
`last_seen_at`; a changed page reaches the store as a new revision.

Listings follow their yield (crawler.storage.listings): each visit is recorded with the new
articles it gave; a `news` crawl's listing page (tag, author, archive) that gave nothing new is
not downloaded again before its back-off (LISTING_BACKOFF_HOURS, doubled per quiet visit, at
most LISTING_BACKOFF_MAX_HOURS). Feeds, sitemaps, section fronts and the start page are visited
every run; next pages are followed only while a page brings a new article (unless the previous
run did not finish: then it paginates on to catch up).

Pages that match an article pattern but are not articles (a video hub, an item the validator
dropped), and articles older than the site's `max_age_days`, are remembered too, and not
downloaded again for REJECTED_RECHECK_DAYS: a listing page of only such links counts as having
nothing new, so pagination stops there too.

Settings: INCREMENTAL_ENABLED, REFRESH_AGES_HOURS, LISTING_BACKOFF_HOURS,
LISTING_BACKOFF_MAX_HOURS, REJECTED_RECHECK_DAYS. Spider argument `-a full=1` (attribute `full`)
turns the skipping, the back-off and the pagination stop off for one run.
Stats: incremental/skipped, incremental/refresh, incremental/refresh/{changed,age},
incremental/new, incremental/repeated, incremental/pagination_stopped, listings/backed_off,
listings/visits, listings/not_modified.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from crawler.errors import DatabaseUnavailable, InvalidArticle, OutsideWindow
from crawler.extensions.database import DatabaseOwner
from crawler.extensions.runs import run_key
from crawler.links.kinds import Kind, page_not_article, page_not_modified
from crawler.links.urls import canonical_url
from crawler.storage.articles import ArticleStore
from crawler.storage.listings import ListingStore, ListingVisit

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class IncrementalMiddleware:
    def __init__(self, crawler: Crawler, store: ArticleStore, *,
                 refresh_ages: tuple[dt.timedelta, ...], rejected_recheck: dt.timedelta,
                 listings: ListingStore | None = None,
                 backoff: tuple[dt.timedelta, dt.timedelta] = (dt.timedelta(hours=1),
                                                               dt.timedelta(hours=24))) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.store = store
        self.listings = listings
        self.refresh_ages = refresh_ages
        self.rejected_recheck = rejected_recheck
        self.backoff = backoff
        self._known: dict[str, dict[str, Any] | None] = {}  # per-run cache of lookups
        self._listing_states: dict[str, dict[str, Any] | None] = {}  # the same, for listings
        self._passed: set[str] = set()  # article keys let through this run (new or refresh)
        self._rejected: dict[str, str] = {}  # not yet written: URL -> reason
        self._visits: list[ListingVisit] = []  # not yet written
        self._unchanged: list[str] = []  # articles answered 304, not yet written
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.page_not_article, signal=page_not_article)
        crawler.signals.connect(self.page_not_modified, signal=page_not_modified)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        owner = DatabaseOwner.of(crawler)
        return cls(
            crawler, owner.articles, listings=owner.listings,
            refresh_ages=refresh_ages(settings.get("REFRESH_AGES_HOURS")),
            rejected_recheck=dt.timedelta(days=settings.getfloat("REJECTED_RECHECK_DAYS")),
            backoff=(dt.timedelta(hours=settings.getfloat("LISTING_BACKOFF_HOURS")),
                     dt.timedelta(hours=settings.getfloat("LISTING_BACKOFF_MAX_HOURS"))),
        )

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The spider's start requests, then the stored articles due by age: they are fetched
        whether or not a listing links them this run (a listing answering 304 is not read)."""
        async for request in start:
            yield request
        spider = self.crawler.spider
        make = getattr(spider, "discovery_article_request", None)
        if spider is None or make is None or self._full_run():
            return
        now = dt.datetime.now(dt.UTC)
        since = now - (self.refresh_ages[-1] if self.refresh_ages else dt.timedelta(0))
        try:
            recent, listings = await maybe_deferred_to_future(threads.deferToThread(
                self._start_lookups, run_key(spider), since))
        except DatabaseUnavailable as exc:
            logger.warning("cannot look up the articles due for a re-fetch (%s)", exc)
            return
        feed_request = getattr(spider, "discovery_feed_request", None)
        for listing in listings:  # a feed gone for REJECTED_RECHECK_DAYS is not asked again
            visited = listing.get("visited_at")
            recent_visit = isinstance(visited, dt.datetime) and (
                _aware(visited) >= now - self.rejected_recheck)
            if (listing.get("kind") == Kind.FEED.value and feed_request is not None
                    and recent_visit):
                request = feed_request(listing["_id"])
                if request is not None:
                    yield request
        for known in recent:
            key = known.get("url")
            if not key or key in self._passed or not self._due_for_refresh(known, now):
                continue
            self._passed.add(key)
            self._known[key] = known
            self.stats.inc_value("incremental/refresh")
            self.stats.inc_value("incremental/refresh/age")
            yield make(key, via="age", refresh=True)

    def _start_lookups(self, source: str, since: dt.datetime
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        recent = self.store.published_since(source, since) if self.refresh_ages else []
        listings = self.listings.of_source(source) if self.listings is not None else []
        return recent, listings

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        kind = Kind.of(response)
        if kind not in _FILTERED_KINDS or self._full_run():
            yield from result
            return
        outputs = list(result)
        self._lookup(_article_urls(outputs), _listing_urls(outputs))
        yield from self._filter_listing(response, outputs, paginate=kind in _PAGINATED_KINDS)

    def page_not_article(self, url: str, reason: str) -> None:
        self._remember_rejected(url, reason)

    def page_not_modified(self, url: str, kind: Kind, request: Request | None = None) -> None:
        """A 304 to our validators: an article seen unchanged, a listing that gave nothing."""
        if kind is Kind.ARTICLE:
            self._unchanged.append(canonical_url(url) or url)
        else:
            self.stats.inc_value("listings/not_modified")
            home = request is not None and request.meta.get("feed_home")
            self._visits.append(ListingVisit(url, "page" if home else kind.value, changed=False,
                                             new=0))

    def item_dropped(self, item: Any, response: Response, exception: Exception) -> None:
        if response is None:
            return
        too_old = (isinstance(exception, OutsideWindow)
                   and getattr(self.crawler.spider, "window_from_max_age", False))
        if isinstance(exception, InvalidArticle) or too_old:
            # Remembered like a non-article page; an explicit -a since/until window is not,
            # so that a later back-fill with a wider window still finds those articles.
            self._remember_rejected(response.url, str(exception))

    def spider_closed(self) -> Any:
        # on a thread: the reactor goes on closing the crawl (Scrapy waits for the Deferred)
        return threads.deferToThread(self._flush_at_close)

    def _flush_at_close(self) -> None:
        self._flush_rejected()
        self._flush_visits()

    def _remember_rejected(self, url: str, reason: str) -> None:
        self._rejected[canonical_url(url) or url] = reason
        if len(self._rejected) >= 100:
            self._flush_rejected()

    def _flush_rejected(self) -> None:
        pages, self._rejected = self._rejected, {}
        try:
            self.store.remember_rejected(pages, now=dt.datetime.now(dt.UTC))
        except DatabaseUnavailable as exc:  # only costs a download of these pages next run
            logger.warning("could not remember %d non-article pages: %s", len(pages), exc)

    def _flush_visits(self) -> None:
        visits, self._visits = self._visits, []
        unchanged, self._unchanged = self._unchanged, []
        spider = self.crawler.spider
        now = dt.datetime.now(dt.UTC)
        try:
            if unchanged:
                self.store.seen_unchanged(unchanged, now=now)
            if visits and self.listings is not None and spider is not None:
                first, longest = self.backoff
                written = self.listings.record_visits(run_key(spider), visits, now=now,
                                                      first=first, longest=longest)
                self.stats.inc_value("listings/visits", written)
        except DatabaseUnavailable as exc:  # costs a visit or a re-fetch next run, nothing else
            logger.warning("could not record %d listing visits: %s", len(visits), exc)

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        outputs = [output async for output in result]
        kind = Kind.of(response)
        if kind not in _FILTERED_KINDS or self._full_run():
            for output in outputs:
                yield output
            return
        # The lookup waits for the database on a thread, while the reactor downloads and parses
        # other pages: on the reactor it blocked the crawl for 8-20% of its time on the
        # 2,000-article bench trap site (py-spy, bench/bench_traps.py --profile, shared machine).
        missing = self._missing(_article_urls(outputs))
        listings = self._missing_listings(_listing_urls(outputs))
        if missing or listings:
            try:
                found, states = await maybe_deferred_to_future(
                    threads.deferToThread(self._fetch_all, missing, listings))
            except DatabaseUnavailable as exc:
                self._lookup_failed(exc)
            else:
                self._remember(missing, found)
                self._remember_listings(listings, states)
        for output in self._filter_listing(response, outputs, paginate=kind in _PAGINATED_KINDS):
            yield output

    def _full_run(self) -> bool:
        spider = self.crawler.spider
        return bool(getattr(spider, "full", False))

    def _filter_listing(self, response: Response, outputs: list[Any], *,
                        paginate: bool) -> Iterator[Any]:
        """Drop the known among the article requests a section, feed, sitemap or (no-config
        crawl) page yields; for a section page, decide whether to follow its next page."""
        now = dt.datetime.now(dt.UTC)
        new = 0  # new articles: what a listing is worth, and what keeps pagination going
        next_pages = []
        for output in outputs:
            if paginate and _is_request(output, Kind.LISTING):
                next_pages.append(output)
                continue
            if not (_is_request(output, Kind.ARTICLE) or _is_request(output, Kind.PAGE)):
                yield output
                continue
            key = canonical_url(output.url) or output.url
            if key in self._passed:
                self.stats.inc_value("incremental/repeated")
                continue
            known = self._known.get(key)
            is_page = _is_request(output, Kind.PAGE)
            if known is not None and known.get("rejected") and is_page:
                known = None  # a no-config crawl reads non-article pages for their links
            if known is None and is_page and self._backed_off(output.url, now):
                continue
            changed = known is not None and _changed_since_seen(output, known)
            aged = known is not None and not changed and self._due_for_refresh(known, now)
            if known is None:
                new += not is_page
                self.stats.inc_value("incremental/new")
                self._passed.add(key)
                yield output
            elif changed or aged:
                self.stats.inc_value("incremental/refresh")
                self.stats.inc_value(f"incremental/refresh/{'changed' if changed else 'age'}")
                output.meta["refresh"] = True
                self._passed.add(key)
                yield output
            else:
                self.stats.inc_value("incremental/skipped")
                logger.debug("skipped, already stored: %s", output.url)
        kind = Kind.of(response)
        if kind in _LISTING_KINDS:
            # the home page read for the feeds it declares is not itself a feed to revisit
            role = "page" if response.meta.get("feed_home") else (kind.value if kind else "")
            self._visits.append(ListingVisit(response.url, role, True, new))
            if len(self._visits) >= 100:
                self._flush_visits()
        if kind is Kind.ARTICLE:
            yield from next_pages
            return
        stop_when_known = getattr(getattr(self.crawler.spider, "site", None), "stop_when_known", True)
        caught_up = self.stats.get_value("newscrawl/previous_run_complete", True)
        if next_pages and not new and stop_when_known and not caught_up:
            self.stats.inc_value("incremental/catch_up_pages")
            logger.info("the previous run did not finish: following %s's next page to catch up",
                        response.url)
        elif next_pages and not new and stop_when_known:
            self.stats.inc_value("incremental/pagination_stopped")
            logger.info("%s has no new article: not following its next page", response.url)
            return
        yield from next_pages

    def _backed_off(self, url: str, now: dt.datetime) -> bool:
        """A listing page that gave nothing new lately and is not due again yet."""
        state = self._listing_states.get(url)
        due = state.get("next_visit_at") if state else None
        if not isinstance(due, dt.datetime) or _aware(due) <= now:
            return False
        self.stats.inc_value("listings/backed_off")
        logger.debug("listing backed off until %s: %s", due, url)
        return True

    def _lookup(self, urls: list[str], listing_urls: list[str]) -> None:
        missing, listings = self._missing(urls), self._missing_listings(listing_urls)
        if not missing and not listings:
            return
        try:
            found, states = self._fetch_all(missing, listings)
        except DatabaseUnavailable as exc:
            self._lookup_failed(exc)
            return
        self._remember(missing, found)
        self._remember_listings(listings, states)

    def _missing_listings(self, urls: list[str]) -> list[str]:
        if self.listings is None:
            return []
        return [u for u in dict.fromkeys(urls) if u not in self._listing_states]

    def _fetch_all(self, missing: list[str], listings: list[str]
                   ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        found = self._fetch(missing) if missing else {}
        states = self.listings.states(listings) if listings and self.listings else {}
        return found, states

    def _remember_listings(self, urls: list[str], states: dict[str, dict[str, Any]]) -> None:
        for url in urls:
            self._listing_states[url] = states.get(url)

    def _missing(self, urls: list[str]) -> list[str]:
        """The keys of `urls` not looked up yet this run."""
        keys = [canonical_url(u) or u for u in urls]
        return [k for k in dict.fromkeys(keys) if k not in self._known]

    def _fetch(self, missing: list[str]) -> dict[str, dict[str, Any]]:
        """The stored and recently rejected pages among `missing` (database only: runs on a
        thread in the async path)."""
        found = self.store.known(missing)
        since = dt.datetime.now(dt.UTC) - self.rejected_recheck
        for url in self.store.recently_rejected(set(missing) - set(found), since=since):
            found[url] = {"rejected": True}
        return found

    def _remember(self, missing: list[str], found: dict[str, dict[str, Any]]) -> None:
        self.stats.inc_value("incremental/lookups")
        for key in missing:
            self._known[key] = found.get(key)

    def _lookup_failed(self, exc: DatabaseUnavailable) -> None:
        # Without the memory, download: a duplicate download costs less than a lost article.
        self.stats.inc_value("incremental/lookup_failed")
        logger.warning("cannot look up stored articles (%s): downloading them all", exc)

    def _due_for_refresh(self, known: dict[str, Any], now: dt.datetime) -> bool:
        if known.get("rejected"):
            return False
        return due_by_age(known.get("published_at") or known.get("first_seen_at"),
                          known.get("last_seen_at"), now, self.refresh_ages)


def refresh_ages(value: Any) -> tuple[dt.timedelta, ...]:
    """REFRESH_AGES_HOURS ("1,6,24,72") as durations, shortest first; empty = no age refresh.

    >>> [str(age) for age in refresh_ages(" 24, 1,6 ")]
    ['1:00:00', '6:00:00', '1 day, 0:00:00']
    """
    hours = sorted(float(part) for part in str(value or "").split(",") if part.strip())
    return tuple(dt.timedelta(hours=h) for h in hours if h > 0)


def due_by_age(born: Any, last_fetch: Any, now: dt.datetime,
               ages: tuple[dt.timedelta, ...]) -> bool:
    """Whether an article of this age passed one of `ages` since we last fetched it.

    >>> t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> ages = refresh_ages("1,6,24,72")
    >>> h = lambda n: t0 + dt.timedelta(hours=n)
    >>> due_by_age(t0, h(0.2), h(0.9), ages), due_by_age(t0, h(0.2), h(1.5), ages)
    (False, True)
    >>> due_by_age(t0, h(1.5), h(5), ages), due_by_age(t0, h(1.5), h(30), ages)
    (False, True)
    >>> due_by_age(t0, h(73), h(500), ages)  # older than the last age: never again
    False
    """
    if not isinstance(born, dt.datetime) or not isinstance(last_fetch, dt.datetime):
        return False
    born, last_fetch = _aware(born), _aware(last_fetch)
    return any(last_fetch < born + age <= now for age in ages)


# The responses whose links are looked up; listings also paginate and have their visits recorded.
_LISTING_KINDS = frozenset({Kind.LISTING, Kind.FEED, Kind.SITEMAP, Kind.PAGE})
_PAGINATED_KINDS = frozenset({Kind.LISTING, Kind.PAGE})
_FILTERED_KINDS = _LISTING_KINDS | {Kind.ARTICLE}


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _changed_since_seen(request: Request, known: dict[str, Any]) -> bool:
    """A sitemap's lastmod, a feed entry's or a listing teaser's date, after our last fetch: the
    article changed."""
    lastmod, last_seen = request.meta.get("listing_lastmod"), known.get("last_seen_at")
    return (isinstance(lastmod, dt.datetime) and isinstance(last_seen, dt.datetime)
            and _aware(lastmod) > _aware(last_seen))


def _article_urls(outputs: list[Any]) -> list[str]:
    """The URLs of the article (and, in a no-config crawl, page) requests among `outputs`."""
    return [o.url for o in outputs if _is_request(o, Kind.ARTICLE) or _is_request(o, Kind.PAGE)]


def _listing_urls(outputs: list[Any]) -> list[str]:
    """The URLs of the listing pages a no-config crawl found among `outputs` (back-off)."""
    return [o.url for o in outputs if _is_request(o, Kind.PAGE)]


def _is_request(output: Any, kind: Kind) -> bool:
    return isinstance(output, Request) and Kind.of(output) is kind
