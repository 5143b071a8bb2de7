"""`newscrawl crawl`: run catalogue spiders safely from cron and turn the outcome into an exit code.

- one lock per site: an overlapping invocation skips a locked site with a clear line; when every
  site it was asked for is locked it exits at once with EXIT_LOCKED; in distributed mode
  (`REDIS_URL`, README "Scaling out") there is no lock: overlapping workers share the site's round;
- the database is checked before anything starts (EXIT_FAILED and one line if unreachable);
- all sites run in one process; CONCURRENT_REQUESTS bounds the whole process (shared out between
  the sites) and CONCURRENT_REQUESTS_PER_DOMAIN each site;
- one summary line per site on stdout, the verdict on the last line; exit 0 only when every run
  succeeded (see `crawler.extensions.runs.judge_run` for what fails a run);
- Scrapy's log goes to a file under $VAR_DIR/logs (named on the line before the verdict; the
  latest KEEP_LOGS are kept), so that a terminal or a cron mail shows the site lines and any
  drift, not 2,500 lines of stats dumps; `-v` sends it to stderr instead, and LOG_FILE, when set,
  wins over both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 75  # EX_TEMPFAIL: "try again later", what an overlapping cron run should get
# Crawl logs kept under $VAR_DIR/logs: a cron run every 5 minutes leaves about four hours of them.
KEEP_LOGS = 50


def crawl_log(var_dir: Path, *, now: dt.datetime | None = None, keep: int = KEEP_LOGS) -> Path:
    """A new log file's path under `var_dir`/logs, the oldest beyond `keep` deleted."""
    directory = var_dir / "logs"
    directory.mkdir(parents=True, exist_ok=True)
    old = sorted(directory.glob("crawl-*.log"))
    for path in old[:max(0, len(old) - keep + 1)]:
        path.unlink(missing_ok=True)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d-%H%M%S")
    return directory / f"crawl-{stamp}-{os.getpid()}.log"


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
    >>> summary_line("a", {"newscrawl/status": "ok", "newscrawl/drift": ["x 0%", "y 5%"]})[-24:]
    'DRIFT: x 0%, DRIFT: y 5%'
    """
    from crawler.extensions.runs import summarise_stats

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
    # the data changed although the run is ok (crawler/health/drift.py)
    drift = stats.get("newscrawl/drift") or []
    if drift:
        line += "; " + ", ".join(f"DRIFT: {text}" for text in drift)
    return line


def finished_stats(crawler: Any) -> dict[str, Any]:
    """A crawler's stats, or {} when its crawl never started (Scrapy raises on `crawler.stats`)."""
    try:
        stats = crawler.stats
    except RuntimeError:
        return {}
    return stats.get_stats() if stats is not None else {}


def progress_line(done: int, total: int, stats: Sequence[dict[str, Any]]) -> str:
    """
    >>> progress_line(1, 3, [{"response_received_count": 5, "store/inserted": 2,
    ...                       "downloader/exception_count": 1}, {}])
    'sites 1/3 done; 5 pages; 2 new articles; 1 errors'
    """
    pages = sum(int(s.get("response_received_count", 0)) for s in stats)
    new = sum(int(s.get("store/inserted", 0)) for s in stats)
    errors = sum(int(s.get("downloader/exception_count", 0)) + int(s.get("log_count/ERROR", 0))
                 for s in stats)
    return f"sites {done}/{total} done; {pages} pages; {new} new articles; {errors} errors"


class _Progress:
    """Each site's summary line as soon as it finishes; on a terminal, a live progress line below
    them (rewritten in place every second, erased before each site line and at the end)."""

    def __init__(self, crawlers: dict[str, Any], stream: Any = None) -> None:
        self.crawlers = crawlers
        self.stream = stream or sys.stdout
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self.printed: set[str] = set()
        self._loop: Any = None

    def start(self) -> None:
        if self.live:
            from twisted.internet import task

            self._loop = task.LoopingCall(self._draw)
            self._loop.start(1.0, now=False)

    def _draw(self) -> None:
        line = progress_line(self.done, len(self.crawlers),
                             [finished_stats(c) for c in self.crawlers.values()])
        self.stream.write(f"\r\x1b[K{line}")
        self.stream.flush()

    def site_finished(self, result: Any, site: str) -> Any:
        """A crawl's Deferred callback: print the site's line, pass the result on."""
        self.done += 1
        self.printed.add(site)
        prefix = "\r\x1b[K" if self.live else ""
        self.stream.write(f"{prefix}{summary_line(site, finished_stats(self.crawlers[site]))}\n")
        self.stream.flush()
        return result

    def stop(self) -> None:
        """End the live line, then print the sites whose crawl never called back: a forced stop
        (a second Ctrl-C, SIGTERM twice) stops the reactor before their Deferreds fire."""
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
        for site in self.crawlers:
            if site not in self.printed:
                self.site_finished(None, site)


