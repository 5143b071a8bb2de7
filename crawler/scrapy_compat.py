"""The Scrapy internals newscrawl depends on, in one place (written against Scrapy 2.19).

Nothing else in `crawler/` touches a private Scrapy attribute. `verify()` fails loudly, naming
the attribute, when a Scrapy upgrade removes one; `tests/test_scrapy_compat.py` runs it.

- The engine's slot (`ExecutionEngine._slot`): the distributed scheduler needs the requests the
  engine is still working on (download, callback, item pipelines: `_Slot.inprogress`), to know
  which requests of its in-flight hash are finished, and a way to wake an idle engine at once
  (`_Slot.nextcall`). Scrapy has no public equivalent.
- The spider loader's table (`SpiderLoader._spiders`): the catalogue loader adds one spider class
  per catalogue site to the classes found in SPIDER_MODULES.
- `scrapy crawl`'s crawler factory (`Command._create_crawler`): our `crawl` command wraps
  Scrapy's and needs the crawler object to read its verdict.
- scrapy-redis's request decoding (`Base._decode_request`): the in-flight queue pops with its own
  script and decodes like the queue it extends.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.spiderloader import SpiderLoader


def _slot(crawler: Crawler) -> Any:
    return getattr(crawler.engine, "_slot", None) if crawler.engine is not None else None


def requests_in_progress(crawler: Crawler) -> Collection[Request]:
    """The requests the engine has taken and not finished with (empty when no spider is open)."""
    slot = _slot(crawler)
    return slot.inprogress if slot is not None else ()


def wake_engine(crawler: Crawler) -> None:
    """Make the engine ask the scheduler for requests now, not at its next 5-second heartbeat."""
    slot = _slot(crawler)
    if slot is not None and slot.closing is None:
        slot.nextcall.schedule()


def register_spider(loader: SpiderLoader, spider_class: type[Spider]) -> None:
    """Add a spider class, under its name, to what the loader lists and loads."""
    loader._spiders[spider_class.name] = spider_class


def create_crawler(command: Any, spider_name: str) -> Crawler:
    """The crawler `scrapy crawl` would create for `spider_name` (a ScrapyCommand's factory)."""
    crawler: Crawler = command._create_crawler(spider_name)
    return crawler


def decode_queued_request(queue: Any, data: bytes) -> Request:
    """A request as a scrapy-redis queue stored it."""
    request: Request = queue._decode_request(data)
    return request


def verify() -> None:
    """Raise RuntimeError naming each internal this module uses that Scrapy no longer has."""
    from scrapy.core import engine
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    missing = []
    if "self._slot" not in inspect.getsource(engine.ExecutionEngine.__init__):
        missing.append("ExecutionEngine._slot")
    slot_class = getattr(engine, "_Slot", None)
    slot_source = inspect.getsource(slot_class.__init__) if slot_class else ""
    missing += [f"_Slot.{name}" for name in ("inprogress", "nextcall", "closing")
                if f"self.{name}" not in slot_source]
    from scrapy.utils.reactor import CallLaterOnce
    if not callable(getattr(CallLaterOnce, "schedule", None)):
        missing.append("CallLaterOnce.schedule")
    if not isinstance(getattr(SpiderLoader(Settings({"SPIDER_MODULES": []})), "_spiders", None), dict):
        missing.append("SpiderLoader._spiders")
    from scrapy.commands.crawl import Command
    from scrapy_redis.queue import Base

    missing += [name for owner, name in ((Command, "_create_crawler"), (Base, "_decode_request"))
                if not callable(getattr(owner, name, None))]
    if missing:
        raise RuntimeError("Scrapy changed internals crawler/scrapy_compat.py relies on: "
                           + ", ".join(missing))
