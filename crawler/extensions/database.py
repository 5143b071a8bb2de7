"""The database of a crawl: one client per process, one owner per crawl, one pre-flight check.

- `DatabaseOwner` (an extension) is the only crawl component that connects. It opens the
  database when the crawler starts (`MONGO_URI`, or the embedded default server), creates the
  indexes and the articles validator once, hands ready stores to the components that need them
  and releases the client when the crawl ends. Components never connect themselves:

      owner = DatabaseOwner.of(crawler)        # crawler.get_extension(DatabaseOwner), checked
      owner.articles, owner.runs, owner.params # ArticleStore, RunStore, ParamStore on the one client
      owner.listings, owner.validators        # ListingStore, ValidatorStore (issue 23: re-runs)

  `of` works once the extensions are built: in the `from_crawler` of a middleware or pipeline,
  and from `spider_opened` on in an extension (Scrapy builds the extensions before it answers
  `get_extension`: the run recorder and the parameter learning look the owner up then).

  When the database cannot be reached, the owner logs one line (password masked), marks the run
  failed and stops the crawl with `CloseSpider("database_unavailable")` when the spider opens;
  the components that need a store are then switched off (`NotConfigured`).
- `preflight(settings)`, shared by `newscrawl crawl` and `scrapy crawl`, checks the database
  (and Redis in distributed mode) before any crawl starts; the client it opened is the one the
  crawls of the process use.
- `open_database(settings)` gives the operator commands (export, stats, replay, demo) a handle
  on the same client.

pymongo's `MongoClient` is a thread-safe connection pool meant to be shared: one per process and
URI, whatever the number of crawls (`newscrawl crawl --all` runs every site in one process).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from crawler.errors import DatabaseUnavailable
from crawler.storage.articles import ArticleStore
from crawler.storage.connection import connect
from crawler.storage.embedded import EmbeddedServer
from crawler.storage.listings import ListingStore
from crawler.storage.params import ParamStore
from crawler.storage.revisions import RevisionStore
from crawler.storage.runs import RunStore
from crawler.storage.validators import ValidatorStore

if TYPE_CHECKING:
    from pymongo.database import Database
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

OWNER_PATH = "crawler.extensions.database.DatabaseOwner"


def database_uri(settings: BaseSettings) -> str:
    """`MONGO_URI`, or the embedded server's URI after making sure it runs (RuntimeError if not)."""
    uri = settings.get("MONGO_URI")
    if uri:
        return str(uri)
    server = EmbeddedServer(var_dir=Path(settings.get("VAR_DIR")),
                            port=settings.getint("EMBEDDED_DB_PORT"))
    return server.ensure_running()


class _Clients:
    """The process's database clients, one per (URI, timeout), each with the crawls using it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._databases: dict[tuple[str, int], Database[dict[str, Any]]] = {}
        self._leases: dict[tuple[str, int], int] = {}

    def get(self, settings: BaseSettings, *, lease: bool = False) -> Database[dict[str, Any]]:
        """The database `MONGO_DATABASE` on the process's client (raises `DatabaseUnavailable`)."""
        try:
            uri = database_uri(settings)
        except RuntimeError as exc:  # the embedded server did not start
            raise DatabaseUnavailable(str(exc)) from None
        key = (uri, settings.getint("MONGO_TIMEOUT_MS"))
        name = settings.get("MONGO_DATABASE")
        with self._lock:
            if key not in self._databases:
                self._databases[key] = connect(uri, name, timeout_ms=key[1])
            if lease:
                self._leases[key] = self._leases.get(key, 0) + 1
            return self._databases[key].client[name]

    def release(self, database: Database[dict[str, Any]]) -> None:
        """A crawl is done with its client; the last one closes it."""
        with self._lock:
            for key, known in list(self._databases.items()):
                if known.client is not database.client:
                    continue
                self._leases[key] = self._leases.get(key, 1) - 1
                if self._leases[key] <= 0:
                    del self._databases[key], self._leases[key]
                    database.client.close()


_clients = _Clients()


def open_database(settings: BaseSettings) -> Database[dict[str, Any]]:
    """A handle on the process's client (raises `DatabaseUnavailable`, password masked)."""
    return _clients.get(settings)


