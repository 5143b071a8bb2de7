"""`newscrawl crawl`: run catalogue spiders safely from cron and turn the outcome into an exit code.

- one lock per site: an overlapping invocation skips a locked site with a clear line; when every
  site it was asked for is locked it exits at once with EXIT_LOCKED; in distributed mode
  (`REDIS_URL`, README "Scaling out") there is no lock: overlapping workers share the site's round;
- the database is checked before anything starts (EXIT_FAILED and one line if unreachable);
- all sites run in one process; CONCURRENT_REQUESTS bounds the whole process (shared out between
  the sites) and CONCURRENT_REQUESTS_PER_DOMAIN each site;
- one summary line per site on stdout, the verdict on the last line; exit 0 only when every run
  succeeded (see `crawler.runs.judge_run` for what fails a run).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 75  # EX_TEMPFAIL: "try again later", what an overlapping cron run should get


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


def summary_line(site: str, stats: dict[str, Any]) -> str:
    """
    >>> summary_line("a", {"newscrawl/status": "ok", "downloader/request_count": 3,
    ...                    "store/inserted": 2, "elapsed_time_seconds": 1.25})
    'a: ok in 1.2 s; 3 requests; articles 2 new, 0 updated, 0 unchanged, 0 skipped as known; 0 dropped'
    """
    from crawler.runs import summarise_stats

    status = stats.get("newscrawl/status") or "not started"
    reason = stats.get("newscrawl/failure_reason")
    figures = summarise_stats(stats)
    articles = figures["articles"]
    return (
        f"{site}: {status}{f' ({reason})' if reason and reason != status else ''} in "
        f"{float(stats.get('elapsed_time_seconds', 0)):.1f} s; {figures['requests']} requests; "
        f"articles {articles['new']} new, {articles['updated']} updated, "
        f"{articles['unchanged']} unchanged, {articles['skipped_known']} skipped as known; "
        f"{sum(figures['dropped'].values())} dropped"
    )


def run_crawl(sites: Sequence[str], *, all_sites: bool, spider_args: Sequence[str]) -> int:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.database import preflight
    from crawler.errors import SiteLocked
    from crawler.locks import SiteLock

    settings = get_project_settings()
    process = CrawlerProcess(settings)
    catalogue = [name for name in process.spider_loader.list() if name != "news"]
    chosen = catalogue if all_sites else list(dict.fromkeys(sites))
    if not chosen:
        print("newscrawl crawl: name at least one site, or --all; sites: " + ", ".join(catalogue),
              file=sys.stderr)
        return EXIT_USAGE
    unknown = [s for s in chosen if s not in catalogue]
    if unknown:
        print(f"newscrawl crawl: unknown site(s) {', '.join(unknown)}; sites: "
              + ", ".join(catalogue), file=sys.stderr)
        return EXIT_USAGE
    try:
        kwargs = parse_spider_args(spider_args)
    except ValueError as exc:
        print(f"newscrawl crawl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    problem = preflight(settings)
    if problem:
        print(f"FAILED: {problem}")
        return EXIT_FAILED

    locks = []
    if settings.get("REDIS_URL"):
        # Distributed mode: workers of one round share the site through Redis, several of them
        # may run on this machine; no lock.
        runnable = chosen
    else:
        for site in chosen:
            try:
                locks.append(SiteLock(Path(settings.get("LOCK_DIR")), site).acquire())
            except SiteLocked as exc:
                print(f"skipped: {exc}")
        if not locks:
            print("LOCKED: every requested site is being crawled by another run; nothing to do")
            return EXIT_LOCKED
        runnable = [lock.site for lock in locks]

    try:
        share = max(1, settings.getint("CONCURRENT_REQUESTS") // len(runnable))
        crawlers = {}
        for site in runnable:
            crawler = process.create_crawler(site)
            crawler.settings.set("CONCURRENT_REQUESTS", share, priority="cmdline")
            crawlers[site] = crawler
            process.crawl(crawler, **kwargs)
        process.start()
    finally:
        for lock in locks:
            lock.release()

    failures = []
    for site, crawler in crawlers.items():
        stats = crawler.stats.get_stats() if crawler.stats else {}
        print(summary_line(site, stats))
        if stats.get("newscrawl/status") != "ok":
            failures.append(f"{site}: {stats.get('newscrawl/failure_reason') or 'did not run'}")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return EXIT_FAILED
    print(f"OK: {len(crawlers)} site(s) crawled")
    return EXIT_OK