def run_crawl(sites: Sequence[str], *, all_sites: bool, spider_args: Sequence[str],
              verbose: bool = False) -> int:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.addons import AddonManager
    from scrapy.crawler import CrawlerProcess
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    from crawler.cli.preflight import preflight
    from crawler.errors import SiteLocked
    from crawler.locks import SiteLock
    from crawler.spiders.arguments import argument_problem, unknown_arguments, unknown_spider

    settings = get_project_settings()
    AddonManager.load_pre_crawler_settings(settings)  # defaults and derived settings (crawler.addon)
    # Input checked before Scrapy starts its logging: a mistake gets one line, exit code 2.
    loader = get_spider_loader(settings)
    catalogue = [name for name in loader.list() if name != "news"]
    chosen = catalogue if all_sites else list(dict.fromkeys(sites))
    if not chosen:
        print("newscrawl crawl: name at least one site, or --all; sites: " + ", ".join(catalogue),
              file=sys.stderr)
        return EXIT_USAGE
    unknown = [s for s in chosen if s not in catalogue]
    if unknown:
        print("newscrawl crawl: " + "; ".join(unknown_spider(s, catalogue) for s in unknown)
              .replace("unknown spider", "unknown site").replace("`scrapy list`", "`newscrawl sites`"),
              file=sys.stderr)
        return EXIT_USAGE
    try:
        kwargs = parse_spider_args(spider_args)
    except ValueError as exc:
        print(f"newscrawl crawl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for site in chosen:
        problem = argument_problem(loader.load(site), kwargs)
        if problem:
            print(f"newscrawl crawl {site}: {problem}", file=sys.stderr)
            return EXIT_USAGE
    # every catalogue spider reads the same arguments (SiteSpider's): one warning each
    for warning in unknown_arguments(loader.load(chosen[0]), kwargs):
        print(f"newscrawl crawl: warning: {warning}", file=sys.stderr)
    problem = preflight(settings)
    if problem:
        print(f"FAILED: {problem}")
        return EXIT_FAILED
    log_file = None
    if not verbose and not settings.get("LOG_FILE"):
        try:
            log_file = crawl_log(Path(settings.get("VAR_DIR")))
        except OSError as exc:  # the log stays on stderr
            print(f"newscrawl crawl: warning: cannot write a log under {settings.get('VAR_DIR')}: "
                  f"{exc.strerror or exc}; logging to stderr", file=sys.stderr)
        else:
            settings.set("LOG_FILE", str(log_file), priority="cmdline")
    process = CrawlerProcess(settings)

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
        progress = _Progress(crawlers)
        for site, crawler in crawlers.items():
            finished = process.crawl(crawler, **kwargs)
            finished.addBoth(progress.site_finished, site)
        progress.start()
        try:
            process.start()
        finally:
            progress.stop()
    finally:
        for lock in locks:
            lock.release()

    if log_file is not None:
        print(f"log: {log_file}")
    failures = {}
    for site, crawler in crawlers.items():
        stats = finished_stats(crawler)
        if stats.get("newscrawl/status") != "ok":
            failures[site] = stats.get("newscrawl/failure_reason") or _not_finished(stats)
    if failures:
        print(verdict_line(failures, len(crawlers)))
        return EXIT_FAILED
    print(f"OK: {len(crawlers)} site(s) crawled")
    return EXIT_OK


def verdict_line(failures: dict[str, str], sites: int, *, detailed: int = 2) -> str:
    """The last line when runs failed: each reason when few failed; else the sites only (each
    site's line above says why), so that `--all` without network ends with one short line.

    >>> verdict_line({"a": "no response received"}, 3)
    'FAILED: a: no response received'
    >>> verdict_line({"a": "x", "b": "y", "c": "z"}, 4)
    'FAILED: 3 of 4 sites: a, b, c (their lines above say why)'
    """
    if len(failures) <= detailed:
        return "FAILED: " + "; ".join(f"{site}: {reason}" for site, reason in failures.items())
    return (f"FAILED: {len(failures)} of {sites} sites: {', '.join(failures)} "
            "(their lines above say why)")


def _not_finished(stats: dict[str, Any]) -> str:
    """Why a run has no verdict: it never started, or the process was stopped under it."""
    if stats.get("downloader/request_count"):
        return "stopped before it finished"
    return "did not run"


def add_parser(commands: Any) -> None:
    crawl = commands.add_parser("crawl", help="crawl catalogue sites")
    crawl.add_argument("sites", nargs="*", help="site keys (see `scrapy list`)")
    crawl.add_argument("--all", action="store_true", help="every catalogue site")
    crawl.add_argument("-a", dest="spider_args", action="append", metavar="NAME=VALUE",
                       help="spider argument, as with scrapy crawl")
    crawl.add_argument("-v", "--verbose", action="store_true",
                       help="Scrapy's log on stderr instead of a file under $VAR_DIR/logs")
    crawl.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return run_crawl(args.sites, all_sites=args.all, spider_args=args.spider_args or [],
                     verbose=args.verbose)
