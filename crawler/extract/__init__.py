"""Article extraction: one HTML page in, one article item out.

The public surface is `ArticlePage`; the other modules are its parts, each with one job
(parsing, JSON-LD, meta tags, title, authors, dates, body, language, time-zone hints) and
each a set of pure functions over an already parsed lxml tree, so the document is parsed once.
"""

from __future__ import annotations

from crawler.extract.page import ArticlePage

__all__ = ["ArticlePage"]
