"""Run one or more catalogue spiders in one process and turn the outcome into an exit code."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def parse_spider_args(pairs: Sequence[str]) -> dict[str, str]:
    """
    >>> parse_spider_args(["max_pages=2", " sections = a,b "])
    {'max_pages': '2', 'sections': 'a,b'}
    """
    parsed = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"-a {pair!r}: expected NAME=VALUE")
        parsed[name.strip()] = value.strip()
    return parsed


def run_crawl(sites: Sequence[str], *, all_sites: bool, spider_args: Sequence[str]) -> int:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    process = CrawlerProcess(settings)
    known = process.spider_loader.list()
    catalogue = [name for name in known if name != "news"]
    chosen = catalogue if all_sites else list(sites)
    if not chosen:
        print("newscrawl crawl: name at least one site, or --all; sites: " + ", ".join(catalogue),
              file=sys.stderr)
        return EXIT_USAGE
    unknown = [s for s in chosen if s not in known]
    if unknown:
        print(f"newscrawl crawl: unknown site(s) {', '.join(unknown)}; sites: "
              + ", ".join(catalogue), file=sys.stderr)
        return EXIT_USAGE
    try:
        kwargs = parse_spider_args(spider_args)
    except ValueError as exc:
        print(f"newscrawl crawl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    crawlers = []
    for name in chosen:
        crawler = process.create_crawler(name)
        crawlers.append(crawler)
        process.crawl(crawler, **kwargs)
    process.start()
    failed = [c.spider.name if c.spider else "?" for c in crawlers
              if c.stats is None or not c.stats.get_value("finish_reason")]
    if process.bootstrap_failed or failed:
        print(f"FAILED: {', '.join(failed) or 'a crawl'} did not run", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
