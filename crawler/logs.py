"""Log a noisy event once, then only count it: Scrapy's habit, in one helper.

>>> import logging
>>> once = LogOnce(logging.getLogger("demo"))
>>> once.warning("bad_date", "bad date %r", "x"), once.warning("bad_date", "bad date %r", "y")
(True, False)
"""

from __future__ import annotations

import logging
import threading
from typing import Any

COUNTED = " (further cases are counted, not logged)"


class LogOnce:
    """WARNING the first time for each kind of problem, DEBUG afterwards (thread-safe: the store
    writes from its own thread)."""

    def __init__(self, logger: logging.Logger, *, suffix: str = COUNTED) -> None:
        self.logger = logger
        self.suffix = suffix
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def warning(self, kind: str, message: str, *args: Any) -> bool:
        """Log `message % args`; True when it was the first of its kind (logged at WARNING)."""
        with self._lock:
            first = kind not in self._seen
            self._seen.add(kind)
        if first:
            self.logger.warning(message + self.suffix, *args)
        else:
            self.logger.debug(message, *args)
        return first


class LogLevelGate:
    """An extension: a log call below `LOG_LEVEL` returns at once instead of building a record.

    Scrapy leaves the root logger at NOTSET and lets its handler drop what is below the level,
    so every `logger.debug()` of a crawl (each link judged, each request, each dropped
    duplicate) built a `LogRecord` first: 2.8% of a `news` crawl process's busy time (py-spy,
    bench/bench_traps.py --profile, 2,000 articles). Scrapy sets the root logger back at each
    crawl's start; this sets it again when the spider opens. Only when Scrapy's own root
    handler is installed: a program that configures logging itself keeps its configuration.
    """

    def __init__(self, level: int) -> None:
        self.level = level

    @classmethod
    def from_crawler(cls, crawler: Any) -> LogLevelGate:
        from scrapy import signals

        gate = cls(logging.getLevelName(crawler.settings.get("LOG_LEVEL")))
        crawler.signals.connect(gate.spider_opened, signal=signals.spider_opened)
        return gate

    def spider_opened(self) -> None:
        from scrapy.utils.log import get_scrapy_root_handler

        if get_scrapy_root_handler() is not None and logging.root.level == logging.NOTSET:
            logging.root.setLevel(self.level)


# What the cause means, for the operator.
CAUSES = {
    "dns": "DNS lookup failed (no such host, or no network)",
    "refused": "connection refused",
    "timeout": "timed out",
    "tls": "TLS handshake failed",
    "other": "connection failed",
}


def network_summary(stats: dict[str, Any]) -> str:
    """
    >>> network_summary({"network/dns": 9, "network/timeout": 1, "other": 3})
    'DNS lookup failed (no such host, or no network) (9 requests); timed out (1 request)'
    """
    parts = []
    for cause, text in CAUSES.items():
        count = int(stats.get(f"network/{cause}", 0))
        if count:
            parts.append(f"{text} ({count} request{'s' if count != 1 else ''})")
    return "; ".join(parts)
