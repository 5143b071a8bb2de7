"""`ParamLearning`: the crawl's one `ParamLearner` and its link to the database.

`crawler.middlewares.paramfilter.ParamFilterMiddleware` is registered twice (spider and
downloader middleware); both registrations learn into, and clean with, the learner of this
extension (`ParamLearning.of(crawler)`, Scrapy's `crawler.get_extension`). It does its work
only once a middleware has joined: when the spider opens it applies the catalogue's overrides
and loads what any crawl learnt before (`DatabaseOwner.of(crawler).params`; in memory only
without a database), and it writes the pending observations when the spider is idle or closes.

Stats: params/loaded (learnt parameters read from the database at start), params/recorded
(documents written).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.errors import DatabaseUnavailable
from crawler.extensions.database import DatabaseOwner
from crawler.links.params import Observation, ParamLearner
from crawler.logs import LogOnce

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.storage.params import ParamStore

logger = logging.getLogger(__name__)
_log_once = LogOnce(logger, suffix=" (further cases are not logged)")

LEARNING_PATH = "crawler.extensions.params.ParamLearning"


class ParamLearning:
    """An extension: the learner the parameter filter's registrations share (module docstring)."""

    def __init__(self, crawler: Crawler, learner: ParamLearner) -> None:
        self.crawler = crawler
        self.learner = learner
        self.store: ParamStore | None = None
        self.pending: list[Observation] = []
        self._joined = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParamLearning:
        return cls(crawler, ParamLearner(min_pages=crawler.settings.getint("PARAMS_MIN_PAGES")))

    @classmethod
    def of(cls, crawler: Crawler) -> ParamLearning:
        """The crawl's learning, for a middleware's `from_crawler`; it starts its work then."""
        learning = crawler.get_extension(cls)
        if learning is None:
            raise NotConfigured(f"needs the {LEARNING_PATH} extension (EXTENSIONS)")
        if not learning._joined:
            learning._joined = True
            crawler.signals.connect(learning.spider_opened, signal=signals.spider_opened)
            crawler.signals.connect(learning.record, signal=signals.spider_idle)
            crawler.signals.connect(learning.record, signal=signals.spider_closed)
        return learning

    def spider_opened(self) -> None:
        """Start with the catalogue's overrides and everything learnt before, by any crawl."""
        spider = self.crawler.spider
        if spider is not None and hasattr(spider, "param_learner"):
            spider.param_learner = self.learner  # a spider that judges links before yielding
        # a catalogue spider's own entry; the `news` spider's catalogue entries of its host
        site = getattr(spider, "site", None)
        for entry in [site] if site is not None else getattr(spider, "catalogue_sites", ()):
            for domain in getattr(entry, "domains", ()):
                self.learner.set_overrides(domain, keep=getattr(entry, "keep_params", ()),
                                           drop=getattr(entry, "drop_params", ()))
        try:
            self.store = DatabaseOwner.of(self.crawler).params
        except NotConfigured:
            return  # learnt in memory only (or the owner has said why not)
        try:
            records = self.store.load()
        except DatabaseUnavailable as exc:
            _log_once.warning("load", "learnt URL parameters not loaded: %s", exc)
            return
        self.learner.load(records)
        learnt = self.learner.learnt()
        loaded = sum(len(names) for names in learnt.values())
        if loaded:
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("params/loaded", loaded)
            logger.info("started with %d learnt URL parameters from the database: %s", loaded,
                        "; ".join(f"{host} {', '.join(names)}" for host, names in learnt.items()))

    def record(self) -> None:
        """Write the pending observations; read back what other crawls added for those hosts."""
        store, pending = self.store, self.pending
        self.pending = []
        if store is None or not pending:
            return
        try:
            written = store.record(pending, now=dt.datetime.now(dt.UTC))
            self.learner.load(store.load({seen.host for seen in pending}))
        except DatabaseUnavailable as exc:
            _log_once.warning("record", "learnt URL parameters not saved: %s", exc)
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("params/recorded", written)

    def reload(self, hosts: set[str]) -> None:
        """Read what the other crawls learnt for `hosts`."""
        if self.store is None:
            return
        try:
            self.learner.load(self.store.load(hosts))
        except DatabaseUnavailable as exc:
            _log_once.warning("load", "learnt URL parameters not loaded: %s", exc)
