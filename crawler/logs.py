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