def revision_store(database: Database[dict[str, Any]], settings: BaseSettings) -> RevisionStore:
    """The revisions collection as the settings name and cap it (crawls and operator commands)."""
    return RevisionStore(database, settings.get("MONGO_REVISIONS_COLLECTION"),
                         max_per_article=settings.getint("REVISIONS_MAX_PER_ARTICLE"))


def needs_database(settings: BaseSettings) -> bool:
    """Whether a crawl with these settings has a database owner."""
    return any(str(path).endswith(OWNER_PATH) or getattr(path, "__name__", "") == "DatabaseOwner"
               for path, order in settings.getdict("EXTENSIONS").items() if order is not None)


class DatabaseOwner:
    """An extension: the one database connection of a crawl, and the stores on it."""

    def __init__(self, crawler: Crawler, database: Database[dict[str, Any]] | None,
                 problem: str | None = None) -> None:
        self.crawler = crawler
        self.database = database
        self.problem = problem
        self._articles: ArticleStore | None = None
        self._runs: RunStore | None = None
        self._params: ParamStore | None = None
        self._revisions: RevisionStore | None = None
        self._listings: ListingStore | None = None
        self._validators: ValidatorStore | None = None
        if database is not None:
            settings = crawler.settings
            self._revisions = revision_store(database, settings)
            self._articles = ArticleStore(database, settings.get("MONGO_COLLECTION"),
                                          revisions=self._revisions)
            self._runs = RunStore(database, settings.get("MONGO_RUNS_COLLECTION"))
            self._params = ParamStore(database)
            self._listings = ListingStore(database)
            self._validators = ValidatorStore(database)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatabaseOwner:
        try:
            database = _clients.get(crawler.settings, lease=True)
        except DatabaseUnavailable as exc:
            logger.error("%s: the crawl stops", exc)
            assert crawler.stats is not None
            crawler.stats.set_value("newscrawl/status", "failed")
            crawler.stats.set_value("newscrawl/failure_reason", str(exc))
            return cls(crawler, None, str(exc))
        owner = cls(crawler, database)
        assert owner._articles is not None and owner._runs is not None
        assert owner._params is not None
        owner._articles.ensure_indexes()
        owner._articles.ensure_schema()
        owner._runs.ensure_indexes()
        owner._params.ensure_indexes()
        owner.revisions.ensure_indexes()
        owner.listings.ensure_indexes()
        owner.validators.ensure_indexes()
        return owner

    @classmethod
    def of(cls, crawler: Crawler) -> DatabaseOwner:
        """The crawl's owner (`crawler.get_extension`): in a middleware's or pipeline's
        `from_crawler`, in an extension from `spider_opened` on. `NotConfigured` when the crawl
        has none or its database could not be opened (the owner has said why)."""
        owner = crawler.get_extension(cls)
        if owner is None:
            raise NotConfigured(f"needs the {OWNER_PATH} extension (EXTENSIONS)")
        if owner.database is None:
            raise NotConfigured  # no message: the owner's one line has said why
        return owner

    @property
    def articles(self) -> ArticleStore:
        assert self._articles is not None, "no database: ask through DatabaseOwner.of(crawler)"
        return self._articles

    @property
    def runs(self) -> RunStore:
        assert self._runs is not None, "no database: ask through DatabaseOwner.of(crawler)"
        return self._runs

    @property
    def params(self) -> ParamStore:
        """The URL parameters learnt from the sites (`crawler.links.params`), shared by every crawl."""
        assert self._params is not None, "no database: ask through DatabaseOwner.of(crawler)"
        return self._params

    @property
    def revisions(self) -> RevisionStore:
        """Superseded versions of changed articles; the article store writes them (issue 22)."""
        assert self._revisions is not None, "no database: ask through DatabaseOwner.of(crawler)"
        return self._revisions

    @property
    def listings(self) -> ListingStore:
        """What each listing page gave lately (crawler.storage.listings), shared by workers."""
        assert self._listings is not None, "no database: ask through DatabaseOwner.of(crawler)"
        return self._listings

    @property
    def validators(self) -> ValidatorStore:
        """The ETag / Last-Modified of the pages fetched (crawler.storage.validators)."""
        assert self._validators is not None, "no database: ask through DatabaseOwner.of(crawler)"
        return self._validators

    def spider_opened(self) -> None:
        if self.database is None:
            raise CloseSpider("database_unavailable")

    def engine_stopped(self) -> None:
        # After the spider closed: the pipelines have flushed, the run record is written.
        if self.database is not None:
            _clients.release(self.database)
            self.database = None
