"""`scrapy crawl` that checks its input and the database first, and ends with a summary line.

- Mistakes stop the command before anything starts, with one line on stderr and exit code 2: an
  unknown spider (with the close names), a spider argument the spider refuses, a malformed `-a`
  (crawler/spiders/arguments.py). An argument the spider does not read is logged as a warning
  naming the likely intended one.
- A database (or, in distributed mode, a Redis) that cannot be reached stops the run before any
  request, with one line on stderr (password masked) and exit code 1, instead of a traceback from
  inside the engine.
- The run ends with the same one-line summary as `newscrawl crawl` (`crawler.cli.crawl.summary_line`)
  on stderr; a run that the run recorder judged failed (see `crawler.extensions.runs.judge_run`) exits 1,
  its reason on the last line.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from crawler.cli.preflight import preflight
from crawler.errors import UsageStop
from crawler.spiders.arguments import argument_problem, unknown_arguments, unknown_spider

if TYPE_CHECKING:
    import argparse

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    _warnings: list[str]

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            super().process_options(args, opts)
        except UsageError as exc:  # `-a max_pages` without `=`, ...
            raise UsageStop(f"scrapy crawl: {exc}").stop() from None
        if len(args) != 1:
            raise UsageStop("scrapy crawl: name exactly one spider (`scrapy list` names them)").stop()
        # Before Scrapy starts its logging and the crawl: a mistake gets one line, not a banner
        # and a traceback.
        assert self.settings is not None
        loader = get_spider_loader(self.settings)
        name = args[0]
        if name not in loader.list():
            raise UsageStop(f"scrapy crawl: {unknown_spider(name, loader.list())}").stop()
        spidercls = loader.load(name)
        problem = argument_problem(spidercls, opts.spargs)
        if problem:
            raise UsageStop(f"scrapy crawl {name}: {problem}").stop()
        self._warnings = unknown_arguments(spidercls, opts.spargs)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        for warning in getattr(self, "_warnings", ()):
            logger.warning(warning)
        problem = preflight(self.settings)
        if problem:
            print(f"newscrawl: {problem}", file=sys.stderr)
            self.exitcode = 1
            return
        from crawler.cli.crawl import finished_stats, summary_line

        crawler = self.crawler_process.create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        stats = finished_stats(crawler)
        print(summary_line(args[0], stats), file=sys.stderr)
        status = stats.get("newscrawl/status")
        if self.crawler_process.bootstrap_failed or status in ("failed", "interrupted"):
            reason = stats.get("newscrawl/failure_reason")
            print(f"newscrawl: run {status or 'did not start'}: {reason or 'see the log above'}",
                  file=sys.stderr)
            self.exitcode = 1
