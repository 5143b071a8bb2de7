"""Items dropped on purpose: normal events of a crawl, logged at DEBUG and counted.

Scrapy's LogFormatter logs every `DropItem` at WARNING ("Dropped: ..." with the whole item),
unless the exception carries a `log_level` (Scrapy >= 2.13). A duplicate in a run, an article
already stored, a page outside the date window happen hundreds of times in an ordinary run and
ask nothing of the operator: they are `ExpectedDrop`s, logged at DEBUG; the component that drops
them counts them in its stats (`dedupe/dropped/duplicate`, `window/dropped_after_download`).
WARNING stays for drops an operator must act on (`InvalidArticle` and plain `DropItem`).
"""

from __future__ import annotations

from scrapy.exceptions import DropItem


class ExpectedDrop(DropItem):
    """A drop that is part of normal operation: DEBUG, not WARNING."""

    def __init__(self, message: str, log_level: str | None = "DEBUG") -> None:
        super().__init__(message, log_level)


class DuplicateArticle(ExpectedDrop):
    """The second item of a run with the same canonical URL."""


class KnownArticle(ExpectedDrop):
    """An article already stored and not due for a refresh."""
