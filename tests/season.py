"""A season of cron runs against a generated site that grows and is edited between runs.

Shared by tests/test_season.py (five runs, asserted from the server's access log) and
bench/bench_season.py (a simulated day of runs, old code against new). The site is
`tests.sitegen`'s WordPress-like site (sections, tag and author pages, a feed, a sitemap) served by
`crawler.devserver.StaticSite`, which answers conditional requests and logs every request.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crawler.devserver import Access, StaticSite
from tests.sitegen import GenArticle, generate

# what the generated site's articles look like in an access log (tests.sitegen: three shapes)
ARTICLE_PATH = re.compile(r"^/(?:\d{4}/\d\d/\d\d/[^/]+/|[a-z]+/\d{6}-[^/]+\.html|articles/[^/]+/)$")


@dataclass
class SeasonSite:
    """The site's state: base articles, those added since, the edits; `write()` puts it on disk."""

    root: Path
    start: dt.datetime
    count: int = 400
    added: list[dt.datetime] = field(default_factory=list)
    edited: dict[str, dt.datetime] = field(default_factory=dict)
    articles: list[GenArticle] = field(default_factory=list)
    updated_teasers: bool = False  # the listings' teasers show an edit's date (tests.sitegen)

    def write(self) -> list[GenArticle]:
        self.articles = generate(self.root, self.count, start=self.start, added=self.added,
                                 edited=self.edited, updated_teasers=self.updated_teasers)
        return self.articles

    def grow(self, number: int, at: dt.datetime) -> list[GenArticle]:
        """`number` new articles published in the minutes before `at`; returns them."""
        self.added += [at - dt.timedelta(minutes=number - k) for k in range(number)]
        self.write()
        return self.articles[:number]

    def edit_newest(self, number: int, at: dt.datetime) -> list[GenArticle]:
        """Edit the `number` newest articles at `at`; returns them."""
        return self.edit(self.articles[:number], at)

    def edit(self, articles: Sequence[GenArticle], at: dt.datetime) -> list[GenArticle]:
        """Edit these articles at `at` (their first paragraph, dateModified, sitemap lastmod)."""
        self.edited.update({a.path: at for a in articles})
        self.write()
        return list(articles)


@dataclass(frozen=True)
class RunCost:
    """What one run cost the site, read from the server's access log."""

    requests: int
    article_downloads: int  # article pages answered 200
    not_modified: int  # 304 answers
    bytes: int
    article_paths: tuple[str, ...]

    @classmethod
    def of(cls, accesses: Sequence[Access]) -> RunCost:
        articles = [a for a in accesses if ARTICLE_PATH.match(a.path.split("?")[0])]
        return cls(len(accesses), sum(a.status == 200 for a in articles),
                   sum(a.status == 304 for a in accesses), sum(a.bytes for a in accesses),
                   tuple(a.path for a in articles if a.status == 200))


def crawl_news(site: StaticSite, env: Mapping[str, str], cwd: Path, *args: str,
               python: str = "python", timeout: float = 600
               ) -> tuple[subprocess.CompletedProcess[str], RunCost]:
    """One `scrapy crawl news` of the site, as cron runs it; its cost from the access log."""
    before = len(site.accesses())
    proc = subprocess.run([python, "-m", "scrapy", "crawl", "news", "-a",
                           f"url={site.base_url}/", "-a", "max_pages=1500", *args],
                          cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout)
    return proc, RunCost.of(site.accesses()[before:])
