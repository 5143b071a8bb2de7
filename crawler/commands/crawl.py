"""`scrapy crawl` that checks the database before the crawl and reports a failed run.

A database that cannot be reached stops the run before any request, with one line on stderr
(password masked) and exit code 1, instead of a traceback from inside the engine.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from crawler.pipelines import database_uri
from crawler.storage import DatabaseUnavailable, connect

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if "crawler.pipelines.StorePipeline" in self.settings.getdict("ITEM_PIPELINES"):
            try:
                connect(database_uri(self.settings), self.settings.get("MONGO_DATABASE"),
                        timeout_ms=self.settings.getint("MONGO_TIMEOUT_MS"))
            except (DatabaseUnavailable, RuntimeError) as exc:
                print(f"newscrawl: {exc}", file=sys.stderr)
                self.exitcode = 1
                return
        super().run(args, opts)
