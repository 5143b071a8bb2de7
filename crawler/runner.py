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
    """What a run did, whether it finished or was stopped.

    >>> summary_line("a", {"newscrawl/status": "ok", "downloader/request_count": 3,
    ...                    "store/inserted": 2, "elapsed_time_seconds": 1.25})
    'a: ok in 1.2 s; 3 requests; articles 2 new, 0 updated, 0 unchanged, 0 skipped as known; 0 dropped'
    >>> summary_line("a", {"newscrawl/status": "interrupted", "newscrawl/duration_s": 4.0,
    ...                    "newscrawl/failure_reason": "forced stop before the run finished",
    ...                    "downloader/request_count": 9, "store/inserted": 2,
    ...                    "journal/appended": 5, "journal/pending": 3}).split("; ")
    ['a: interrupted (forced stop before the run finished) in 4.0 s', '9 requests', \
'articles 2 new, 0 updated, 0 unchanged, 0 skipped as known', '0 dropped', \
'5 journalled, 3 of them kept for the next run']
    >>> summary_line("a", {"downloader/request_count": 4, "journal/appended": 1}).split("; ")[::4]
    ['a: stopped before it finished in 0.0 s', '1 journalled']
    """
    from crawler.runs import summarise_stats

    figures = summarise_stats(stats)
    status = stats.get("newscrawl/status") or (
        "stopped before it finished" if figures["requests"] else "not started")
    reason = stats.get("newscrawl/failure_reason")
    articles = figures["articles"]
    elapsed = stats.get("elapsed_time_seconds", stats.get("newscrawl/duration_s", 0))
    line = (
        f"{site}: {status}{f' ({reason})' if reason and reason != status else ''} in "
        f"{float(elapsed):.1f} s; {figures['requests']} requests; "
        f"articles {articles['new']} new, {articles['updated']} updated, "
        f"{articles['unchanged']} unchanged, {articles['skipped_known']} skipped as known; "
        f"{sum(figures['dropped'].values())} dropped"
    )
    replayed = figures["journal_replayed"]
    if replayed["held"]:
        line += (f"; loaded {replayed['held']} from dead runs' journals ({replayed['new']} new, "
                 f"{replayed['unchanged']} already stored)")
    kept = int(stats.get("journal/pending", 0)) if status != "ok" else 0
    if figures["journalled"]:
        line += f"; {figures['journalled']} journalled"
        if kept:
            line += f", {kept} of them kept for the next run"
    return line


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
            failures.append(f"{site}: {stats.get('newscrawl/failure_reason') or _not_finished(stats)}")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return EXIT_FAILED
    print(f"OK: {len(crawlers)} site(s) crawled")
    return EXIT_OK


def _not_finished(stats: dict[str, Any]) -> str:
    """Why a run has no verdict: it never started, or the process was stopped under it."""
    if stats.get("downloader/request_count"):
        return "stopped before it finished"
    return "did not run"
