"""The Scrapy internals newscrawl depends on, in one place (written against Scrapy 2.19).

Nothing else in `crawler/` touches a private Scrapy attribute. `verify()` fails loudly, naming
the attribute, when a Scrapy upgrade removes one; `tests/test_scrapy_compat.py` runs it.

- The engine's slot (`ExecutionEngine._slot`): the distributed scheduler needs the requests the
  engine is still working on (download, callback, item pipelines: `_Slot.inprogress`), to know
  which requests of its in-flight hash are finished, and a way to wake an idle engine at once
  (`_Slot.nextcall`). Scrapy has no public equivalent.
- scrapy-redis's request decoding (`Base._decode_request`): the in-flight queue pops with its own
  script and decodes like the queue it extends.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


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


def decode_queued_request(queue: Any, data: bytes) -> Request:
    """A request as a scrapy-redis queue stored it."""
    request: Request = queue._decode_request(data)
    return request


def verify() -> None:
    """Raise RuntimeError naming each internal this module uses that Scrapy no longer has."""
    from scrapy.core import engine
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
    from scrapy_redis.queue import Base

    if not callable(getattr(Base, "_decode_request", None)):
        missing.append("Base._decode_request")
    if missing:
        raise RuntimeError("Scrapy changed internals crawler/scrapy_compat.py relies on: "
                           + ", ".join(missing))
