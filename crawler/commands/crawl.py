"""`scrapy crawl` that checks the database first and exits non-zero when the run failed.

A database (or, in distributed mode, a Redis) that cannot be reached stops the run before any
request, with one line on stderr (password masked) and exit code 1, instead of a traceback from
inside the engine. A run that the
run recorder judged failed (see `crawler.runs.judge_run`) also exits 1, its reason last on stderr.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from crawler.database import preflight
from crawler.scrapy_compat import create_crawler

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        if len(args) != 1:
            raise UsageError("name exactly one spider")
        problem = preflight(self.settings)
        if problem:
            print(f"newscrawl: {problem}", file=sys.stderr)
            self.exitcode = 1
            return
        crawler = create_crawler(self, args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        status = crawler.stats.get_value("newscrawl/status") if crawler.stats else None
        if self.crawler_process.bootstrap_failed or status in ("failed", "interrupted"):
            reason = crawler.stats.get_value("newscrawl/failure_reason") if crawler.stats else None
            print(f"newscrawl: run {status or 'did not start'}: {reason or 'see the log above'}",
                  file=sys.stderr)
            self.exitcode = 1
